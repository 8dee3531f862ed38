"""Stage ②: the Grid — sheet names and rows of raw cell values, as every engine (calamine, openpyxl, xlwings) gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SheetGrid:
    """One worksheet's values: rows[0] is Excel row 1; values are str, int, float, bool, date/datetime or ''."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False

    def value(self, row: int, col: int) -> Any:
        """The value at Excel row `row` and column `col` (both 1-based); '' when outside the data."""
        if 1 <= row <= len(self.rows):
            cells = self.rows[row - 1]
            if 1 <= col <= len(cells):
                return cells[col - 1]
        return ""


@dataclass
class Grid:
    """A workbook's sheets in order, keyed by name."""

    sheets: dict[str, SheetGrid] = field(default_factory=dict)
    engine: str = ""

    @property
    def names(self) -> list[str]:
        return list(self.sheets)

    def find(self, *names: str) -> SheetGrid | None:
        """The first sheet whose name matches one of `names` (ignoring spaces and full-width forms)."""
        from .cells import label_key

        wanted = {label_key(n) for n in names}
        for name, sheet in self.sheets.items():
            if label_key(name) in wanted:
                return sheet
        return None
