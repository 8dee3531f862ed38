"""What clerks' office suites save: .ods and .xls are checked exactly like .xlsx; other formats get a message that
names the format (issue #14). LibreOffice (the independent client) writes the files from the same workbook."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kexie_xl.api import MarkRequest, check_files, consolidate_month, load_context, validate
from kexie_xl.formats import sniff
from kexie_xl.schema import city as C

from .conftest import ROOT, convert


@pytest.fixture(scope="module")
def saved(demo, soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One demo workbook with planted problems, saved by LibreOffice as .xlsx, .ods and .xls."""
    out, manifest = demo
    source = out / next(f["path"] for f in manifest["files"] if len(f["findings"]) >= 2)
    folder = tmp_path_factory.mktemp("formats")
    return {fmt: convert(soffice, source, folder / fmt, fmt) for fmt in ("xlsx", "ods", "xls")}


@pytest.mark.libreoffice
def test_ods_and_xls_are_checked_like_xlsx_cell_by_cell(demo, saved: dict[str, Path]) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    found = {fmt: validate(path, ctx).flatten(("code", "sheet", "cell", "value")) for fmt, path in saved.items()}
    assert found["xlsx"] and found["ods"] == found["xlsx"] and found["xls"] == found["xlsx"]


@pytest.mark.libreoffice
def test_an_ods_gets_findings_and_says_how_to_get_a_marked_copy(demo, saved: dict[str, Path], tmp_path: Path) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    ((_path, checked),) = check_files([saved["ods"]], ctx, mark=MarkRequest(tmp_path))
    assert checked.report.findings and checked.marked is None
    assert "OpenDocument 电子表格不能直接标注" in checked.note and "*.xlsx" in checked.note
    assert not list(tmp_path.iterdir())


@pytest.mark.libreoffice
def test_consolidation_adopts_an_ods_and_refuses_a_renamed_one(demo, saved: dict[str, Path], tmp_path: Path) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    folder = tmp_path / "收件"
    folder.mkdir()
    (folder / saved["ods"].name).write_bytes(saved["ods"].read_bytes())
    (folder / "改了扩展名.xlsx").write_bytes(saved["ods"].read_bytes())
    (folder / "空.xlsx").write_bytes(b"")
    (folder / "截断.xlsx").write_bytes(saved["ods"].read_bytes()[:2000])  # a package cut off on the way
    consolidate_month([folder], ctx, manifest["month"], output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    import openpyxl

    rows = list(openpyxl.load_workbook(tmp_path / "c.xlsx", data_only=True)[C.INTAKE].iter_rows(values_only=True))
    fates = {r[1]: (r[7], r[8]) for r in rows[1:]}
    assert fates[saved["ods"].name][0] == C.ADOPTED
    status, reason = fates["改了扩展名.xlsx"]  # the same content under another name: decided by the intake
    assert status == C.UNIDENTIFIED and "OpenDocument 电子表格（.ods），文件名却是 .xlsx" in reason
    # content of no known format is no renamed format: the file check says what is wrong with it
    assert fates["空.xlsx"] == (C.REJECTED, "文件「空.xlsx」无法作为 Excel 工作簿打开：文件是空的（0 字节）")
    assert fates["截断.xlsx"][0] == C.REJECTED and "压缩包已损坏" in fates["截断.xlsx"][1]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("表.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "WPS 表格的 .et 格式"),
        ("表.csv", "活动编号,活动日期,服务队编号,活动名称\nA1,2026-11-05,T01,科普\n".encode(), "CSV 文本文件"),
        ("表.numbers", {"Index/Document.iwa": b"\0" * 10}, "Apple Numbers 表格"),
        ("说明.docx", {"word/document.xml": b"<w:document/>"}, "Word 文档"),
        ("说明.odt", {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, "OpenDocument 文档"),
        ("表.xlsx", b"just some text that is not a workbook at all", "不是 Excel 工作簿"),
    ],
)
def test_other_formats_get_a_message_that_names_them(ctx, tmp_path: Path, name: str, content, says: str) -> None:
    path = tmp_path / name
    if isinstance(content, dict):
        _zip(path, content)
    else:
        path.write_bytes(content)
    report = validate(path, ctx)
    assert not report.readable and report.exit_code == 2
    (finding,) = report.findings
    assert finding.code == "file.format" and says in finding.message and "xlsx" in finding.message


@pytest.mark.parametrize(
    ("content", "key", "says"),
    [
        (b"Rar!\x1a\x07\x01\x00" + bytes(64), "rar", "这是 RAR 压缩包，只能打开 .zip 压缩包：请直接附上工作簿"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64), "7z", "这是 7z 压缩包，只能打开 .zip 压缩包：请直接附上工作簿"),
        (b"\x78\x9f\x3e\x22\x01\x00" + bytes(64), "tnef", "这是 Outlook 以「RTF 格式」发信时生成的 winmail.dat"),
    ],
)
def test_a_container_under_a_workbooks_name_says_what_it_is(ctx, tmp_path: Path, content: bytes, key: str, says: str) -> None:
    """A RAR or 7z archive, or Outlook's winmail.dat, renamed to .xlsx (a unit's workbook may be inside): told apart by
    its first bytes and refused with what to send instead."""
    path = tmp_path / "月报.xlsx"
    path.write_bytes(content)
    assert sniff(path).key == key and not sniff(path).readable
    report = validate(path, ctx)
    (finding,) = report.findings
    assert finding.code == "file.format" and finding.message.startswith(f"文件「月报.xlsx」：{says}")
    assert report.exit_code == 2


def _compound(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file holding `streams` (written by pyOpenVBA's CFB writer, emptied of the add-in's project)."""
    from pyopenvba.cfb import CFB

    cfb = CFB.from_bytes(zipfile.ZipFile(ROOT / "workbook" / "kexie_xl.xlam").read("xl/vbaProject.bin"))
    cfb.remove_storage_at((), "VBA")
    for name in ("PROJECT", "PROJECTwm"):
        cfb.remove_stream(name)
    for name, data in streams.items():
        cfb.add_stream_at((), name, data)
    return cfb.to_bytes()


WPS_COMPOBJ = b"\x01\x00\xfe\xff" + b"\0" * 24 + b"\x14\x00\x00\x00WPS Spreadsheets 9.0\x00" + b"\0" * 40


@pytest.mark.parametrize(
    ("name", "streams", "key", "says"),
    [
        # WPS's own format, renamed: no Excel `Workbook` stream, WPS's streams and CompObj
        ("月报.xlsx", {"ETExtData": b"\0" * 600, "\x01CompObj": WPS_COMPOBJ}, "et", "WPS 表格的 .et 格式"),
        ("月报.xls", {"ETExtData": b"\0" * 600}, "et", "WPS 表格的 .et 格式"),
        ("月报.xls", {"WordDocument": b"\0" * 600, "1Table": b"\0" * 600}, "doc", "Word 97-2003 文档"),
        ("月报.xls", {"Something": b"\0" * 600}, "unknown", "不是 Excel 工作簿"),
    ],
)
def test_ole_files_are_told_apart_by_their_streams(ctx, tmp_path: Path, name, streams, key, says) -> None:
    from kexie_xl.formats import sniff

    path = tmp_path / name
    path.write_bytes(_compound(streams))
    assert sniff(path).key == key
    (finding,) = validate(path, ctx).findings
    assert finding.code == "file.format" and says in finding.message


def test_an_xls_saved_by_wps_is_an_xls_and_a_workbook_stream_named_et_is_wps(tmp_path: Path) -> None:
    from kexie_xl.formats import sniff

    content = _compound({"Workbook": b"\0" * 5000, "\x01CompObj": WPS_COMPOBJ})
    (tmp_path / "a.xls").write_bytes(content)
    (tmp_path / "a.et").write_bytes(content)
    assert (sniff(tmp_path / "a.xls").key, sniff(tmp_path / "a.et").key) == ("xls", "et")


@pytest.mark.libreoffice
def test_the_archive_names_content_by_what_it_is(demo, saved: dict[str, Path], tmp_path: Path) -> None:
    """The same .ods first arrives renamed to .xlsx, then properly: it is kept once, as .ods, and read."""
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "改了扩展名.xlsx").write_bytes(saved["ods"].read_bytes())
    (second / saved["ods"].name).write_bytes(saved["ods"].read_bytes())
    consolidate_month([first], ctx, manifest["month"], output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    result = consolidate_month(
        [second], ctx, manifest["month"], output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", force=True
    )
    assert result.counts.by_status.get(C.ADOPTED) == 1
    assert [p.suffix for p in (tmp_path / "archive" / "objects").glob("*/*") if p.is_file()] == [".ods"]


@pytest.mark.libreoffice
def test_the_ledger_and_the_feedback_say_which_format_arrived(demo, saved: dict[str, Path], tmp_path: Path) -> None:
    import email
    from email import policy

    import openpyxl

    from kexie_xl.api import run_month

    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    folder = tmp_path / "收件"
    folder.mkdir()
    (folder / saved["ods"].name).write_bytes(saved["ods"].read_bytes())
    run = run_month(
        ctx,
        manifest["month"],
        sources=[folder],
        fetch=False,
        output=tmp_path / "c.xlsx",
        store_path=tmp_path / "s.db",
        received_at=None,
    )
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx", data_only=True)[C.INTAKE]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, next(ws.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["格式"] == "OpenDocument 电子表格"
    (draft,) = run.drafts  # the workbook has problems: its unit is answered
    body = email.message_from_bytes(draft.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert f"《{saved['ods'].name}》（OpenDocument 电子表格）" in body
