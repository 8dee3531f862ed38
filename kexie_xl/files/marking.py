"""Edge adapter (files): write CellMarks and the tool's sheets (校验结果, 季度达标) into a copy of a workbook.

Only the parts that carry marks change: the marked sheets' XML (a style index per marked cell), styles.xml
(one fill per colour, one cloned cell format per marked format), the comments and VML parts, and the new
sheets. Images, charts, x14 validations, VBA and everything else are copied untouched. Marking again first
removes every earlier mark (the original format of each marked cell is kept, prefixed with RESTORE, in a hidden
column of the first tool sheet), so marking twice gives the same file.

Each sheet's rows and each style list are indexed once, so marking costs one pass over the sheet plus a little
per finding, never findings × rows (tests/test_marking_scale.py counts it).
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from ..schema.types import column_letter
from ..write.marks import FILL, NOTE_AUTHOR, NOTE_PREFIX, RESTORE, TOOL_SHEETS, CellMark, Restore, ToolSheet, is_ours
from .package import CT_COMMENTS, CT_VML, CT_WORKSHEET, NS, REL_COMMENTS, REL_VML, REL_WORKSHEET, Package, S, parse

AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
_CELL = re.compile(r"^([A-Z]+)(\d+)$")
SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
VML_NS = (
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"'
)


def write_marked(source: Path, target: Path, marks: Sequence[CellMark], tool_sheets: Sequence[ToolSheet]) -> None:
    """Read `source`, replace every earlier mark with `marks` and `tool_sheets`, save to `target`."""
    pkg = Package(source)
    styles = _Styles(pkg)
    cells = _Cells(pkg)
    _unmark(pkg, cells, styles)
    sheets = {name: part for name, part, _ in pkg.sheets()}
    restore: list[str] = []
    by_sheet: dict[str, list[CellMark]] = {}
    for mark in marks:
        if mark.sheet in sheets and mark.sheet not in TOOL_SHEETS:
            by_sheet.setdefault(mark.sheet, []).append(mark)
    for name, sheet_marks in by_sheet.items():
        part = sheets[name]
        restore += _fill_cells(cells, part, name, sheet_marks, styles)
        _notes(pkg, part, sheet_marks)
    for n, tool_sheet in enumerate(tool_sheets):
        _add_tool_sheet(pkg, tool_sheet, restore if n == 0 else [], styles)
    pkg.save(target)


# Cells and styles


class _Styles:
    """styles.xml's fills and cell formats, each looked up through a dict built once (not scanned per mark)."""

    def __init__(self, pkg: Package):
        self.root = pkg.xml("xl/styles.xml")
        self.fills = self._child("fills")
        self.xfs = self._child("cellXfs")
        self.fonts = self._child("fonts")
        self._fill_ids: dict[str, int] | None = None  # ARGB of a solid fill → its first index
        self._xf_list: list[etree._Element] | None = None
        self._xf_ids: dict[bytes, int] = {}  # a cell format as XML → its first index
        self._marked: dict[tuple[int, int], int] = {}  # (base format, fill) → marked format

    def _child(self, tag: str) -> etree._Element:
        node = self.root.find(f"s:{tag}", NS)
        if node is None:
            raise ValueError(f"styles.xml has no <{tag}>")
        return node

    def fill(self, argb: str) -> int:
        if self._fill_ids is None:
            self._fill_ids = {}
            for i, fill in enumerate(self.fills.findall("s:fill", NS)):
                fg = fill.find("s:patternFill/s:fgColor", NS)
                pattern = fill.find("s:patternFill", NS)
                if fg is not None and pattern.get("patternType") == "solid":
                    self._fill_ids.setdefault(fg.get("rgb"), i)
        if argb not in self._fill_ids:
            self._fill_ids[argb] = len(self.fills.findall("s:fill", NS))
            fill = etree.SubElement(self.fills, f"{{{S}}}fill")
            pattern = etree.SubElement(fill, f"{{{S}}}patternFill", patternType="solid")
            etree.SubElement(pattern, f"{{{S}}}fgColor", rgb=argb)
            etree.SubElement(pattern, f"{{{S}}}bgColor", indexed="64")
            self._count(self.fills)
        return self._fill_ids[argb]

    def marked(self, base: int, fill_id: int) -> int:
        """A cell format equal to `base` but with `fill_id`; reused when an identical one exists."""
        xfs = self._xfs()
        source = base if base < len(xfs) else 0
        if source < 0:
            source += len(xfs)  # a negative index counts from the end, as Python's list did before
        key = (source, fill_id)
        if key not in self._marked:
            wanted = copy.deepcopy(xfs[source])
            wanted.set("fillId", str(fill_id))
            wanted.set("applyFill", "1")
            found = self._xf_ids.get(etree.tostring(wanted))
            if found is None:
                found = self._add_xf(wanted)
            self._marked[key] = found
        return self._marked[key]

    def fill_of(self, xf_index: int) -> str | None:
        """The fill of a cell format as the Excel layer sees it: "RRGGBB" for a solid RGB fill, "" for none,
        None for what a colour cannot express (theme colours, patterns)."""
        xfs = self._xfs()
        if not 0 <= xf_index < len(xfs):
            return ""
        fills = self.fills.findall("s:fill", NS)
        fill_id = int(xfs[xf_index].get("fillId", "0") or 0)
        pattern = fills[fill_id].find("s:patternFill", NS) if 0 <= fill_id < len(fills) else None
        if pattern is None or pattern.get("patternType", "none") == "none":
            return ""
        fg = pattern.find("s:fgColor", NS)
        rgb = fg.get("rgb") if fg is not None else None
        if pattern.get("patternType") == "solid" and rgb and len(rgb) == 8:
            return rgb[2:].upper()
        return None

    def coloured(self, argb: str) -> int:
        """A plain cell format with a solid fill (status colours in 季度达标)."""
        return self.marked(0, self.fill(argb))

    def bold(self) -> int:
        """A cell format with a bold font (for the 校验结果 header)."""
        fonts = self.fonts.findall("s:font", NS)
        font_id = next((i for i, f in enumerate(fonts) if f.find("s:b", NS) is not None and len(f) == 1), None)
        if font_id is None:
            font = etree.SubElement(self.fonts, f"{{{S}}}font")
            etree.SubElement(font, f"{{{S}}}b")
            font_id = self._count(self.fonts)
        wanted = {"numFmtId": "0", "fontId": str(font_id), "fillId": "0", "borderId": "0", "xfId": "0", "applyFont": "1"}
        for i, existing in enumerate(self._xfs()):
            if dict(existing.attrib) == wanted and len(existing) == 0:
                return i
        return self._add_xf(etree.Element(f"{{{S}}}xf", wanted))

    def _xfs(self) -> list[etree._Element]:
        """The cell formats in order, read once; `_xf_ids` knows each one's first index by its XML."""
        if self._xf_list is None:
            self._xf_list = self.xfs.findall("s:xf", NS)
            for i, xf in enumerate(self._xf_list):
                self._xf_ids.setdefault(etree.tostring(xf), i)
        return self._xf_list

    def _add_xf(self, xf: etree._Element) -> int:
        """Append a cell format to <cellXfs>; returns its index."""
        xfs = self._xfs()
        self.xfs.append(xf)
        xfs.append(xf)
        self._xf_ids.setdefault(etree.tostring(xf), len(xfs) - 1)
        self._count(self.xfs)
        return len(xfs) - 1

    @staticmethod
    def _count(parent: etree._Element) -> int:
        parent.set("count", str(len(parent)))
        return len(parent) - 1


def _split(cell: str) -> tuple[int, int]:
    match = _CELL.match(cell)
    if not match:
        raise ValueError(cell)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)), col


class _Cells:
    """The <c> elements of the package's sheets; each sheet is indexed once, on its first lookup."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.sheets: dict[str, _SheetIndex] = {}

    def node(self, part: str, ref: str) -> etree._Element:
        """The <c> element for `ref`, created in row and column order when the cell is empty."""
        row_no, col_no = _split(ref)
        if part not in self.sheets:
            sheet = self.pkg.xml(part)
            self.pkg.put_xml(part, sheet)
            self.sheets[part] = _SheetIndex(sheet.find("s:sheetData", NS))
        return self.sheets[part].node(ref, row_no, col_no)


class _SheetIndex:
    """One sheet's rows by number and, for each row looked at, its cells by column; new ones go in order.

    A lookup finds what a scan from the top would: the first row numbered at least r, the first cell further
    right. Only for rows out of order (or a row's cells out of order) does it scan, as Excel never writes them.
    """

    def __init__(self, data: etree._Element):
        self.data = data
        self.rows = data.findall("s:row", NS)
        self.numbers = _ascending(self.rows, _row_number)
        self.cells: dict[etree._Element, _RowIndex | None] = {}

    def node(self, ref: str, row_no: int, col_no: int) -> etree._Element:
        row = self._row(row_no) if self.numbers is not None else _scan_rows(self.data, row_no)
        if row not in self.cells:
            self.cells[row] = _RowIndex.build(row)
        index = self.cells[row]
        return index.node(ref, col_no) if index is not None else _scan_cells(row, ref, col_no)

    def _row(self, row_no: int) -> etree._Element:
        assert self.numbers is not None  # node() takes this path only for rows in ascending order
        pos = bisect_left(self.numbers, row_no)
        if pos < len(self.rows) and self.numbers[pos] == row_no:
            return self.rows[pos]
        if pos < len(self.rows):
            row = etree.Element(f"{{{S}}}row", r=str(row_no))
            self.rows[pos].addprevious(row)
        else:
            row = etree.SubElement(self.data, f"{{{S}}}row", r=str(row_no))
        self.rows.insert(pos, row)
        self.numbers.insert(pos, row_no)
        return row


class _RowIndex:
    """One row's cells that carry a reference, in order, with their columns and the first cell of each reference."""

    def __init__(self, row: etree._Element, cells: list[etree._Element], columns: list[int]):
        self.row = row
        self.cells = cells
        self.columns = columns
        self.by_ref: dict[str, etree._Element] = {}
        for c in cells:
            self.by_ref.setdefault(c.get("r"), c)

    @classmethod
    def build(cls, row: etree._Element) -> _RowIndex | None:
        """The index, or None when a reference is malformed or the cells are out of order."""
        cells = [c for c in row.findall("s:c", NS) if c.get("r")]
        columns = _ascending(cells, lambda c: _split(c.get("r"))[1])
        return cls(row, cells, columns) if columns is not None else None

    def node(self, ref: str, col_no: int) -> etree._Element:
        if ref in self.by_ref:
            return self.by_ref[ref]
        pos = bisect_right(self.columns, col_no)
        if pos < len(self.cells):
            node = etree.Element(f"{{{S}}}c", r=ref)
            self.cells[pos].addprevious(node)
        else:
            node = etree.SubElement(self.row, f"{{{S}}}c", r=ref)
        self.cells.insert(pos, node)
        self.columns.insert(pos, col_no)
        self.by_ref[ref] = node
        return node


def _row_number(row: etree._Element) -> int:
    return int(row.get("r", "0"))


def _ascending(nodes: list[etree._Element], key: Callable[[etree._Element], int]) -> list[int] | None:
    """The keys of `nodes` when they never decrease; None when one is out of order or cannot be read."""
    try:
        keys = [key(node) for node in nodes]
    except ValueError:
        return None
    return keys if all(a <= b for a, b in pairwise(keys)) else None


def _scan_rows(data: etree._Element, row_no: int) -> etree._Element:
    """The first row numbered at least `row_no` (a new one before it unless it has that number), by scanning."""
    for candidate in data.findall("s:row", NS):
        r = _row_number(candidate)
        if r == row_no:
            return candidate
        if r > row_no:
            row = etree.Element(f"{{{S}}}row", r=str(row_no))
            candidate.addprevious(row)
            return row
    return etree.SubElement(data, f"{{{S}}}row", r=str(row_no))


def _scan_cells(row: etree._Element, ref: str, col_no: int) -> etree._Element:
    """The cell `ref` of `row`, or a new one before the first cell further right, by scanning."""
    for c in row.findall("s:c", NS):
        ref_here = c.get("r")
        if ref_here == ref:
            return c
        if ref_here and _split(ref_here)[1] > col_no:
            node = etree.Element(f"{{{S}}}c", r=ref)
            c.addprevious(node)
            return node
    return etree.SubElement(row, f"{{{S}}}c", r=ref)


def _fill_cells(cells: _Cells, part: str, sheet_name: str, marks: list[CellMark], styles: _Styles) -> list[str]:
    restore = []
    for mark in marks:
        node = cells.node(part, mark.cell)
        base = int(node.get("s", "0"))
        node.set("s", str(styles.marked(base, styles.fill(FILL[mark.severity]))))
        restore.append(Restore(sheet_name, mark.cell, base, styles.fill_of(base)).text())
    return restore


# Notes (comments + their VML shapes)


def _notes(pkg: Package, part: str, marks: list[CellMark]) -> None:
    sheet = pkg.xml(part)
    existing = pkg.related(part, REL_COMMENTS)
    if existing:
        comments_part = existing[0][1]
        comments = pkg.xml(comments_part)
    else:
        comments_part = pkg.unused("xl/comments{}.xml")
        comments = parse(f'<comments xmlns="{S}"><authors/><commentList/></comments>'.encode())
        pkg.relate(part, REL_COMMENTS, comments_part)
        pkg.content_type(comments_part, CT_COMMENTS)
    authors = comments.find("s:authors", NS)
    names = [a.text for a in authors.findall("s:author", NS)]
    if NOTE_AUTHOR not in names:
        etree.SubElement(authors, f"{{{S}}}author").text = NOTE_AUTHOR
        names.append(NOTE_AUTHOR)
    author_id = str(names.index(NOTE_AUTHOR))
    listing = comments.find("s:commentList", NS)
    taken = {c.get("ref") for c in listing.findall("s:comment", NS)}
    added = []
    for mark in marks:
        if mark.cell in taken:
            continue  # the clerk's own note stays; the fill and 校验结果 still point at the cell
        node = etree.SubElement(listing, f"{{{S}}}comment", ref=mark.cell, authorId=author_id)
        text = etree.SubElement(node, f"{{{S}}}text")
        run = etree.SubElement(text, f"{{{S}}}r")
        props = etree.SubElement(run, f"{{{S}}}rPr")
        etree.SubElement(props, f"{{{S}}}sz", val="9")
        t = etree.SubElement(run, f"{{{S}}}t")
        t.text = f"{NOTE_PREFIX}{mark.note}"
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        added.append(mark.cell)
    pkg.put_xml(comments_part, comments)
    _vml(pkg, part, sheet, [c.get("ref") for c in listing.findall("s:comment", NS)], set(added))
    pkg.put_xml(part, sheet)


def _vml(pkg: Package, part: str, sheet: etree._Element, refs: list[str], ours: set[str]) -> None:
    """Write the VML shapes Excel needs to show notes; an existing drawing keeps its head and other shapes."""
    parts = sorted(p for _n, p, _e in pkg.sheets())
    block = 100 + (parts.index(part) if part in parts else len(parts))  # far from the blocks Excel assigns
    shapes = "".join(_shape(ref, 1024 * block + 1 + i) for i, ref in enumerate(r for r in refs if r in ours))
    existing = pkg.related(part, REL_VML)
    if existing:
        vml_part = existing[0][1]
        text = pkg.data.get(vml_part, b"").decode("utf-8", errors="replace")
        head = text.split("<v:shape ", 1)[0] if "<v:shape " in text else text.rsplit("</xml>", 1)[0]
        if "_x0000_t202" not in head:
            head += SHAPETYPE
        pkg.put_bytes(vml_part, (head + _foreign_shapes(text.encode("utf-8"), ours) + shapes + "</xml>").encode())
        return
    vml_part = pkg.unused("xl/drawings/vmlDrawing{}.vml")
    rid = pkg.relate(part, REL_VML, vml_part)
    node = etree.Element(f"{{{S}}}legacyDrawing")
    node.set(f"{{{NS['r']}}}id", rid)
    anchor = next((found for tag in AFTER_LEGACY if (found := sheet.find(f"s:{tag}", NS)) is not None), None)
    if anchor is not None:
        anchor.addprevious(node)
    else:
        sheet.append(node)
    pkg.default_type("vml", CT_VML)
    blocks = ",".join(str(block + k) for k in range(1 + len(refs) // 1000))
    head = f'<xml {VML_NS}><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{blocks}"/></o:shapelayout>' + SHAPETYPE
    pkg.put_bytes(vml_part, (head + shapes + "</xml>").encode("utf-8"))


def _foreign_shapes(data: bytes, ours: set[str]) -> str:
    """The <v:shape> elements of an existing drawing that are not kexie_xl notes, as text: ours carry our alt
    text, or (once Excel re-saved the book) sit on a cell in `ours`."""
    text = data.decode("utf-8", errors="replace")
    shapes = re.findall(r"<v:shape\b(?![a-z]).*?</v:shape>", text, flags=re.S)
    return "".join(s for s in shapes if f'alt="{NOTE_AUTHOR}"' not in s and _shape_cell(s) not in ours)


def _shape_cell(shape: str) -> str:
    row = re.search(r"<x:Row>(\d+)</x:Row>", shape)
    col = re.search(r"<x:Column>(\d+)</x:Column>", shape)
    return f"{column_letter(int(col[1]) + 1)}{int(row[1]) + 1}" if row and col else ""


def _shape(ref: str, shape_id: int) -> str:
    row, col = _split(ref)
    anchor = f"{col}, 15, {max(row - 2, 0)}, 10, {col + 3}, 15, {row + 3}, 4"
    return (
        f'<v:shape id="_x0000_s{shape_id}" alt="{NOTE_AUTHOR}" type="#_x0000_t202" '
        'style="position:absolute;margin-left:80pt;margin-top:2pt;width:220pt;height:90pt;z-index:1;'
        'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column></x:ClientData></v:shape>"
    )


# Undo earlier marks


def _unmark(pkg: Package, cells: _Cells, styles: _Styles) -> None:
    """Remove every earlier mark: restore cell formats, drop the tool's notes and its sheets."""
    sheets = {name: part for name, part, _ in pkg.sheets()}
    tool_parts = [(name, sheets[name]) for name in TOOL_SHEETS if name in sheets]
    for _name, part in tool_parts:
        for entry in _restore_entries(pkg, pkg.xml(part)):
            found = Restore.parse(entry)
            if found is None or found.sheet not in sheets:
                continue
            node = cells.node(sheets[found.sheet], found.cell)
            if found.style is not None:
                style = found.style
            elif found.fill is not None:  # marked in Excel, then saved: put the cell's own fill back
                current = int(node.get("s", "0"))
                style = styles.marked(current, styles.fill("FF" + found.fill) if found.fill else 0)
            else:
                continue
            if style == 0:
                node.attrib.pop("s", None)
            else:
                node.set("s", str(style))
    for name, part in sheets.items():
        if name not in TOOL_SHEETS:
            _drop_notes(pkg, part)
    for name, part in tool_parts:
        _drop_sheet(pkg, name, part)


def _restore_entries(pkg: Package, sheet: etree._Element) -> list[str]:
    """The restore records of a tool sheet: inline strings as written here, or shared strings once Excel or
    LibreOffice saved the book."""
    texts = [t.text or "" for t in sheet.iterfind(".//s:sheetData/s:row/s:c/s:is/s:t", NS)]
    for _rid, shared_part in pkg.related("xl/workbook.xml", f"{NS['r']}/sharedStrings")[:1]:
        shared = ["".join(t.text or "" for t in si.iterfind(".//s:t", NS)) for si in pkg.xml(shared_part).findall("s:si", NS)]
        for v in sheet.iterfind(".//s:sheetData/s:row/s:c[@t='s']/s:v", NS):
            if (v.text or "").isdigit() and int(v.text or "") < len(shared):
                texts.append(shared[int(v.text or "")])
    return [text for text in texts if text.startswith(RESTORE)]


def _drop_notes(pkg: Package, sheet_part: str) -> None:
    for rid, comments_part in pkg.related(sheet_part, REL_COMMENTS):
        comments = pkg.xml(comments_part)
        names = [a.text for a in comments.findall("s:authors/s:author", NS)]
        ours = str(names.index(NOTE_AUTHOR)) if NOTE_AUTHOR in names else None
        listing = comments.find("s:commentList", NS)
        removed = set()
        for c in listing.findall("s:comment", NS):
            text = "".join(t.text or "" for t in c.iterfind(".//s:t", NS))
            if c.get("authorId") == ours or is_ours(text):  # ours by author, or by text once Excel re-saved it
                removed.add(c.get("ref"))
                listing.remove(c)
        if not removed:
            continue
        if len(listing) == 0:
            _remove_notes_parts(pkg, sheet_part, rid, comments_part)
        else:
            pkg.put_xml(comments_part, comments)
            for _vid, vml_part in pkg.related(sheet_part, REL_VML):
                keep = _foreign_shapes(pkg.data.get(vml_part, b""), removed)
                head = pkg.data[vml_part].decode("utf-8", errors="replace").split("<v:shape ", 1)[0]
                pkg.put_bytes(vml_part, (head + keep + "</xml>").encode("utf-8"))


def _remove_notes_parts(pkg: Package, sheet_part: str, rid: str, comments_part: str) -> None:
    pkg.unrelate(sheet_part, rid)
    pkg.remove(comments_part)
    pkg.content_type(comments_part, None)
    sheet = pkg.xml(sheet_part)
    for vid, vml_part in pkg.related(sheet_part, REL_VML):
        pkg.unrelate(sheet_part, vid)
        pkg.remove(vml_part)
        for node in sheet.findall("s:legacyDrawing", NS):
            if node.get(f"{{{NS['r']}}}id") == vid:
                sheet.remove(node)
    pkg.put_xml(sheet_part, sheet)


def _drop_sheet(pkg: Package, name: str, part: str) -> None:
    wb = pkg.xml("xl/workbook.xml")
    sheets = wb.find("s:sheets", NS)
    nodes = sheets.findall("s:sheet", NS)
    index = next(i for i, n in enumerate(nodes) if n.get("name") == name)
    rid = nodes[index].get(f"{{{NS['r']}}}id")
    sheets.remove(nodes[index])
    defined = wb.find("s:definedNames", NS)
    if defined is not None:
        for dn in list(defined):
            local = dn.get("localSheetId")
            if local is not None and int(local) == index:
                defined.remove(dn)
            elif local is not None and int(local) > index:
                dn.set("localSheetId", str(int(local) - 1))
        if len(defined) == 0:
            wb.remove(defined)
    view = wb.find("s:bookViews/s:workbookView", NS)
    if view is not None and int(view.get("activeTab", "0")) >= len(nodes) - 1:
        view.set("activeTab", "0")
    pkg.unrelate("xl/workbook.xml", rid)
    for _rid, sub in pkg.related(part, REL_COMMENTS) + pkg.related(part, REL_VML):
        pkg.remove(sub)
        pkg.content_type(sub, None)
    pkg.remove(Package.rels_name(part))
    pkg.remove(part)
    pkg.content_type(part, None)
    pkg.put_xml("xl/workbook.xml", wb)


# The tool's sheets


def _add_tool_sheet(pkg: Package, sheet: ToolSheet, restore: list[str], styles: _Styles) -> None:
    bold = styles.bold()
    fills = {(r, c): styles.coloured(argb) for r, c, argb in sheet.fills}
    rows: list[str] = []
    for r, text in enumerate(sheet.lines, start=1):
        rows.append(f'<row r="{r}">{_text_cell(f"A{r}", text, bold if r == 1 else None)}</row>')
    head = len(sheet.lines) + 2
    rows.append(
        f'<row r="{head}">'
        + "".join(_text_cell(f"{column_letter(i + 1)}{head}", label, bold) for i, label in enumerate(sheet.header))
        + "</row>"
    )
    hidden = len(sheet.header) + 1
    for i in range(max(len(sheet.rows), len(restore))):
        r = head + 1 + i
        cells = []
        if i < len(sheet.rows):
            cells = [
                _text_cell(f"{column_letter(j + 1)}{r}", value, fills.get((i, j)))
                for j, value in enumerate(sheet.rows[i])
                if value != ""
            ]
        if i < len(restore):
            cells.append(_text_cell(f"{column_letter(hidden)}{r}", restore[i]))
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    links = "".join(
        f'<hyperlink ref="{column_letter(c + 1)}{head + 1 + r}" location="{escape(_quote(target), {chr(34): "&quot;"})}'
        f'!{cell}" display="{cell}"/>'
        for r, c, target, cell in sheet.links
    )
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths))
    cols += f'<col min="{hidden}" max="{hidden}" width="2" hidden="1" customWidth="1"/>'
    last = head + len(sheet.rows)
    xml = (
        f'<worksheet xmlns="{S}" xmlns:r="{NS["r"]}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'  # without it fitToWidth below is ignored
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{head}" topLeftCell="A{head + 1}" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
        + (f'<autoFilter ref="A{head}:{column_letter(len(sheet.header))}{last}"/>' if sheet.rows else "")
        + (f"<hyperlinks>{links}</hyperlinks>" if links else "")
        + '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        + '<pageSetup orientation="landscape" paperSize="9" fitToWidth="1" fitToHeight="0"/>'
        + "</worksheet>"
    )
    part = pkg.unused("xl/worksheets/sheet{}.xml")
    pkg.put_xml(part, parse(xml.encode("utf-8")))
    pkg.content_type(part, CT_WORKSHEET)
    rid = pkg.relate("xl/workbook.xml", REL_WORKSHEET, part)
    wb = pkg.xml("xl/workbook.xml")
    nodes = wb.find("s:sheets", NS)
    next_id = 1 + max(int(n.get("sheetId", "0")) for n in nodes.findall("s:sheet", NS))
    node = etree.SubElement(nodes, f"{{{S}}}sheet", name=sheet.name, sheetId=str(next_id))
    node.set(f"{{{NS['r']}}}id", rid)
    pkg.put_xml("xl/workbook.xml", wb)


def _text_cell(ref: str, text: str | int, style: int | None = None) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(text, int):
        return f'<c r="{ref}"{s}><v>{text}</v></c>'
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{escape(_clean(text))}</t></is></c>'


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters; a hostile cell must not break the file."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 0x20)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
