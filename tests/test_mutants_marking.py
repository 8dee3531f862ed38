"""Marking a copy at its edges (issue #19): notes and their shapes, the tool sheets' links, frozen header and hidden
restore column, and undoing all of it — also after Excel or LibreOffice saved the marked book (shared strings)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kexie_xl.files import marking as M
from kexie_xl.files.marking import write_marked
from kexie_xl.findings import Report, Severity, make
from kexie_xl.write.marks import NOTE_PREFIX, CellMark, result_sheet

from .builders import sheet_part
from .conftest import convert
from .test_boundaries_files import _fill, _style, clean_copy

ACTS = "活动台账"
MARK = CellMark(ACTS, "D9", Severity.ERROR, "【错误】必填")


def _report() -> Report:
    return Report("t.xlsx", [make("cell.required", sheet=ACTS, row=9, column="D", label="活动名称")], [], True)


def _parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}


def _as_shared_strings(path: Path, sheet: str) -> None:
    """Save the way Excel and LibreOffice do: the tool sheet's texts move to xl/sharedStrings.xml."""
    part = sheet_part(path, sheet)
    parts = {n: v.encode() for n, v in _parts(path).items()}
    strings: list[str] = []

    def shared(match: re.Match) -> str:
        strings.append(match.group(3))
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{len(strings) - 1}</v></c>'

    xml = parts[part].decode()
    xml = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"((?: s="\d+")?)><is><t[^>]*>(.*?)</t></is></c>', shared, xml)
    parts[part] = xml.encode()
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}">{sst}</sst>'
    ).encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_fixed_cell_loses_its_mark_after_the_book_was_saved_with_shared_strings(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK], [result_sheet(_report(), "2026-11-30")])
    _as_shared_strings(marked, "校验结果")
    assert 'inlineStr"><is><t xml:space="preserve">kexie-restore' not in _parts(marked)[sheet_part(marked, "校验结果")]
    again = tmp_path / "again.xlsx"
    write_marked(marked, again, [], [])
    assert (_fill(again, ACTS, "D9"), _style(again, ACTS, "D9")) == (None, _style(source, ACTS, "D9"))


@pytest.mark.libreoffice
def test_a_fixed_cell_loses_its_mark_after_libreoffice_saved_the_book(tmp_path: Path, soffice: str) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK], [result_sheet(_report(), "2026-11-30")])
    saved = convert(soffice, marked, tmp_path / "lo")
    assert _fill(saved, ACTS, "D9") == "FFFFC7CE"
    again = tmp_path / "again.xlsx"
    write_marked(saved, again, [], [])
    assert _fill(again, ACTS, "D9") is None


# Notes


def test_notes_and_their_shapes_are_added_and_removed(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    marks = [MARK, CellMark(ACTS, "E9", Severity.WARNING, "【警告】x")]
    write_marked(source, marked, marks, [result_sheet(_report(), "2026-11-30")])
    ws = openpyxl.load_workbook(marked)[ACTS]
    assert ws["D9"].comment.text == f"{NOTE_PREFIX}【错误】必填" and ws["E9"].comment.text == f"{NOTE_PREFIX}【警告】x"
    assert ws["D9"].comment.author == "kexie_xl"
    parts = _parts(marked)
    vml = next(v for n, v in parts.items() if n.endswith(".vml"))
    assert vml.count("<v:shape ") == 2 and "<x:Row>8</x:Row><x:Column>3</x:Column>" in vml
    assert "<x:Row>8</x:Row><x:Column>4</x:Column>" in vml and 'o:spt="202"' in vml
    assert "<legacyDrawing " in parts[sheet_part(marked, ACTS)]
    clean = tmp_path / "clean.xlsx"
    write_marked(marked, clean, [], [])
    parts = _parts(clean)
    assert not any(n.endswith(".vml") or "comments" in n for n in parts)
    assert "<legacyDrawing" not in parts[sheet_part(clean, ACTS)] and "comments" not in parts["[Content_Types].xml"]
    rels = parts[sheet_part(clean, ACTS).replace("worksheets/", "worksheets/_rels/") + ".rels"]
    assert "vmlDrawing" not in rels and "comments" not in rels
    assert openpyxl.load_workbook(clean).sheetnames[-1] == "元数据"


def test_the_clerks_own_note_stays(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(source)
    wb[ACTS]["D9"].comment = openpyxl.comments.Comment("我的说明", "王芳")
    wb[ACTS]["C9"].comment = openpyxl.comments.Comment("另一条", "王芳")
    wb.save(source)
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK, CellMark(ACTS, "E9", Severity.WARNING, "w")], [])
    ws = openpyxl.load_workbook(marked)[ACTS]
    assert (ws["D9"].comment.text, ws["C9"].comment.text) == ("我的说明", "另一条")
    assert ws["E9"].comment.text == f"{NOTE_PREFIX}w" and _fill(marked, ACTS, "D9") == "FFFFC7CE"
    clean = tmp_path / "clean.xlsx"
    write_marked(marked, clean, [], [])
    ws = openpyxl.load_workbook(clean)[ACTS]
    assert (ws["D9"].comment.text, ws["C9"].comment.text, ws["E9"].comment) == ("我的说明", "另一条", None)


def test_a_note_excel_re_authored_is_still_ours(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(source)
    wb[ACTS]["D9"].comment = openpyxl.comments.Comment(f"{NOTE_PREFIX}旧的标注", "Administrator")
    wb[ACTS]["C9"].comment = openpyxl.comments.Comment("我的说明", "Administrator")
    wb.save(source)
    clean = tmp_path / "clean.xlsx"
    write_marked(source, clean, [], [])
    ws = openpyxl.load_workbook(clean)[ACTS]
    assert (ws["D9"].comment, ws["C9"].comment.text) == (None, "我的说明")


# The tool sheet


def test_the_result_sheet_links_freezes_and_hides_the_restore_column(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK], [result_sheet(_report(), "2026-11-30")])
    wb = openpyxl.load_workbook(marked)
    ws = wb["校验结果"]
    assert wb.sheetnames[-1] == "校验结果"
    assert ws.freeze_panes == "A6" and ws.auto_filter.ref == "A5:I6"
    assert [c.value for c in ws[5]][:9] == ["序号", "级别", "工作表", "单元格", "列", "填写内容", "问题", "怎么改", "代码"]
    assert ws["D6"].value == "D9" and ws["D6"].hyperlink.location == "'活动台账'!D9"
    assert ws["J6"].value.startswith("kexie-restore:活动台账!D9=style:") and ws.column_dimensions["J"].hidden
    assert ws["A1"].font.b and ws["A5"].font.b and not ws["A6"].font.b
    assert ws.column_dimensions["G"].width == 60
    xml = _parts(marked)[sheet_part(marked, "校验结果")]
    assert 'orientation="landscape"' in xml and 'paperSize="9"' in xml and 'fitToWidth="1"' in xml


def test_texts_are_escaped_and_control_characters_dropped() -> None:
    assert M._text_cell("A1", "a<b>&\x01c\td") == (
        '<c r="A1" t="inlineStr"><is><t xml:space="preserve">a&lt;b&gt;&amp;c\td</t></is></c>'
    )
    assert M._text_cell("B2", 42, 3) == '<c r="B2" s="3"><v>42</v></c>'
    assert M._text_cell("B2", "x", 0) == '<c r="B2" t="inlineStr"><is><t xml:space="preserve">x</t></is></c>'
    assert M._quote("O'Brien 表") == "'O''Brien 表'"


@pytest.mark.parametrize(
    ("ref", "position"), [("A1", (1, 1)), ("Z9", (9, 26)), ("AA10", (10, 27)), ("XFD1048576", (1048576, 16384))]
)
def test_cell_references(ref: str, position: tuple[int, int]) -> None:
    assert M._split(ref) == position


def test_a_bad_reference_is_refused() -> None:
    with pytest.raises(ValueError):
        M._split("a1")


def test_a_note_shape_sits_by_its_cell() -> None:
    shape = M._shape("D9", 102401)
    assert 'id="_x0000_s102401"' in shape and 'alt="kexie_xl"' in shape and 'type="#_x0000_t202"' in shape
    assert "<x:Anchor>4, 15, 7, 10, 7, 15, 12, 4</x:Anchor>" in shape
    assert "<x:Row>8</x:Row><x:Column>3</x:Column>" in shape and "visibility:hidden" in shape
    assert M._shape("A1", 1).count("<x:Anchor>1, 15, 0, 10, 4, 15, 4, 4</x:Anchor>") == 1
    assert M._shape_cell(shape) == "D9" and M._shape_cell("<v:shape/>") == ""


def test_shapes_of_others_are_kept() -> None:
    ours = M._shape("D9", 1)
    theirs = (
        '<v:shape id="x" type="#t"><x:ClientData ObjectType="Note"><x:Row>1</x:Row><x:Column>1</x:Column></x:ClientData>'
        "</v:shape>"
    )
    resaved = ours.replace(' alt="kexie_xl"', "")
    kept = M._foreign_shapes(f"<xml>{ours}{theirs}{resaved}<v:shapetype/></xml>".encode(), {"D9"})
    assert kept == theirs
    excel = theirs.replace("><x:ClientData", ">\r\n <x:ClientData").replace('"1<', '"2<').replace("1</x:Row>", "4</x:Row>")
    both = f"<xml>{theirs}\n{excel}{ours}</xml>".encode() + b"<!-- \xff -->"
    assert M._foreign_shapes(both, {"D9"}) == theirs + excel  # shapes over several lines, bytes that are not UTF-8
    assert M._shape_cell("<x:Row>1</x:Row>") == "" and M._shape_cell("<x:Column>1</x:Column>") == ""


def test_rows_and_cells_in_order_are_indexed_out_of_order_scanned() -> None:
    assert M._ascending([], int) == []
    from lxml import etree

    nodes = [etree.Element("row", r=str(n)) for n in (1, 3, 3, 7)]
    assert M._ascending(nodes, M._row_number) == [1, 3, 3, 7]
    assert M._ascending(list(reversed(nodes)), M._row_number) is None
    assert M._ascending([etree.Element("row", r="x")], M._row_number) is None


# Rows or cells out of order (no Excel writes them, a hand-edited file may): found and added where a scan finds them


def _shuffle_rows(path: Path, sheet: str) -> None:
    part = sheet_part(path, sheet)
    xml = _parts(path)[part]
    rows = re.findall(r"<row [^>]*>.*?</row>", xml, flags=re.S)
    swapped = xml.replace(rows[8], "\0").replace(rows[2], rows[8]).replace("\0", rows[2])  # rows 3 and 9 change places
    from .builders import patch_part

    patch_part(path, part, lambda _xml: swapped)


def test_marks_on_rows_out_of_order(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    _shuffle_rows(source, ACTS)
    marks = [
        CellMark(ACTS, "D9", Severity.ERROR, "a"),  # an existing cell of a row out of place
        CellMark(ACTS, "Z3", Severity.WARNING, "b"),  # a new cell at the end of a row
        CellMark(ACTS, "D20", Severity.ERROR, "c"),  # a row after the last
        CellMark(ACTS, "D1", Severity.WARNING, "d"),
    ]
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, marks, [])
    ws = openpyxl.load_workbook(marked)[ACTS]
    assert [_fill(marked, ACTS, c) for c in ("D9", "Z3", "D20", "D1")] == ["FFFFC7CE", "FFFFEB9C", "FFFFC7CE", "FFFFEB9C"]
    assert ws["D9"].value == "应急科普科普活动8" and ws["D3"].value == "应急科普科普活动2"
    xml = _parts(marked)[sheet_part(marked, ACTS)]
    assert xml.count('<row r="9"') == 1 and xml.count('<row r="20"') == 1 and xml.count('r="D9"') == 1


def test_a_missing_row_and_cell_are_added_in_place_among_rows_out_of_order(tmp_path: Path) -> None:
    from .builders import patch_part

    source = clean_copy(tmp_path / "src.xlsx")
    part = sheet_part(source, ACTS)
    xml = _parts(source)[part]
    rows = re.findall(r"<row [^>]*>.*?</row>", xml, flags=re.S)
    row9 = re.sub(r'<c r="B9".*?(?:/>|</c>)', "", rows[8], flags=re.S)
    cells = re.findall(r'<c r="[A-Z]+9".*?(?:/>|</c>)', row9, flags=re.S)
    row9 = row9.replace("".join(cells), "".join([cells[2], cells[0], *cells[1:2], *cells[3:]]) + "<c><v>0</v></c>")
    edited = xml.replace(rows[5], "").replace(rows[8], "\0").replace(rows[2], row9).replace("\0", rows[2])  # no row 6; 9 before 3
    patch_part(source, part, lambda _xml: edited)
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [CellMark(ACTS, "D6", Severity.ERROR, "a"), CellMark(ACTS, "B9", Severity.WARNING, "b")], [])
    out = _parts(marked)[part]
    assert (_fill(marked, ACTS, "D6"), _fill(marked, ACTS, "B9")) == ("FFFFC7CE", "FFFFEB9C")
    assert out.count('<row r="6"') == 1 and out.count('r="B9"') == 1 and out.index('<row r="6"') < out.index('<row r="7"')


def test_marks_on_cells_out_of_order(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    part = sheet_part(source, ACTS)
    xml = _parts(source)[part]
    row = re.search(r'<row r="9"[^>]*>(.*?)</row>', xml, flags=re.S)
    cells = re.findall(r'<c r="[A-Z]+9".*?(?:/>|</c>)', row.group(1), flags=re.S)
    shuffled = xml.replace(row.group(1), "".join([cells[3], *cells[:3], *cells[4:]]))
    from .builders import patch_part

    patch_part(source, part, lambda _xml: shuffled)
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [CellMark(ACTS, "D9", Severity.ERROR, "a"), CellMark(ACTS, "Z9", Severity.WARNING, "b")], [])
    assert (_fill(marked, ACTS, "D9"), _fill(marked, ACTS, "Z9")) == ("FFFFC7CE", "FFFFEB9C")
    assert _parts(marked)[part].count('r="D9"') == 1 and openpyxl.load_workbook(marked)[ACTS]["D9"].value == "应急科普科普活动8"


def test_status_colours_in_the_quarterly_sheet(tmp_path: Path) -> None:
    from datetime import date

    from kexie_xl.rules.quarterly import QuarterStatus
    from kexie_xl.write.marks import quarterly_sheet

    def status(team: str, kind: str) -> QuarterStatus:
        day = date(2026, 10, 1)
        return QuarterStatus("500101", team, team, "支队", "2026Q4", day, day, 0, 1, kind, None, "", day, 3)

    sheet = quarterly_sheet([status("T01", "达标"), status("T02", "未达标"), status("T03", "待开展")], ACTS)
    marked = tmp_path / "marked.xlsx"
    write_marked(clean_copy(tmp_path / "src.xlsx"), marked, [], [sheet])
    ws = openpyxl.load_workbook(marked)["季度达标"]
    assert [ws.cell(6 + i, 5).fill.fgColor.rgb for i in range(3)] == ["FFC6EFCE", "FFFFC7CE", "FFFFEB9C"]
    assert (
        ws.cell(6, 4).value == 0
        and ws.cell(6, 5).fill.fill_type == "solid"
        and ws.cell(6, 1).hyperlink.location == "'活动台账'!A3"
    )


def test_one_fill_per_colour_and_one_format_per_marked_format(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    count = lambda xml, tag: int(re.search(rf'<{tag} count="(\d+)"', xml).group(1))  # noqa: E731
    styles = _parts(source)["xl/styles.xml"]
    marks = [CellMark(ACTS, c, Severity.ERROR, "e") for c in ("D9", "D8", "D7")]
    marks += [CellMark(ACTS, "E9", Severity.WARNING, "w"), CellMark(ACTS, "Z9", Severity.ERROR, "e")]
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, marks, [])
    after = _parts(marked)["xl/styles.xml"]
    assert count(after, "fills") == count(styles, "fills") + 2  # red and yellow, once each
    assert _style(marked, ACTS, "D9") == _style(marked, ACTS, "D8") == _style(marked, ACTS, "D7")
    assert _style(marked, ACTS, "Z9") != _style(marked, ACTS, "D9")  # another base format: another marked one
    assert count(after, "cellXfs") == count(styles, "cellXfs") + 3
    assert after.count("FFFFC7CE") == 1 and after.count("FFFFEB9C") == 1


def test_notes_beside_the_clerks_notes(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(source)
    wb[ACTS]["C9"].comment = openpyxl.comments.Comment("我的说明", "王芳")
    wb.save(source)
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK], [])
    parts = _parts(marked)
    [vml] = [v for n, v in parts.items() if n.endswith(".vml")]
    assert vml.count('alt="kexie_xl"') == 1 and "_x0000_t202" in vml and vml.rstrip().endswith("</xml>")
    [comments] = [v for n, v in parts.items() if "comments" in n and n.endswith(".xml")]
    assert comments.count("<comment ") == 2 and "<author>kexie_xl</author>" in comments and "<author>王芳</author>" in comments
    clean = tmp_path / "clean.xlsx"
    write_marked(marked, clean, [], [])
    parts = _parts(clean)
    [comments] = [v for n, v in parts.items() if "comments" in n and n.endswith(".xml")]
    assert comments.count("<comment ") == 1 and 'ref="C9"' in comments
    assert all('alt="kexie_xl"' not in v for n, v in parts.items() if n.endswith(".vml"))


def test_a_new_drawing_has_its_own_shape_ids(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK, CellMark("基本信息", "B5", Severity.ERROR, "p")], [])
    vmls = {n: v for n, v in _parts(marked).items() if n.endswith(".vml")}
    blocks = sorted(re.search(r'<o:idmap v:ext="edit" data="(\d+)"/>', v).group(1) for v in vmls.values())
    ids = sorted(re.search(r'id="_x0000_s(\d+)"', v).group(1) for v in vmls.values())
    assert len(vmls) == 2 and all(100 <= int(b) < 200 for b in blocks) and blocks[0] != blocks[1]
    assert sorted(str(1024 * int(b) + 1) for b in blocks) == ids
    assert all(v.startswith('<xml xmlns:v="urn:schemas-microsoft-com:vml"') for v in vmls.values())


def test_dropping_the_tool_sheets_keeps_the_other_sheets_names_and_the_active_tab_valid(tmp_path: Path) -> None:
    from kexie_xl.write.marks import quarterly_sheet

    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [MARK], [result_sheet(_report(), "2026-11-30"), quarterly_sheet([], ACTS)])
    wb = openpyxl.load_workbook(marked)
    extra = wb.create_sheet("附表")  # a sheet of the clerk's after the tool sheets, with its own print titles
    extra.print_title_rows = "1:1"
    wb["校验结果"].print_title_rows = "5:5"
    wb.active = len(wb.sheetnames) - 2  # 季度达标
    wb.save(marked)
    before = openpyxl.load_workbook(marked)
    titles = {ws.title: ws.print_title_rows for ws in before.worksheets if ws.print_title_rows}
    assert titles["附表"] == "$1:$1" and titles["校验结果"] == "$5:$5"
    again = tmp_path / "again.xlsx"
    write_marked(marked, again, [], [])
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames[-2:] == ["元数据", "附表"] and "校验结果" not in wb.sheetnames
    after = {ws.title: ws.print_title_rows for ws in wb.worksheets if ws.print_title_rows}
    assert after == {k: v for k, v in titles.items() if k not in ("校验结果", "季度达标")}
    assert wb.active.title == "填报说明"
    workbook_rels = _parts(again)["xl/_rels/workbook.xml.rels"]
    assert all(
        target in _parts(again) for target in ("xl/" + x for x in re.findall(r'Target="(worksheets/[^"]+)"', workbook_rels))
    )
    assert _fill(again, ACTS, "D9") is None


def test_a_missing_row_and_cell_are_added_in_place_in_order(tmp_path: Path) -> None:
    from .builders import patch_part

    source = clean_copy(tmp_path / "src.xlsx")
    part = sheet_part(source, ACTS)
    xml = _parts(source)[part]
    rows = re.findall(r"<row [^>]*>.*?</row>", xml, flags=re.S)
    row9 = re.sub(r'<c r="B9".*?(?:/>|</c>)', "", rows[8], flags=re.S)
    patch_part(source, part, lambda _xml: xml.replace(rows[5], "").replace(rows[8], row9))  # no row 6, no B9
    marked = tmp_path / "marked.xlsx"
    marks = [CellMark(ACTS, c, Severity.ERROR, "a") for c in ("D6", "B9", "A6")] + [CellMark(ACTS, "D30", Severity.WARNING, "b")]
    write_marked(source, marked, marks, [])
    out = _parts(marked)[part]
    assert [_fill(marked, ACTS, c) for c in ("D6", "B9", "A6", "D30")] == ["FFFFC7CE"] * 3 + ["FFFFEB9C"]
    assert out.count('<row r="6"') == 1 and out.index('<row r="6"') < out.index('<row r="7"')
    assert out.index('r="A6"') < out.index('r="D6"') and out.index('r="A9"') < out.index('r="B9"') < out.index('r="C9"')
    assert out.count('r="B9"') == 1 and out.index('<row r="30"') > out.index('<row r="9"')


NOTE_SHAPE = (  # the note box Excel draws for a marked cell: hidden until hovered, beside the cell, pale yellow
    '<v:shape id="_x0000_s102401" alt="kexie_xl" type="#_x0000_t202" style="position:absolute;margin-left:80pt;'
    'margin-top:2pt;width:220pt;height:90pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
    '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>4, 15, 7, 10, 7, 15, 12, 4</x:Anchor>'
    "<x:AutoFill>False</x:AutoFill><x:Row>8</x:Row><x:Column>3</x:Column></x:ClientData></v:shape>"
)


def test_the_note_shape_as_excel_reads_it() -> None:
    assert M._shape("D9", 102401) == NOTE_SHAPE


def test_marking_again_beside_the_clerks_note_keeps_one_drawing_head_and_one_shape_per_note(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(source)
    wb[ACTS]["C9"].comment = openpyxl.comments.Comment("我的说明", "王芳")
    wb.save(source)
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    write_marked(source, once, [MARK], [result_sheet(_report(), "2026-11-30")])
    write_marked(once, twice, [MARK, CellMark(ACTS, "E9", Severity.WARNING, "w")], [result_sheet(_report(), "2026-11-30")])
    [vml] = [v for n, v in _parts(twice).items() if n.endswith(".vml")]
    assert vml.startswith("<xml") and vml.rstrip().endswith("</xml>") and vml.count("</xml>") == 1
    assert vml.count('alt="kexie_xl"') == 2 and vml.count("<x:Row>8</x:Row><x:Column>3</x:Column>") == 1
    assert vml.count('id="_x0000_t202"') == 1  # one note shape type, the drawing's own
    ws = openpyxl.load_workbook(twice)[ACTS]
    assert (ws["C9"].comment.text, ws["D9"].comment.text, ws["E9"].comment.text) == (
        "我的说明",
        f"{NOTE_PREFIX}【错误】必填",
        f"{NOTE_PREFIX}w",
    )


def test_the_restore_record_says_each_cells_own_fill_for_the_ribbon(tmp_path: Path) -> None:
    from openpyxl.styles import PatternFill

    source = clean_copy(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(source)
    ws = wb[ACTS]
    ws["D9"].fill = PatternFill("solid", fgColor="FF00B0F0")  # a colour the ribbon can put back
    ws["E9"].fill = PatternFill("gray125")  # a pattern it cannot
    ws["F9"].fill = PatternFill("solid", fgColor=openpyxl.styles.colors.Color(theme=4))  # a theme colour neither
    wb.save(source)
    marked = tmp_path / "marked.xlsx"
    marks = [CellMark(ACTS, c, Severity.ERROR, "x") for c in ("D9", "E9", "F9", "G9")]
    write_marked(source, marked, marks, [result_sheet(_report(), "2026-11-30")])
    entries = [c.value for c in openpyxl.load_workbook(marked)["校验结果"]["J"] if c.value]
    fills = {e.split("!")[1].split("=")[0]: e.split("=")[1] for e in entries}
    assert fills["D9"].endswith(";fill:00B0F0") and fills["G9"].endswith(";fill:none")
    assert "fill" not in fills["E9"] and "fill" not in fills["F9"]
    assert all(f.startswith("style:") for f in fills.values())
