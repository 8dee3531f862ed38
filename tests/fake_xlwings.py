"""THE ONE MOCK IN THE SUITE: a stand-in for the small part of xlwings' Book/Sheet/Range API that kexie_xl.xl uses.

There is no Excel on these machines, so the Excel layer is driven through this stand-in. It keeps cell values,
colours, notes and hyperlinks in dictionaries, loaded from a real workbook file with python-calamine. It models
only what kexie_xl.xl calls; anything else raises AttributeError, so a new call into xlwings shows up here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

_CELL = re.compile(r"^([A-Z]+)(\d+)$")
WINDOWS_USER = "张丽"  # Excel's AddComment writes the Windows user as the author, not kexie_xl


class Formula(str):
    """A string Excel took for a formula."""


def _as_excel_parses(text: str) -> Any:
    import datetime

    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text.strip()):
        return datetime.datetime.strptime(text.strip(), "%Y-%m-%d")
    if len(text) > 1 and text[0] in "=+":
        return Formula(text)
    return text


def _rc(address: str) -> tuple[int, int]:
    letters, digits = _CELL.match(address).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits), col


class Note:
    def __init__(self, sheet: Sheet, key: tuple[int, int], text: str):
        self.sheet, self.key, self.text = sheet, key, text

    def delete(self) -> None:
        self.sheet.notes.pop(self.key, None)


class _Api:
    def __init__(self, rng: Range):
        self.rng = rng

    def AddComment(self, text: str) -> None:
        self.rng.sheet.notes[self.rng.key] = Note(self.rng.sheet, self.rng.key, text)


class Link:
    """A hyperlink as Excel keeps it: Address (a file or URL) and SubAddress (a place in this book)."""

    def __init__(self, address: str, sub_address: str, text: str):
        self.address, self.sub_address, self.text = address, sub_address, text


class _Hyperlinks:
    def __init__(self, sheet: Sheet):
        self.sheet = sheet

    def Add(self, Anchor: _Api, Address: str, SubAddress: str = "", TextToDisplay: str = "") -> None:
        assert Anchor.rng.sheet is self.sheet, "Excel refuses an anchor on another sheet"
        self.sheet.links[Anchor.rng.key] = Link(Address, SubAddress, TextToDisplay)


class _SheetApi:
    def __init__(self, sheet: Sheet):
        self.Hyperlinks = _Hyperlinks(sheet)


class _FileDialog:
    """msoFileDialogFolderPicker: Show() is -1 when the clerk picked `app.picked_folder`, 0 on cancel."""

    def __init__(self, app: App, kind: int):
        assert kind == 4, "only the folder picker is used"
        self.app, self.Title, self.AllowMultiSelect = app, "", True

    def Show(self) -> int:
        self.app.dialogs.append(self.Title)
        return 0 if self.app.picked_folder is None else -1

    def SelectedItems(self, index: int) -> str:
        assert index == 1 and self.app.picked_folder is not None
        return str(self.app.picked_folder)


class _AppApi:
    def __init__(self, app: App):
        self.app = app

    def FileDialog(self, kind: int) -> _FileDialog:
        return _FileDialog(self.app, kind)


class Range:
    def __init__(self, sheet: Sheet, first: tuple[int, int], last: tuple[int, int] | None = None):
        self.sheet, self.key, self.last = sheet, first, last or first

    def options(self, ndim: int = 2) -> Range:
        return self

    @property
    def value(self) -> Any:
        (r1, c1), (r2, c2) = self.key, self.last
        return [[self.sheet.cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    @value.setter
    def value(self, rows: Any) -> None:
        """Like Excel: a string written into a cell not formatted as text 「@」 is parsed — a date-like string
        becomes a date, 「=…」/「+…」 a formula (kept here as Formula so tests can see it)."""
        r1, c1 = self.key
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                key = (r1 + i, c1 + j)
                if v in ("", None):
                    self.sheet.cells.pop(key, None)
                elif isinstance(v, str) and self.sheet.formats.get(key) != "@":
                    self.sheet.cells[key] = _as_excel_parses(v)
                else:
                    self.sheet.cells[key] = v

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get(self.key, "General")

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        (r1, c1), (r2, c2) = self.key, self.last
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self.sheet.formats[(r, c)] = fmt

    @property
    def color(self) -> tuple[int, int, int] | None:
        return self.sheet.colors.get(self.key)

    @color.setter
    def color(self, value: tuple[int, int, int] | None) -> None:
        if value is None:
            self.sheet.colors.pop(self.key, None)
        else:
            self.sheet.colors[self.key] = value

    @property
    def note(self) -> Note | None:
        return self.sheet.notes.get(self.key)

    @property
    def api(self) -> _Api:
        return _Api(self)

    def add_hyperlink(self, address: str, text_to_display: str | None = None) -> None:
        """xlwings' form: everything in Address (Excel may take 「#'表'!A1」 for a file name)."""
        self.sheet.links[self.key] = Link(address, "", text_to_display or address)

    @property
    def column_width(self) -> float:
        return self.sheet.widths.get(self.key[1], 8.43)

    @column_width.setter
    def column_width(self, width: float) -> None:
        self.sheet.widths[self.key[1]] = width

    @property
    def last_cell(self) -> Any:
        class Cell:
            row, column = self.last

        return Cell


class Sheet:
    def __init__(self, book: Book, name: str, rows: list[list[Any]] | None = None):
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], Any] = {}
        self.colors: dict[tuple[int, int], tuple[int, int, int]] = {}
        self.notes: dict[tuple[int, int], Note] = {}
        self.links: dict[tuple[int, int], Link] = {}
        self.api = _SheetApi(self)
        self.widths: dict[int, float] = {}
        self.formats: dict[tuple[int, int], str] = {}
        for r, row in enumerate(rows or [], start=1):
            for c, v in enumerate(row, start=1):
                if v not in ("", None):
                    self.cells[(r, c)] = v

    def range(self, first: Any, last: Any = None) -> Range:
        a = _rc(first) if isinstance(first, str) else tuple(first)
        b = (_rc(last) if isinstance(last, str) else tuple(last)) if last is not None else None
        return Range(self, a, b)

    @property
    def used_range(self) -> Range:
        rows = max((r for r, _c in self.cells), default=1)
        cols = max((c for _r, c in self.cells), default=1)
        return Range(self, (1, 1), (rows, cols))

    def activate(self) -> None:
        self.book.active = self.name

    def delete(self) -> None:
        self.book.sheets.items.remove(self)


class Sheets:
    def __init__(self, book: Book):
        self.book, self.items = book, []

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self.items))

    def __getitem__(self, key: str | int) -> Sheet:
        if isinstance(key, int):
            return self.items[key]
        return next(s for s in self.items if s.name == key)

    def add(self, name: str, after: Sheet | None = None) -> Sheet:
        sheet = Sheet(self.book, name)
        self.items.insert(self.items.index(after) + 1 if after else len(self.items), sheet)
        return sheet


class App:
    def __init__(self) -> None:
        self.screen_updating = True
        self.status_bar: Any = False
        self.alerts: list[str] = []
        self.status_history: list[Any] = []
        self.picked_folder: Path | None = None  # what the clerk picks in Excel's folder dialog (None: cancel)
        self.dialogs: list[str] = []
        self.api = _AppApi(self)

    def alert(self, prompt: str, title: str = "") -> None:
        self.alerts.append(prompt)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and hasattr(self, "status_history"):
            self.status_history.append(value)
        object.__setattr__(self, name, value)


class _BookApi:
    def __init__(self, book: Book):
        self.book = book

    def SaveCopyAs(self, path: str) -> None:
        """Like Excel: a copy of the book as it is now — values, fills, notes (authored by the Windows user, as
        AddComment does) and links — not of the file on disk."""
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import PatternFill
        from openpyxl.worksheet.hyperlink import Hyperlink

        wb = Workbook()
        wb.remove(wb.active)
        for sheet in self.book.sheets:
            ws = wb.create_sheet(sheet.name)
            for (r, c), value in sheet.cells.items():
                ws.cell(r, c, value)
            for (r, c), (red, green, blue) in sheet.colors.items():
                colour = f"FF{red:02X}{green:02X}{blue:02X}"
                ws.cell(r, c).fill = PatternFill("solid", fgColor=colour)
            for (r, c), note in sheet.notes.items():
                ws.cell(r, c).comment = Comment(note.text, WINDOWS_USER)
            for (r, c), link in sheet.links.items():
                ws.cell(r, c).hyperlink = Hyperlink(
                    ws.cell(r, c).coordinate, target=link.address or None, location=link.sub_address
                )
        wb.save(path)


class Book:
    """A workbook as Excel would hold it after opening `path` (values only)."""

    def __init__(self, path: Path, *, saved: bool = True):
        self.fullname = str(path) if saved else "工作簿1"  # Excel's fullname of a book never saved: no folder
        self.name = path.name if saved else "工作簿1"
        self.app = App()
        self.sheets = Sheets(self)
        self.active = ""
        self.api = _BookApi(self)
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            self.sheets.items.append(Sheet(self, name, wb.get_sheet_by_name(name).to_python()))
        wb.close()
