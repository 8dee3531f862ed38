"""kexie_xl — the monthly 科技志愿服务 report of 重庆市科协: template, validation, quarterly rule, consolidation.

Importing the package is cheap (no pandas, openpyxl or xlwings): a ribbon click starts a fresh Python.
"""

from __future__ import annotations

__version__ = "0.1.0"
