"""kexie_xl — the monthly 科技志愿服务 report of 重庆市科协: template, validation, quarterly rule, consolidation.

Importing the package is cheap (no pandas, openpyxl or xlwings): a ribbon click starts a fresh Python.
"""

from __future__ import annotations

import logging
from typing import Any

from ._version import __version__

# A library logs; the application decides where to (the CLI with --verbose, the ribbon into a log file).
logging.getLogger("kexie_xl").addHandler(logging.NullHandler())

__all__ = ["__version__", "frames", "validate"]


def validate(path: Any, ctx: Any = None, *, as_of: Any = None) -> Any:
    """Check one workbook and return its Report — see kexie_xl.api.validate (imported lazily)."""
    from .api import validate as _validate

    return _validate(path, ctx, as_of=as_of)


def frames(store: Any, months: Any = None, *, config: Any = None) -> Any:
    """The store's months as pandas DataFrames (submissions, activities, teams, registration) — see
    kexie_xl.report.frames for the columns (pandas is imported only there)."""
    from .report.frames import frames as _frames

    return _frames(store, months, config=config)
