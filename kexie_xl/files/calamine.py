"""Edge adapter (files): a Grid from .xlsx/.xlsm/.xls via python-calamine — the fast path, values only.

calamine reads every cell whatever the sheet's `dimension` says (WPS writes A1:A1), returns the cached values
of formulas, dates as date/datetime and numbers as float. Empty cells come back as ''.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..read.cells import label_key
from ..read.grid import Grid, SheetGrid


class UnreadableWorkbook(Exception):
    """calamine could not parse the file; the message is the reason, in Chinese."""


def read_grid(path: Path, skip: Collection[str] = ()) -> Grid:
    """Every worksheet's values, except sheets named in `skip` (listed, but left unparsed and empty).

    The file is closed before returning, so it can be replaced at once (Windows keeps open files locked).
    """
    skipped = {label_key(name) for name in skip}
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every parse failure
        raise UnreadableWorkbook(_reason(exc)) from None
    grid = Grid(engine="calamine")
    try:
        for meta in wb.sheets_metadata:
            if not str(meta.typ).endswith("WorkSheet"):
                continue  # chart sheets, macro sheets
            hidden = not str(meta.visible).endswith("Visible")
            if label_key(meta.name) in skipped:
                grid.sheets[meta.name] = SheetGrid(meta.name, [], hidden=hidden)
                continue
            rows = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            grid.sheets[meta.name] = SheetGrid(meta.name, rows, hidden=hidden)
    except Exception as exc:
        raise UnreadableWorkbook(_reason(exc)) from None
    finally:
        wb.close()
    return grid


def _reason(exc: Exception) -> str:
    text = str(exc)
    lowered = text.lower()
    if "password" in lowered or "encrypt" in lowered:
        return "文件有打开密码"
    return f"文件结构损坏或格式不受支持（{text[:120]}）"
