"""Edge adapter (files): a Grid from .xlsx/.xlsm/.xls via python-calamine — the fast path, values only.

calamine reads every cell whatever the sheet's `dimension` says (WPS writes A1:A1), returns the cached values
of formulas, dates as date/datetime and numbers as float. Empty cells come back as ''.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from ..read.grid import Grid, SheetGrid


class UnreadableWorkbook(Exception):
    """calamine could not parse the file; the message is the reason, in Chinese."""


def read_grid(path: Path) -> Grid:
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every parse failure
        raise UnreadableWorkbook(_reason(exc)) from None
    grid = Grid(engine="calamine")
    try:
        for meta in wb.sheets_metadata:
            if not str(meta.typ).endswith("WorkSheet"):
                continue  # chart sheets, macro sheets
            sheet = wb.get_sheet_by_name(meta.name)
            rows = [[_value(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
            grid.sheets[meta.name] = SheetGrid(meta.name, rows, hidden=not str(meta.visible).endswith("Visible"))
    except Exception as exc:
        raise UnreadableWorkbook(_reason(exc)) from None
    finally:
        wb.close()
    return grid


def _value(value: Any) -> Any:
    if isinstance(value, (time, timedelta)):
        return str(value)
    return value


def _reason(exc: Exception) -> str:
    text = str(exc)
    lowered = text.lower()
    if "password" in lowered or "encrypt" in lowered:
        return "文件有打开密码"
    return f"文件结构损坏或格式不受支持（{text[:120]}）"
