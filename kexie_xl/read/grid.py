"""Stage ②: the Grid — sheet names and rows of raw cell values, as every engine (calamine, openpyxl, xlwings) gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell saved without its result — what a program that writes formulas but does not calculate them
    leaves (openpyxl does, for every formula it writes or keeps). Excel, WPS and LibreOffice save each formula's
    result; a file's reader (files/calamine.py) puts this in the formula's cell instead of the '' the engine gives,
    so the reader (read/submission.py) says what the cell holds rather than that it is empty.
    `formula` is its text without the "=" ('' for a cell that shares another cell's formula)."""

    formula: str

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "共享公式"


@dataclass
class SheetGrid:
    """One worksheet's values: rows[0] is Excel row 1; values are str, int, float, bool, date/datetime or ''.

    A cell holding an Excel error value is its literal text (「#REF!」, 「#N/A」), as openpyxl and xlwings
    (`err_to_str`) give it, never '' — an engine that loses errors must put them back (see `put`). A formula saved
    without its result is `Uncalculated`, never '' (a file's reader puts it; an open workbook has every result).
    """

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

    def put(self, row: int, col: int, value: Any) -> None:
        """Set the value at Excel row `row`, column `col` (1-based), growing the rows with '' as needed."""
        while len(self.rows) < row:
            self.rows.append([])
        cells = self.rows[row - 1]
        if len(cells) < col:
            cells.extend([""] * (col - len(cells)))
        cells[col - 1] = value


@dataclass
class Grid:
    """A workbook's sheets in order, keyed by name."""

    sheets: dict[str, SheetGrid] = field(default_factory=dict)
    engine: str = ""

    @property
    def names(self) -> list[str]:
        return list(self.sheets)

    def find(self, *names: str) -> SheetGrid | None:
        """The first sheet whose name matches one of `names` (ignoring spaces and full-width forms) — else the one
        sheet whose name holds one of them: a clerk's 「活动台账（11月）」 or 「11月基本信息」 is still that sheet (the
        reader says it read it under another name). Two such sheets (last month's kept beside this month's) are no
        match: which one is meant cannot be told."""
        from .cells import label_key

        wanted = {label_key(n) for n in names}
        for name, sheet in self.sheets.items():
            if label_key(name) in wanted:
                return sheet
        holding = [sheet for name, sheet in self.sheets.items() if any(w and w in label_key(name) for w in wanted)]
        return holding[0] if len(holding) == 1 else None
