"""Excel layer: the live workbook behind xlwings — a Grid read in bulk, marks and tool sheets written in bulk.

This module and buttons.py are the only places that touch the xlwings object model (Book, Sheet, Range); they
use a small part of it, so the tests drive them through a stand-in of that part (tests/fake_xlwings.py).
"""

from __future__ import annotations

from typing import Any

from ..api import FILL, NOTE_PREFIX, TOOL_SHEETS, CellMark, Grid, Restore, SheetGrid, ToolSheet, is_ours


def read_grid(book: Any) -> Grid:
    """Every sheet's values in one read per sheet (used range from A1), as the file readers give them."""
    grid = Grid(engine="xlwings")
    for sheet in book.sheets:
        if sheet.name in TOOL_SHEETS:
            continue
        last = sheet.used_range.last_cell
        values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value or []
        rows = [["" if v is None else v for v in row] for row in values]
        grid.sheets[sheet.name] = SheetGrid(sheet.name, rows)
    return grid


def _hex(argb: str) -> tuple[int, int, int]:
    return int(argb[2:4], 16), int(argb[4:6], 16), int(argb[6:8], 16)


def clear_marks(book: Any) -> None:
    """Restore the cells earlier runs coloured (in Excel or in a file: one restore format), drop only the notes
    kexie_xl wrote, and delete the tool's sheets."""
    names = [s.name for s in book.sheets]
    for tool in TOOL_SHEETS:
        if tool not in names:
            continue
        values = book.sheets[tool].used_range.options(ndim=2).value or []
        for row in values:
            for value in row:
                found = Restore.parse(value)
                if found is None or found.sheet not in names:
                    continue
                rng = book.sheets[found.sheet].range(found.cell)
                rng.color = _hex("FF" + found.fill) if found.fill else None  # unknown (old file marks): no fill
                note = rng.note
                if note is not None and is_ours(note.text):
                    note.delete()
        book.sheets[tool].delete()


def apply_marks(book: Any, marks: list[CellMark], sheets: list[ToolSheet]) -> None:
    """Add the tool sheets (the first keeps what to restore), then colour and annotate the marked cells.

    The restore list is written before any cell is touched, so `clear_marks` can always undo a run that failed
    half-way: the clerk never keeps a half-marked workbook.
    """
    restore = []
    for mark in marks:
        before = book.sheets[mark.sheet].range(mark.cell).color
        fill = "" if before is None else "{:02X}{:02X}{:02X}".format(*before)
        restore.append(Restore(mark.sheet, mark.cell, fill=fill).text())
    _add_tool_sheets(book, sheets, restore)
    for mark in marks:
        rng = book.sheets[mark.sheet].range(mark.cell)
        rng.color = _hex(FILL[mark.severity])
        _set_note(rng, f"{NOTE_PREFIX}{mark.note}")


def replace_marks(book: Any, marks: list[CellMark], sheets: list[ToolSheet]) -> None:
    """Remove the earlier marks and apply these; if anything fails, the book is left without marks at all."""
    clear_marks(book)
    try:
        apply_marks(book, marks, sheets)
    except Exception:
        clear_marks(book)
        raise


def _add_tool_sheets(book: Any, sheets: list[ToolSheet], restore: list[str]) -> None:
    for n, tool in enumerate(sheets):
        rows: list[list[Any]] = [[line] for line in tool.lines] + [[]] + [list(tool.header)]
        rows += [list(r) for r in tool.rows]
        width = max(len(r) for r in rows)
        extra = restore if n == 0 else []
        table = [r + [""] * (width - len(r)) + [extra[i] if i < len(extra) else ""] for i, r in enumerate(rows)]
        table += [[""] * width + [value] for value in extra[len(rows) :]]
        sheet = book.sheets.add(tool.name, after=book.sheets[-1])
        # text stays text: without the 「@」 format Excel re-reads 「2026-11-05」 as a date and 「=…」/「+86…」 as formulas
        sheet.range((1, 1), (len(table), width + 1)).number_format = "@"
        sheet.range("A1").value = table  # one bulk write
        head = len(tool.lines) + 2
        for r, c, argb in tool.fills:
            sheet.range((head + 1 + r, c + 1)).color = _hex(argb)
        for r, c, target, cell in tool.links:
            _link(sheet, (head + 1 + r, c + 1), target, cell)
        sheet.range((1, width + 1)).column_width = 0  # the restore column stays out of sight


def _set_note(rng: Any, text: str) -> None:
    """Our note on the cell — never over the clerk's own note (the fill and 校验结果 still point at the cell)."""
    note = rng.note
    if note is None:
        rng.api.AddComment(text)  # xlwings has no "add note": Excel's own AddComment (Windows)
    elif is_ours(note.text):
        note.text = text


def _link(sheet: Any, where: tuple[int, int], target: str, cell: str) -> None:
    """A link to a cell of this book, as Excel follows it: SubAddress (xlwings' add_hyperlink puts everything in
    Address, which Excel may treat as a file). A quote in the sheet name is doubled, as in a formula."""
    anchor = sheet.range(where)
    quoted = target.replace("'", "''")
    sheet.api.Hyperlinks.Add(Anchor=anchor.api, Address="", SubAddress=f"'{quoted}'!{cell}", TextToDisplay=cell)
