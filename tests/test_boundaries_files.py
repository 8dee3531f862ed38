"""Boundaries of the file guard and of marking (issue #19): the 50 MB file limit, member count, unzipped size,
compression ratio and sheet extent at the limit and one past it; re-marking gives back a cell's own fill."""

from __future__ import annotations

import shutil
import struct
import zipfile
from functools import lru_cache
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from kexie_xl.files import guard
from kexie_xl.files.marking import write_marked
from kexie_xl.findings import Report, Severity, make
from kexie_xl.formats import OLE_MAGIC
from kexie_xl.write.marks import RESTORE, CellMark, Restore, result_sheet

from .builders import clean_filling, patch_part, sheet_part, write
from .grids import context

MB = 1024 * 1024


@lru_cache(maxsize=1)
def _clean_bytes() -> bytes:
    import tempfile

    path = write(Path(tempfile.mkdtemp(prefix="kexie-clean-")) / "clean.xlsx", context().template, clean_filling())
    return path.read_bytes()


def clean_copy(path: Path) -> Path:
    path.write_bytes(_clean_bytes())
    return path


def _add_members(path: Path, members: dict[str, bytes], stored: bool = True) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _patch_sizes(path: Path, member: str, compressed: int, uncompressed: int) -> None:
    """Rewrite one member's sizes in the central directory (what the guard reads; its data is never read)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while True:
        at = data.find(b"PK\x01\x02", at + 1)
        assert at > 0, member
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == name:
            break
    struct.pack_into("<II", data, at + 20, compressed, uncompressed)
    path.write_bytes(bytes(data))


def _inspect(path: Path):
    return guard.inspect(path, "单位.xlsx")


# The file size: 50 MB is accepted, one byte more is not (checked before anything reads the file)


def test_a_workbook_of_exactly_50_mb_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    path = clean_copy(tmp_path / "a.xlsx")
    _add_members(path, {"xl/media/pad.bin": b""})
    overhead = path.stat().st_size
    clean_copy(path)
    _add_members(path, {"xl/media/pad.bin": bytes(guard.MAX_FILE_BYTES - overhead)})
    assert path.stat().st_size == guard.MAX_FILE_BYTES
    assert _inspect(path) is None
    with path.open("ab") as fh:
        fh.write(b"\0")  # trailing bytes after the central directory: still a zip
    assert path.stat().st_size == guard.MAX_FILE_BYTES + 1
    finding = _inspect(path)
    assert (finding.code, finding.file) == ("file.too-large", "单位.xlsx")
    assert "文件有 50 MB，超过 50 MB" in finding.message


def test_a_sparse_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with path.open("wb") as fh:
        fh.write(OLE_MAGIC)  # an OLE file would be read whole by the encryption check: the size comes first
        fh.truncate(60 * MB)
    finding = _inspect(path)
    assert finding.code == "file.too-large" and "文件有 60 MB" in finding.message


def test_empty_and_one_byte_files(tmp_path: Path) -> None:
    empty = tmp_path / "e.xlsx"
    empty.write_bytes(b"")
    one = tmp_path / "o.xlsx"
    one.write_bytes(b"x")
    assert (_inspect(empty).code, "0 字节" in _inspect(empty).message) == ("file.unreadable", True)
    assert _inspect(one).code == "file.format"
    assert _inspect(tmp_path / "missing.xlsx").code == "file.unreadable"


def test_an_ole_file_with_encryption_info_is_encrypted(tmp_path: Path) -> None:
    for stream in ("EncryptionInfo", "EncryptedPackage"):
        path = tmp_path / f"{stream}.xlsx"
        path.write_bytes(OLE_MAGIC + bytes(504) + stream.encode("utf-16-le") + bytes(100))
        assert (_inspect(path).code, _inspect(path).file) == ("file.encrypted", "单位.xlsx")
    plain = tmp_path / "plain.xls"
    plain.write_bytes(OLE_MAGIC + bytes(1000))
    assert _inspect(plain).code != "file.encrypted"


# Zip bombs: members, unzipped size, compression ratio


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_at_most_5000_members(tmp_path: Path, extra: int, refused: bool) -> None:
    path = clean_copy(tmp_path / "m.xlsx")
    with zipfile.ZipFile(path) as zf:
        have = len(zf.infolist())
    _add_members(path, {f"customXml/item{i}.bin": b"" for i in range(guard.MAX_MEMBERS - have + extra)})
    finding = _inspect(path)
    if refused:
        assert finding.code == "file.too-large" and f"压缩包内有 {guard.MAX_MEMBERS + 1} 个部件" in finding.message
    else:
        assert finding is None


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_at_most_400_mb_unzipped(tmp_path: Path, extra: int, refused: bool) -> None:
    path = clean_copy(tmp_path / "u.xlsx")
    _add_members(path, {"xl/media/big.bin": b"0" * 16})
    with zipfile.ZipFile(path) as zf:
        others = sum(i.file_size for i in zf.infolist() if i.filename != "xl/media/big.bin")
    big = guard.MAX_UNZIPPED_BYTES - others + extra
    _patch_sizes(path, "xl/media/big.bin", big, big)  # as if stored: no ratio to speak of
    finding = _inspect(path)
    if refused:
        assert finding.code == "file.too-large" and "解压后有 400 MB" in finding.message
    else:
        assert finding is None


@pytest.mark.parametrize(
    ("compressed", "uncompressed", "refused"),
    [
        (8192, 200 * 8192, False),  # a ratio of exactly 200
        (8192, 200 * 8192 + 1, True),
        (1, MB, False),  # members up to 1 MB are not judged by their ratio
        (1, MB + 1, True),
    ],
)
def test_compression_ratio_above_200_for_members_over_1_mb(
    tmp_path: Path, compressed: int, uncompressed: int, refused: bool
) -> None:
    path = clean_copy(tmp_path / "r.xlsx")
    _add_members(path, {"xl/media/r.bin": b"0" * 16})
    _patch_sizes(path, "xl/media/r.bin", compressed, uncompressed)
    finding = _inspect(path)
    if refused:
        assert finding.code == "file.too-large" and "部件 xl/media/r.bin 压缩比异常" in finding.message
    else:
        assert finding is None


@pytest.mark.parametrize("part", ["xl/custom.xml", "xl/_rels/custom.rels", "xl/drawings/x.vml"])
@pytest.mark.parametrize("declaration", [b"<!DOCTYPE x []>", b'<!ENTITY a "b">'])
def test_xml_declarations_are_unsafe(tmp_path: Path, part: str, declaration: bytes) -> None:
    path = clean_copy(tmp_path / "x.xlsx")
    _add_members(path, {part: b'<?xml version="1.0"?>' + declaration + b"<x/>"})
    finding = _inspect(path)
    assert (finding.code, f"{part} 含有 XML 实体声明" in finding.message) == ("file.unsafe", True)


def test_a_declaration_in_another_kind_of_part_is_not_looked_for(tmp_path: Path) -> None:
    path = clean_copy(tmp_path / "x.xlsx")
    _add_members(path, {"xl/media/notes.txt": b"<!DOCTYPE x []>"})
    assert _inspect(path) is None


@pytest.mark.parametrize(("cell", "refused"), [("Y1000000", False), ("Y1000001", True), ("Z961538", False), ("Z961539", True)])
def test_a_sheet_may_reach_25_million_cells(tmp_path: Path, cell: str, refused: bool) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.active[cell] = 1
    path = tmp_path / "e.xlsx"
    wb.save(path)
    finding = _inspect(path)
    if refused:
        assert finding.code == "file.too-large" and f"延伸到 {cell}" in finding.message
    else:
        assert finding is None


@pytest.mark.parametrize(
    ("xml", "may"),
    [
        (b'<c r="A1" t="e"><v>#REF!</v></c>', True),
        (b"<c r='A1' t='e'><v>#REF!</v></c>", True),  # single quotes are XML too
        (b"<c r='A1' t='s'><v>3</v></c><t>it's</t>", False),  # quotes, but no error cell
        (b'<c r="A1" t="s"><v>3</v></c>', False),
    ],
)
def test_the_error_cell_hint_is_exact_about_quotes(xml: bytes, may: bool) -> None:
    assert guard.may_hold_error_cells(xml) is may


def test_a_damaged_package_is_unreadable(tmp_path: Path) -> None:
    path = clean_copy(tmp_path / "d.xlsx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    finding = _inspect(path)
    assert finding.code == "file.unreadable" and "压缩包已损坏" in finding.message


# Marking again gives back each cell's own look


def _fill(path: Path, sheet: str, cell: str) -> str | None:
    c = openpyxl.load_workbook(path)[sheet][cell]
    return c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None


def _report(*cells: tuple[str, str, Severity]) -> Report:
    findings = [make("cell.required", sheet=s, row=int(c[1:]), column=c[0], label="活动名称") for s, c, _sev in cells]
    return Report("t.xlsx", findings, [], True)


def _style(path: Path, sheet: str, cell: str) -> str | None:
    import re

    part = sheet_part(path, sheet)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part).decode()
    match = re.search(rf'<c r="{cell}"(?: s="(\d+)")?', xml)
    return match.group(1) if match else None


def test_re_marking_restores_a_cells_own_fill(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(source)
    wb["活动台账"]["D9"].fill = PatternFill("solid", fgColor="FF00B0F0")  # the clerk's own blue
    wb.save(source)
    own_style = _style(source, "活动台账", "D9")
    marks = [CellMark("活动台账", "D9", Severity.ERROR, "【错误】必填"), CellMark("活动台账", "E9", Severity.WARNING, "【警告】")]
    once = tmp_path / "once.xlsx"
    write_marked(source, once, marks, [result_sheet(_report(("活动台账", "D9", Severity.ERROR)), "2026-11-30")])
    assert (_fill(once, "活动台账", "D9"), _fill(once, "活动台账", "E9")) == ("FFFFC7CE", "FFFFEB9C")
    twice = tmp_path / "twice.xlsx"
    write_marked(once, twice, marks, [result_sheet(_report(("活动台账", "D9", Severity.ERROR)), "2026-11-30")])
    assert _style(twice, "活动台账", "D9") == _style(once, "活动台账", "D9")
    clean = tmp_path / "clean.xlsx"
    write_marked(twice, clean, [], [result_sheet(_report(), "2026-11-30")])
    assert _fill(clean, "活动台账", "D9") == "FF00B0F0"
    assert _style(clean, "活动台账", "D9") == own_style
    assert _fill(clean, "活动台账", "E9") is None and _style(clean, "活动台账", "E9") == _style(source, "活动台账", "E9")


@pytest.mark.parametrize(("entry", "fill"), [("fill:FFFF00", "FFFFFF00"), ("fill:none", None), ("FFFF00", "FFFFFF00")])
def test_a_fill_the_ribbon_recorded_is_given_back(tmp_path: Path, entry: str, fill: str | None) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    marked = tmp_path / "marked.xlsx"
    write_marked(source, marked, [CellMark("活动台账", "D9", Severity.ERROR, "x")], [result_sheet(_report(), "2026-11-30")])
    old = Restore("活动台账", "D9", int(_style(source, "活动台账", "D9") or 0), "").text()
    result = sheet_part(marked, "校验结果")
    patch_part(marked, result, lambda xml: xml.replace(old, f"{RESTORE}活动台账!D9={entry}"))
    again = tmp_path / "again.xlsx"
    write_marked(marked, again, [], [])
    assert _fill(again, "活动台账", "D9") == fill
    assert "校验结果" not in openpyxl.load_workbook(again).sheetnames


def test_marking_copies_the_source_untouched(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src.xlsx")
    before = source.read_bytes()
    shutil.copy(source, tmp_path / "copy.xlsx")
    write_marked(source, tmp_path / "out.xlsx", [CellMark("活动台账", "D9", Severity.ERROR, "x")], [])
    assert source.read_bytes() == before
    assert _fill(tmp_path / "out.xlsx", "活动台账", "D9") == "FFFFC7CE"


# Every refusal names the file as received, and says how to fix it


def _raw_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_every_refusal_names_the_file(tmp_path: Path) -> None:
    many = clean_copy(tmp_path / "m.xlsx")
    _add_members(many, {f"customXml/item{i}.bin": b"" for i in range(guard.MAX_MEMBERS)})
    big = clean_copy(tmp_path / "u.xlsx")
    _add_members(big, {"xl/media/big.bin": b"0" * 16})
    _patch_sizes(big, "xl/media/big.bin", guard.MAX_UNZIPPED_BYTES, guard.MAX_UNZIPPED_BYTES)
    ratio = clean_copy(tmp_path / "r.xlsx")
    _add_members(ratio, {"xl/media/r.bin": b"0" * 16})
    _patch_sizes(ratio, "xl/media/r.bin", 1, 2 * MB)
    unsafe = clean_copy(tmp_path / "x.xlsx")
    _add_members(unsafe, {"xl/custom.xml": b"<!DOCTYPE x []><x/>"})
    far = _raw_zip(tmp_path / "e.xlsx", {"xl/worksheets/sheet1.xml": b'<c r="XFD1048576"/>'})
    broken = clean_copy(tmp_path / "d.xlsx")
    broken.write_bytes(broken.read_bytes()[:2000])
    findings = [_inspect(p) for p in (many, big, ratio, unsafe, far, broken, tmp_path / "missing.xlsx")]
    assert [f.file for f in findings] == ["单位.xlsx"] * 7
    assert "请在 Excel/WPS 中按 Ctrl+End 找到最后一个单元格，删除多余的行列后重新保存" in findings[4].message
    assert "（1,048,576 行 × 16,384 列）" in findings[4].message
    assert "无法打开（No such file or directory）" in findings[6].message


def test_the_extent_scan_reads_across_blocks_and_only_sheets(tmp_path: Path) -> None:
    far = b'<c r="Y1000001"/>'
    split = b" " * ((1 << 20) - 5) + far  # the reference straddles the first megabyte
    lone = b'<c r="B2"/>'  # a sheet holding one cell
    straddling = _raw_zip(tmp_path / "s.xlsx", {"xl/worksheets/sheet2.xml": lone, "xl/worksheets/sheet1.xml": split})
    finding = _inspect(straddling)
    assert finding.code == "file.too-large" and "延伸到 Y1000001" in finding.message
    elsewhere = _raw_zip(tmp_path / "o.xlsx", {"xl/drawings/drawing1.xml": far, "xl/worksheets/sheet1.xml": lone})
    assert _inspect(elsewhere).code == "file.format"  # not a sheet: not scanned; then not a workbook either


def test_a_declaration_after_the_first_4_kb_is_not_looked_for(tmp_path: Path) -> None:
    path = clean_copy(tmp_path / "x.xlsx")
    _add_members(path, {"xl/custom.xml": b"<x>" + b" " * 5000 + b"<!DOCTYPE x []></x>"})
    assert _inspect(path) is None


def test_sizes_are_said_in_whole_megabytes(tmp_path: Path) -> None:
    empty = tmp_path / "e.xlsx"
    empty.write_bytes(b"")
    assert _inspect(empty).message == "文件「单位.xlsx」无法作为 Excel 工作簿打开：文件是空的（0 字节）"
    huge = tmp_path / "h.xlsx"
    with huge.open("wb") as fh:
        fh.truncate(1000 * MB)  # sparse: nothing is written
    assert _inspect(huge).message == "文件「单位.xlsx」过大，未读取：文件有 1000 MB，超过 50 MB"
    bomb = clean_copy(tmp_path / "u.xlsx")
    _add_members(bomb, {"xl/media/big.bin": b"0" * 16})
    _patch_sizes(bomb, "xl/media/big.bin", 1000 * MB, 1000 * MB)
    assert "解压后有 1000 MB，疑似压缩炸弹" in _inspect(bomb).message


def test_a_package_holding_the_words_of_an_encrypted_file_is_no_encrypted_file(tmp_path: Path) -> None:
    path = clean_copy(tmp_path / "w.xlsx")
    _add_members(path, {"xl/media/words.bin": "EncryptionInfo EncryptedPackage".encode("utf-16-le")})
    assert _inspect(path) is None


@pytest.mark.parametrize(("last_row", "refused"), [(99_999, True), (35_612, False), (35_613, True)])
def test_blocks_bounded_quickly_are_scanned_exactly_when_the_bound_is_too_large(
    tmp_path: Path, last_row: int, refused: bool
) -> None:
    # The first megabyte holds rows up to `last_row` in column A only (bounded by the quick search, not scanned);
    # the second a cell in ZZ (702 columns): the bound 99,999 × 702 is too large, so the sheet is scanned exactly
    # and decides by its real extent — 35,612 × 702 = 24,999,624 cells is allowed, one row more is not.
    small = f'<row r="{last_row}"><c r="A{last_row}"/></row>'.encode()
    sheet = small + b" " * (1 << 20) + b'<row r="2"><c r="ZZ2"/></row>'
    finding = _inspect(_raw_zip(tmp_path / "q.xlsx", {"xl/worksheets/sheet1.xml": sheet}))
    if refused:
        assert finding.code == "file.too-large" and finding.message.endswith(
            f"延伸到 ZZ{last_row}（{last_row:,} 行 × 702 列），远超月报所需；"
            "请在 Excel/WPS 中按 Ctrl+End 找到最后一个单元格，删除多余的行列后重新保存"
        )
    else:
        assert finding.code == "file.format"  # past the extent check; then not a workbook (no workbook part)


def test_a_file_of_another_format_is_refused_by_name_with_what_it_is(tmp_path: Path) -> None:
    text = tmp_path / "x.xlsx"
    text.write_text("这不是表格", encoding="utf-8")
    assert _inspect(text).message == (
        "文件「单位.xlsx」：不是 Excel 工作簿（.xlsx/.xlsm/.xls/.xlsb/.ods）；请用 Excel 或 WPS 打开它，"
        "「另存为」Excel 工作簿（*.xlsx）后再报送"
    )
    renamed = tmp_path / "y.xlsx"
    renamed.write_bytes(OLE_MAGIC + b"\0" * 600)
    assert _inspect(renamed).message == (
        "文件「单位.xlsx」：这是 Excel 97-2003 工作簿（.xls），文件名却是 .xlsx；请用 Excel 或 WPS 打开它，"
        "「另存为」Excel 工作簿（*.xlsx）后再报送"
    )


def test_a_sheet_stored_twice_is_clean_of_error_cells_only_if_both_copies_are(tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "twice.xlsx"
    sheet = "xl/worksheets/sheet1.xml"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        zf.writestr(sheet, b'<c r="A1"><v>1</v></c>')
        zf.writestr(sheet, b'<c r="A1" t="e"><v>#REF!</v></c>')
        zf.writestr("xl/worksheets/sheet2.xml", b'<c r="A1"><v>1</v></c>')
    clean: set[str] = set()
    guard.inspect(path, "单位.xlsx", clean_sheets=clean)
    assert clean == {"xl/worksheets/sheet2.xml"}
