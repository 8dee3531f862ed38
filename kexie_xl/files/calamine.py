"""Edge adapter (files): a Grid from .xlsx/.xlsm/.xls via python-calamine — the fast path, values only.

calamine reads every cell whatever the sheet's `dimension` says (WPS writes A1:A1), returns the cached values
of formulas, dates as date/datetime and numbers as float. Empty cells come back as ''. Error values it loses
(python-calamine 0.9 reads #REF! as '' and rejects the whole sheet for #SPILL!, #CALC!, …), so for .xlsx/.xlsm
they are taken from the sheet XML and put back as their literal text, as the Grid expects (`_patches`).

A formula saved without its result (a workbook written or re-saved by a program that does not calculate, such as
openpyxl) also reads as '': the clerk sees a value in Excel, which calculates on opening, and the check would say
the cell is empty. Such a cell is put in the grid as `Uncalculated` (its formula), found in the same pass over the
sheet XML; only sheets that may hold a formula are searched (guard.py `may_need_patching`). A formula whose saved
result is a placeholder (xlsxwriter saves 0 unless told the value) cannot be told from a real 0 and reads as saved.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Collection
from pathlib import Path
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from ..read.cells import label_key
from ..read.grid import Grid, SheetGrid, Uncalculated
from ..schema.types import column_number
from .guard import may_need_patching

# Error values python-calamine knows; any other (#SPILL!, #CALC!, …) fails the sheet, so it is masked before reading.
KNOWN_ERRORS = (b"#REF!", b"#N/A", b"#VALUE!", b"#DIV/0!", b"#NAME?", b"#NULL!", b"#NUM!")
# The tags of cells, formulas and values (opening or closing, attributes, self-closing), found in one pass: a cell's
# parts are then read between them (<c r="F12" t="e"><f>…</f><v>#REF!</v></c>, attributes in any order, a namespace
# prefix allowed). No pattern spans from a tag to its end tag, so a sheet whose cells are never closed (damaged or
# hostile) costs one pass too, not one per cell.
_TAG = re.compile(rb"<(/?)(?:\w+:)?([cfv])\b([^>]*?)(/?)>")
_REF = re.compile(rb"""\br=["']([A-Z]+)(\d+)["']""")
_ERROR_TYPE = re.compile(rb"""\bt=["']e["']""")
_TEXT_TYPE = re.compile(rb"""\bt=["']str["']""")
_UNKNOWN_VALUE = re.compile(rb"(<(?:\w+:)?v>)(#[A-Z_/0-9!?]+)(</(?:\w+:)?v>)")
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


class UnreadableWorkbook(Exception):
    """calamine could not parse the file; the message is the reason, in Chinese."""


def read_grid(path: Path, skip: Collection[str] = (), clean_sheets: Collection[str] = ()) -> Grid:
    """Every worksheet's values, except sheets named in `skip` (listed, but left unparsed and empty).
    `clean_sheets`: worksheet parts already known to hold no error-typed cell (files/guard.py inspect).

    The file is closed before returning, so it can be replaced at once (Windows keeps open files locked).
    """
    skipped = {label_key(name) for name in skip}
    errors, formulas = _patches(path, skipped, clean_sheets)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        if any(e not in KNOWN_ERRORS for cells in errors.values() for e in cells.values()):
            wb.close()
            wb = CalamineWorkbook.from_filelike(io.BytesIO(_masked(path)))
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
            grid.sheets[meta.name] = sheet = SheetGrid(meta.name, rows, hidden=hidden)
            for (row, col), error in errors.get(meta.name, {}).items():
                sheet.put(row, col, error.decode("ascii", "replace"))
            for (row, col), formula in formulas.get(meta.name, {}).items():
                if sheet.value(row, col) == "":  # what calamine made of it; never over a value it read
                    sheet.put(row, col, formula)
    except Exception as exc:
        raise UnreadableWorkbook(_reason(exc)) from None
    finally:
        wb.close()
    return grid


_Errors = dict[str, dict[tuple[int, int], bytes]]  # sheet name → (row, column), 1-based → an error's literal
_Formulas = dict[str, dict[tuple[int, int], Uncalculated]]


def _patches(path: Path, skipped: set[str], clean: Collection[str] = ()) -> tuple[_Errors, _Formulas]:
    """The error cells (their literal, bytes) and the formulas saved without a result (`Uncalculated`) of an
    .xlsx/.xlsm, by sheet name and (row, column), 1-based; nothing for .xls or any surprise. Parts in `clean` are
    known to have neither."""
    errors: _Errors = {}
    formulas: _Formulas = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for name, part in _sheet_parts(zf).items():
                if label_key(name) in skipped or part in clean:
                    continue
                data = zf.read(part)
                if not may_need_patching(data):
                    continue  # the common case: no error cell and no formula, no pass over the cells
                found_errors, found_formulas = _cells_to_patch(data)
                if found_errors:
                    errors[name] = found_errors
                if found_formulas:
                    formulas[name] = found_formulas
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return {}, {}  # calamine reports what is wrong with the file
    return errors, formulas


_PIECE = 1 << 16


def _cells_to_patch(xml: bytes) -> tuple[dict[tuple[int, int], bytes], dict[tuple[int, int], Uncalculated]]:
    """The cells of sheet XML the engine does not read as they are, by (row, column): error-typed cells (t="e") with
    their literal (#REF!), and formulas with no saved result — no <v>, or an empty one, except in a text formula's
    cell (t="str"), where Excel saves an empty result (=IF(A2="","",…)) as <v></v>.

    Walked a piece at a time (~64 KB, each ending with a cell's end tag, so no cell is cut), and only the pieces that
    may hold either (`may_need_patching`): one formula in a 10,000-row ledger costs one piece, not the whole sheet
    (~0.8 s). A sheet written with a namespace prefix (</x:c>) is one piece."""
    errors: dict[tuple[int, int], bytes] = {}
    formulas: dict[tuple[int, int], Uncalculated] = {}
    start = 0
    while start < len(xml):
        end = xml.find(b"</c>", start + _PIECE)
        end = len(xml) if end < 0 else end + 4
        piece = xml[start:end]
        if may_need_patching(piece):
            _walk(piece, errors, formulas)
        start = end
    return errors, formulas


def _walk(xml: bytes, errors: dict[tuple[int, int], bytes], formulas: dict[tuple[int, int], Uncalculated]) -> None:
    """`_cells_to_patch` over whole cells of sheet XML, in one pass over its tags."""
    cell: bytes | None = None  # the open cell's attributes
    formula = value = None  # its formula's text and its value, as far as read
    start = 0  # where the open <f> or <v> element's text begins
    for tag in _TAG.finditer(xml):
        closing, name, attributes, empty = tag[1], tag[2], tag[3], tag[4]
        if name == b"c":
            if not closing and not empty:
                cell, formula, value = attributes, None, None
            elif closing and cell is not None:
                ref = _REF.search(cell)  # a cell without its address: calamine places it, this pass cannot
                where = (int(ref[2]), column_number(ref[1])) if ref is not None else None
                if where is None:
                    pass
                elif _ERROR_TYPE.search(cell):
                    if value:
                        errors[where] = value
                elif formula is not None and not value and (value is None or not _TEXT_TYPE.search(cell)):
                    formulas[where] = Uncalculated(html.unescape(formula.decode("utf-8", "replace")).strip())
                cell = None
        elif cell is None:
            continue  # an <xm:f> of Excel's x14 extensions, or a tag outside any cell
        elif closing:
            if name == b"f":
                formula = xml[start : tag.start()]
            else:
                value = xml[start : tag.start()]
        elif empty:
            if name == b"f":
                formula = b""  # a cell sharing another cell's formula
            else:
                value = b""
        else:
            start = tag.end()


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part, through workbook.xml and its relationships."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in book.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part in zf.NameToInfo:
            parts[sheet.get("name", "")] = part
    return parts


def _masked(path: Path) -> bytes:
    """A copy of the workbook whose unknown error values read as #N/A (their literals are put back afterwards)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        parts = set(_sheet_parts(zf).values())
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename in parts:
                data = _UNKNOWN_VALUE.sub(lambda m: m[0] if m[2] in KNOWN_ERRORS else m[1] + b"#N/A" + m[3], data)
            copy.writestr(info, data)
    return out.getvalue()


def _reason(exc: Exception) -> str:
    text = str(exc)
    lowered = text.lower()
    if "password" in lowered or "encrypt" in lowered:
        return "文件有打开密码"
    return f"文件结构损坏或格式不受支持（{text[:120]}）"
