"""The rows of a big table sheet, written as SpreadsheetML directly beside xlsxwriter, which writes the rest.

Why not xlsxwriter for them too: it spends ~10 µs per cell in Python (an attribute list, a dispatch on the cell's
class, an escape call per attribute); the city workbook's 活动明细 of a 200-unit month (~200,000 cells) took
2.5 s of a 4 s re-run. Here the rows are rendered a column at a time: a column whose values are all of one plain
kind is one list comprehension (well under 1 µs a cell), any other goes cell by cell. Texts go into xlsxwriter's
own shared string table (`t="s"`), as xlsxwriter writes them: it escapes them once each when it writes
sharedStrings.xml, and every reader reads shared strings (some, e.g. exceljs, read no inline strings at all).

The joint with xlsxwriter is thin and private (xlsxwriter has no public way to add pre-rendered rows):
`TableSheet`, a Worksheet subclass passed as `worksheet_class`, writes the rows xlsxwriter holds (the header) and
then the rendered rows inside <sheetData>, widens the sheet's <dimension>, and hands out shared-string indexes
(`SharedStringTable._get_shared_string_index`, what its own string writer calls). Styles are xlsxwriter Format
objects, referred to by the index xlsxwriter gives them (`Format._get_xf_index`, what its own cell writer calls).
tests/test_city_rows.py reads the result back with openpyxl, python-calamine and LibreOffice, cell by cell, against
the same values written through xlsxwriter's own cell writers.

xlsxwriter's shared string table has a trap: an entry that begins with "<r>" and ends with "</r>" is written as a
rich string's raw XML, so a unit's text of that shape came out empty or broke the file. `shared_text` stores such
a text as a rich string of one escaped plain run; `SafeTextSheet` closes the trap for cells written through
xlsxwriter.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..read.cells import EXCEL_CELL_MAX

_EXACT = 10**15  # an integer of fewer digits is written by str() exactly as xlsxwriter's %.16G writes it
_DAY0 = date(1899, 12, 31).toordinal()
_FIRST_PLAIN_DAY = date(1900, 3, 1)  # from here on a day's serial is its ordinal − _DAY0 + 1
_SHORT = EXCEL_CELL_MAX // 2  # a text this short fits a cell, however many of its characters count twice


class Strings(Protocol):
    """A text's index in the workbook's shared string table, the text referred to by `times` cells
    (TableSheet.shared)."""

    def __call__(self, text: str, times: int = 1) -> int: ...


@dataclass(frozen=True)
class Styles:
    """xlsxwriter's index of each style a table's cells use (Format._get_xf_index)."""

    text: int
    wrap: int
    whole: int  # a whole number
    decimal: int
    day: int
    status: dict[str, int]

    @classmethod
    def of(cls, text: Any, wrap: Any, whole: Any, decimal: Any, day: Any, status: dict[str, Any]) -> Styles:
        """The indexes of these xlsxwriter Formats (given in the order of the fields)."""
        index = {k: f._get_xf_index() for k, f in status.items()}
        return cls(
            text._get_xf_index(), wrap._get_xf_index(), whole._get_xf_index(), decimal._get_xf_index(), day._get_xf_index(), index
        )


@dataclass(frozen=True)
class Plan:
    """How each column of a table is written: its letter, its key in a row dict, its string style (text or
    wrapped), whether it is the status column (coloured by value)."""

    columns: tuple[tuple[str, str, bool, bool], ...]  # (letter, key, wrap, status)
    styles: Styles

    @classmethod
    def of(cls, keys: Iterable[str], styles: Styles, *, wrap: tuple[str, ...] = (), status_key: str | None = None) -> Plan:
        return cls(tuple((xl_col_to_name(c), k, k in wrap, k == status_key) for c, k in enumerate(keys)), styles)


def shared_text(text: str) -> str:
    """What the shared string table holds for `text`: the text as a cell holds it (cut visibly when longer,
    write/city.py `clip`) — or, for a text of the shape xlsxwriter writes as raw rich-string XML ("<r>…</r>"), a
    rich string of one plain run holding it, escaped, which every reader reads back as the text itself."""
    if len(text) > _SHORT:
        from .city import clip

        text = clip(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        return "<r><t>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</t></r>"
    return text


def _string(ref: str, style: int, text: str, strings: Strings) -> str:
    return f'<c r="{ref}" s="{style}" t="s"><v>{strings(shared_text(text))}</v></c>'


def serial(day: date) -> int:
    """Excel's serial number of a day, as xlsxwriter computes it (1900-01-01 is 1; from 1900-03-01 one more, for
    the 29 February 1900 Excel counts). The time of a datetime is not written: the tables hold days."""
    n = day.toordinal() - _DAY0
    return n + 1 if n > 59 else n


def _number(value: float) -> float | None:
    """`value` as the double a cell holds, or None when no double holds it exactly."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number == value else None


def _cell(ref: str, value: Any, style: int, wrap: bool, status: bool, st: Styles, strings: Strings) -> str:
    """One cell of any value: the general case, for a column whose values are not all of one plain kind."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _string(ref, st.status.get(value, style) if status else style, value, strings)
    if isinstance(value, bool):
        return _string(ref, style, "是" if value else "否", strings)
    if isinstance(value, (int, float)):
        number = _number(value)
        if number is None:
            return _string(ref, style, str(value), strings)
        return f'<c r="{ref}" s="{style if wrap else st.whole if number.is_integer() else st.decimal}"><v>{number:.16G}</v></c>'
    if isinstance(value, date):  # a datetime too: its day
        return f'<c r="{ref}" s="{style if wrap else st.day}"><v>{serial(value)}</v></c>'
    return _string(ref, style, str(value), strings)


def _column(values: list[Any], letter: str, first: int, wrap: bool, status: bool, st: Styles, strings: Strings) -> list[str]:
    """The cells of one column, a string per row ("" for an empty cell). A column whose values are all of one
    plain kind (texts, integers a double holds, finite decimals, days from 1900-03-01) is written by one
    comprehension; any other goes cell by cell through `_cell`. Both write the same XML for the same value."""
    style = st.wrap if wrap else st.text
    present = [v for v in values if v is not None]
    kinds = set(map(type, present))
    if not kinds:
        return [""] * len(values)
    if kinds == {str}:
        # each distinct text looked up once, in the order of its first cell (the order the cells would add them),
        # counted for every cell that refers to it (<sst count>)
        index = {v: strings(shared_text(v), n) for v, n in Counter(v for v in values if v).items()}
        if status:
            pick = st.status.get
            return [
                f'<c r="{letter}{n}" s="{pick(v, style)}" t="s"><v>{index[v]}</v></c>' if v else ""
                for n, v in enumerate(values, first)
            ]
        tail = f'" s="{style}" t="s"><v>'
        return [f'<c r="{letter}{n}{tail}{index[v]}</v></c>' if v else "" for n, v in enumerate(values, first)]
    if kinds == {int} and min(present) > -_EXACT and max(present) < _EXACT:
        tail = f'" s="{style if wrap else st.whole}"><v>'
        return [f'<c r="{letter}{n}{tail}{v}</v></c>' if v is not None else "" for n, v in enumerate(values, first)]
    if kinds == {float} and all(map(math.isfinite, present)):
        whole, part = (style, style) if wrap else (st.whole, st.decimal)
        return [
            f'<c r="{letter}{n}" s="{whole if v.is_integer() else part}"><v>{v:.16G}</v></c>' if v is not None else ""
            for n, v in enumerate(values, first)
        ]
    if kinds == {date} and min(present) >= _FIRST_PLAIN_DAY:
        tail, shift = f'" s="{style if wrap else st.day}"><v>', _DAY0 - 1
        return [
            f'<c r="{letter}{n}{tail}{v.toordinal() - shift}</v></c>' if v is not None else ""
            for n, v in enumerate(values, first)
        ]
    return [_cell(f"{letter}{n}", v, style, wrap, status, st, strings) for n, v in enumerate(values, first)]


def render(rows: Sequence[dict[str, Any]], plan: Plan, first_row: int, strings: Strings) -> list[str]:
    """Each row as a <row> element numbered from `first_row` (1-based, as in the file); a row with no value is ""
    (its number is kept: the rows below stay where xlsxwriter would have put them). Texts go into the workbook's
    shared string table through `strings` (TableSheet.shared).

    Values are written as the city workbook's other cells are (write/city.py `_Book.cell`): text as text, never a
    formula; True/False as 是/否; a number with the integer or one-decimal style; a day as a date; anything else
    as its text. A number Excel cannot hold exactly (not finite, or an integer of more digits than a double keeps)
    is written as its text rather than altered. Rendered a column at a time (`_column`), then joined by row."""
    st = plan.styles
    columns = [
        _column([row.get(key) for row in rows], letter, first_row, wrap, status, st, strings)
        for letter, key, wrap, status in plan.columns
    ]
    out = []
    for n, cells in enumerate(zip(*columns, strict=True), first_row):
        body = "".join(cells)
        out.append(f'<row r="{n}">{body}</row>' if body else "")
    return out


class SafeTextSheet(Worksheet):
    """A worksheet whose every string cell is written literally. xlsxwriter takes a string that begins with "<r>"
    and ends with "</r>" as a rich string's raw XML: a unit's text of that shape came out empty, or broke the file.
    Such a text goes as a rich string of plain runs instead, which reads back as the same text. Every string write
    of xlsxwriter (write, write_row, write_string, a link's text) passes through `_write_string`."""

    def _write_string(self, row: int, col: int, string: str, cell_format: Any = None) -> int:
        if isinstance(string, str) and string.startswith("<r>") and string.endswith("</r>"):
            runs = (string[:1], string[1:2], string[2:])  # xlsxwriter wants more than two
            return int(self._write_rich_string(row, col, *runs, *((cell_format,) if cell_format is not None else ())))
        return int(super()._write_string(row, col, string, cell_format))


class TableSheet(SafeTextSheet):
    """A worksheet whose data rows after its header are rendered here (`add_rows`); see the module's doc."""

    def __init__(self) -> None:
        super().__init__()
        self._tail: list[str] = []
        self._tail_first: int | None = None  # 0-based row of the first rendered row

    def shared(self, text: str, times: int = 1) -> int:
        """`text`'s index in the workbook's shared string table (added if new), for `render`; `times` cells refer
        to it (the table's count of references, as xlsxwriter keeps it a call per cell)."""
        index = int(self.str_table._get_shared_string_index(text))
        self.str_table.count += times - 1
        return index

    def add_rows(self, rendered: list[str], first_row: int, last_col: int) -> int:
        """Add rows rendered from 0-based `first_row` on (`render(…, first_row + 1)`), below every row xlsxwriter
        holds; the number added."""
        if self._tail_first is not None:
            raise ValueError("rendered rows are added once per sheet")
        self._tail = rendered
        if rendered:
            self._tail_first = first_row
            self._check_dimensions(first_row + len(rendered) - 1, last_col)
        return len(rendered)

    def _write_rows(self) -> None:
        if self._tail_first is None:
            super()._write_rows()
            return
        first = self._tail_first
        held = [r for r, cells in self.table.items() if cells and r >= first] + [r for r in self.row_info if r >= first]
        if held:  # a cell written through xlsxwriter among the rendered rows would be lost: refuse, never drop
            raise ValueError(f"row {min(held) + 1} holds both rendered rows and cells written through xlsxwriter")
        last = self.dim_rowmax  # type: ignore[has-type]  # xlsxwriter leaves it unannotated
        self.dim_rowmax = self._tail_first - 1  # xlsxwriter writes the rows it holds (all above ours)...
        try:
            if self.dim_rowmax >= self.dim_rowmin:
                super()._write_rows()
        finally:
            self.dim_rowmax = last
        write = self.fh.write
        for row in self._tail:  # ...then ours
            if row:
                write(row)
