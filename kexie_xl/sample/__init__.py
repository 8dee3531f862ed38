"""Sample data: a deterministic, realistic month for every active unit — the demo and most tests use it.

`write_demo` writes, under one folder: a demo configuration (registry with sender addresses and two example
市级学会), the blank template, each unit's filled workbook, the photos, the emails that carry them, and a
manifest.json of everything planted (errors, late and missing units, the resubmission, quarterly cases).
"""

from __future__ import annotations

from .demo import DemoResult, write_demo

__all__ = ["DemoResult", "write_demo"]
