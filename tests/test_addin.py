"""The Excel add-in: built on Linux from macros/, checked without Excel, and its buttons driven through a stand-in."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from oletools.olevba import VBA_Parser

from kexie_xl.addin.build import build_addin, lean_bootstrap
from kexie_xl.api import load_context
from kexie_xl.xl import buttons

from .builders import changed, clean_filling, write
from .conftest import ROOT
from .fake_xlwings import Book

UI = "{http://schemas.microsoft.com/office/2009/07/customui}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(ROOT / "macros", tmp_path_factory.mktemp("addin") / "kexie_xl.xlam")


def modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code.replace("\r\n", "\n").strip() for _f, _s, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _xlwings_file(*parts: str) -> str:
    root = Path(importlib.util.find_spec("xlwings").origin).parent
    return root.joinpath(*parts).read_text(encoding="ascii")


def test_package_is_a_macro_enabled_addin_with_a_ribbon(built: Path) -> None:
    with zipfile.ZipFile(built) as zf:
        assert zf.testzip() is None
        types = zf.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
        assert 'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in types
        assert "vbaProject.bin" in zf.read("xl/_rels/workbook.xml.rels").decode()
        rels = zf.read("_rels/.rels").decode()
        assert 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"' in rels
        assert 'Target="customUI/customUI14.xml"' in rels
        ui = etree.fromstring(zf.read("customUI/customUI14.xml"))
    ids = [e.get("id") for e in ui.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and ui.find(f"{UI}ribbon/{UI}tabs/{UI}tab").get("label") == "科技志愿服务"


def _unchrw(code: str) -> str:
    """The text a built module shows in the VBA editor, with its ChrW() runs read back as characters."""
    pattern = re.compile(r'(?:ChrW\(&H[0-9A-F]{4}\)|"(?:[^"\n]|"")*")(?: & (?:ChrW\(&H[0-9A-F]{4}\)|"(?:[^"\n]|"")*"))*')

    def joined(match: re.Match[str]) -> str:
        if "ChrW" not in match.group(0):
            return match.group(0)
        parts = re.findall(r'ChrW\(&H([0-9A-F]{4})\)|"((?:[^"\n]|"")*)"', match.group(0))
        text = "".join(chr(int(h, 16)) if h else lit.replace('""', '"') for h, lit in parts)
        return '"' + text.replace('"', '""') + '"'

    return pattern.sub(joined, code)


def test_modules_read_back_equal_the_sources(built: Path) -> None:
    found = modules(built)
    ours = (ROOT / "macros" / "KexieRibbon.bas").read_text(encoding="utf-8").replace("\r\n", "\n").strip()
    assert found["KexieRibbon"].isascii() and "ChrW(&H8BF7)" in found["KexieRibbon"]  # 请: ASCII on any code page
    assert _unchrw(found["KexieRibbon"]) == ours
    xlwings = _xlwings_file("xlwings_custom_addin.bas").replace("\r\n", "\n").strip()
    ours = xlwings.replace('PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "kexie_xl"')
    lean = ours.replace('-B -c ""import xlwings.utils;', '-B -c ""import kexie_xl.xl.lean;import xlwings.utils;')
    assert lean != ours and found["xlwings"] == lean  # the one change besides the name: a lean start of every click
    assert "BSD 3-clause" in found["xlwings"]
    assert found["Dictionary"].split("\n")[-1] == _xlwings_file("addin", "Dictionary.cls").strip().split("\n")[-1]


def test_a_click_starts_without_pandas_and_numpy_and_xlwings_still_works(tmp_path: Path) -> None:
    # What the add-in's RunPython runs first (a fresh interpreter, as on every click): xlwings imports, without
    # pandas and numpy, and reads a workbook through the checks all the same.
    probe = (
        "import sys, kexie_xl.xl.lean, xlwings, xlwings.conversion, xlwings.pro.utils\n"
        "assert xlwings.conversion.pd is None and xlwings.conversion.np is None\n"
        "assert sys.modules['xlwings.pro.utils'].Fernet is None\n"
        "from kexie_xl.api import load_context, validate\n"
        "report = validate(sys.argv[1], load_context(None))\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'cryptography') if sys.modules.get(m) is not None), report.errors)\n"
    )
    path = write(tmp_path / "t.xlsx", load_context(None).template, clean_filling())
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "0"]
    with pytest.raises(RuntimeError, match="RunPython command is not where kexie_xl expects it"):
        lean_bootstrap("Sub RunPython()\r\nEnd Sub")


def test_every_callback_is_a_public_sub_and_every_button_a_python_function(built: Path) -> None:
    code = "\n".join(modules(built).values())
    with zipfile.ZipFile(built) as zf:
        ui = etree.fromstring(zf.read("customUI/customUI14.xml"))
    buttons_in_ui = {e.get("id") for e in ui.iter(f"{UI}button")}
    for callback in {e.get("onAction") for e in ui.iter(f"{UI}button")}:
        assert re.search(rf"^Public Sub {callback}\(control As IRibbonControl\)", code, re.MULTILINE), callback
    assert buttons_in_ui == set(buttons.BUTTONS)


def test_vba_sources_are_ascii_and_the_committed_addin_is_current(built: Path) -> None:
    from kexie_xl.addin.build import ascii_literals

    for path in (ROOT / "macros").glob("*.bas"):
        assert ascii_literals(path.read_text(encoding="utf-8")).isascii()
    assert modules(ROOT / "workbook" / "kexie_xl.xlam") == modules(built), "rebuild with `kexie-xl addin build`"
    with pytest.raises(ValueError, match="outside a string literal"):
        ascii_literals("' 注释\r\nSub A()\r\nEnd Sub")


def _dir_records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    """The records of a decompressed `dir` stream ([MS-OVBA] 2.3.4.2): Id, Size, Data — PROJECTVERSION (0x0009)
    being the one record whose Size does not count its data."""
    import struct

    out, at = [], 0
    while at + 6 <= len(dir_stream):
        rid, size = struct.unpack_from("<HI", dir_stream, at)
        size = 6 if rid == 0x0009 else size
        out.append((rid, dir_stream[at + 6 : at + 6 + size]))
        at += 6 + size
    return out


def test_vba_project_compiles_from_source_in_every_excel(built: Path) -> None:
    """Read back with olefile and oletools (not the builder): the 7-byte `_VBA_PROJECT` of version 0xFFFF (no
    version-bound cache), no module carrying compiled code (MODULEOFFSET 0), CRLF line endings everywhere."""
    import io
    import struct

    import olefile
    from oletools.olevba import decompress_stream

    with zipfile.ZipFile(built) as zf:
        ole = olefile.OleFileIO(io.BytesIO(zf.read("xl/vbaProject.bin")))
    header = ole.openstream("VBA/_VBA_PROJECT").read()
    assert header == bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00])
    records = _dir_records(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    streams = [data.decode("latin-1") for rid, data in records if rid == 0x001A]
    offsets = [struct.unpack("<I", data)[0] for rid, data in records if rid == 0x0031]
    assert set(streams) == {"ThisWorkbook", "Sheet1", "KexieRibbon", "xlwings", "Dictionary"}
    assert offsets == [0] * len(streams)
    for name in streams:
        source = decompress_stream(bytearray(ole.openstream(f"VBA/{name}").read())).decode("latin-1")
        assert source.startswith("Attribute VB_Name") and "\n" not in source.replace("\r\n", ""), name


def test_the_dispatcher_knows_which_buttons_need_no_workbook(built: Path) -> None:
    """With no workbook open, the book-free buttons get an empty book for xlwings; the others a Chinese message."""
    code = _unchrw(modules(built)["KexieRibbon"])
    listed = re.search(r'Case ("kx_[^\n]+)', code)
    assert listed and set(re.findall(r'"(kx_\w+)"', listed.group(1))) == buttons.BOOK_FREE
    assert set(buttons.BUTTONS) > buttons.BOOK_FREE
    assert '"请先打开要校验的月报工作簿，再点这个按钮。"' in code and "Set scratch = Workbooks.Add" in code
    assert code.index("If ActiveWorkbook Is Nothing") < code.index("RunPython") < code.index("scratch.Close")


# The buttons, through the stand-in of xlwings


def _book(tmp_path: Path, ctx, **changes) -> Book:
    filling = clean_filling()
    for sheet, index, values in changes.get("edits", []):
        filling = changed(filling, sheet, index, **values)
    return Book(write(tmp_path / "本单位.xlsx", ctx.template, filling))


def test_validate_marks_in_place_and_again_replaces(tmp_path: Path, ctx) -> None:
    book = _book(tmp_path, ctx, edits=[("activities", 7, {"kind": "进校区"}), ("basic", None, {"phone": "1380023"})])
    buttons.dispatch("kx_validate", book)
    assert book.app.alerts[-1].startswith("校验完成：错误 2 处")
    assert book.app.screen_updating is True and book.app.status_bar is False
    acts, basic = book.sheets["活动台账"], book.sheets["基本信息"]
    assert acts.colors[(9, 5)] == (255, 199, 206) and "进校区" in acts.notes[(9, 5)].text
    assert basic.colors[(5, 2)] == (255, 199, 206)
    names = [s.name for s in book.sheets]
    assert names[-2:] == ["校验结果", "季度达标"]
    result = book.sheets["校验结果"]
    assert result.links and result.cells[(6, 7)].startswith("工作表「基本信息」B5")
    # links Excel follows: a place in this book (SubAddress), not a file name in Address
    assert {(link.address, link.sub_address) for link in result.links.values()} == {("", "'活动台账'!E9"), ("", "'基本信息'!B5")}
    # fix one cell and validate again: its mark goes, the other stays, nothing is duplicated
    acts.cells[(9, 5)] = "进社区"
    buttons.dispatch("kx_validate", book)
    assert (9, 5) not in acts.colors and (9, 5) not in acts.notes
    assert basic.colors[(5, 2)] == (255, 199, 206)
    assert [s.name for s in book.sheets].count("校验结果") == 1
    assert book.app.alerts[-1].startswith("校验完成：错误 1 处")


def test_quarterly_submit_instructions_and_unknown_ids(tmp_path: Path, ctx) -> None:
    book = _book(tmp_path, ctx, edits=[("activities", 7, {"team_ids": "T01"})])  # T02 has nothing in Q4 yet
    buttons.dispatch("kx_quarterly", book)
    assert "待开展 1 个队·季度" in book.app.alerts[-1]
    assert book.sheets["服务队"].colors[(4, 1)] == (255, 235, 156)
    buttons.dispatch("kx_submit", book)
    submitted = tmp_path / "2026-11_万州区科协_科技志愿服务月报（报送件）.xlsx"
    assert submitted.is_file() and "已生成报送件" in book.app.alerts[-1]
    from python_calamine import CalamineWorkbook

    assert "校验结果" not in CalamineWorkbook.from_path(str(submitted)).sheet_names
    buttons.dispatch("kx_instructions", book)
    assert book.active == "填报说明"
    buttons.dispatch("kx_nonexistent", book)
    assert "没有对应的功能" in book.app.alerts[-1]


def test_submit_refuses_with_errors_and_failures_become_dialogs(tmp_path: Path, ctx, monkeypatch) -> None:
    book = _book(tmp_path, ctx, edits=[("basic", None, {"phone": "1380023"})])
    buttons.dispatch("kx_submit", book)
    assert "还有 1 处错误，不能生成报送件" in book.app.alerts[-1]
    assert not list(tmp_path.glob("2026-11_*"))
    monkeypatch.setattr("kexie_xl.xl.live.read_grid", lambda b: 1 / 0)
    buttons.dispatch("kx_validate", book)
    assert "出现意外错误（ZeroDivisionError）" in book.app.alerts[-1] and "Traceback" not in book.app.alerts[-1]
    assert book.app.screen_updating is True


def test_next_month_carries_roster_ledger_and_totals(tmp_path: Path, ctx) -> None:
    book = _book(tmp_path, ctx)
    buttons.dispatch("kx_next_month", book)
    target = tmp_path / "2026-12_万州区科协_科技志愿服务月报.xlsx"
    assert target.is_file(), book.app.alerts
    from kexie_xl.api import check_workbook

    _report, sub = check_workbook(target, load_context(ROOT / "tests" / "data" / "empty.toml"))
    assert sub.month == (2026, 12) and len(sub.rows("teams")) == 4 and len(sub.rows("activities")) == 8
    assert {r.values["new"] for r in sub.rows("registration")} == {0}


# Installing for the current user (the paths of Windows and macOS, exercised in a temporary home)


def test_install_status_uninstall(built: Path, tmp_path: Path) -> None:
    import sys

    from kexie_xl.addin.install import diagnose, install, place, uninstall
    from kexie_xl.errors import KexieError

    where = place("win32", home=tmp_path, appdata=tmp_path / "AppData" / "Roaming", code_page="cp936")
    assert where.xlstart == tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    with pytest.raises(KexieError, match="暂不支持 macOS"):
        place("darwin", home=tmp_path)
    with pytest.raises(KexieError, match="只能安装在 Windows"):
        place("linux", home=tmp_path)
    lines = install(built, where, python=sys.executable)
    assert (where.xlstart / "kexie_xl.xlam").read_bytes() == built.read_bytes() and "重新启动 Excel" in lines[-1]
    assert where.conf.read_bytes() == f'"INTERPRETER_WIN","{sys.executable}"\r\n'.encode("cp936")
    checks = dict((message.split("：")[0].split(" ")[0], ok) for ok, message in diagnose(where))
    assert checks["加载项"] and checks["xlwings"] and all(ok for ok, _m in diagnose(where)[:4])
    assert "已删除" in uninstall(where)[0] and not (where.xlstart / "kexie_xl.xlam").exists()
    assert not diagnose(where)[2][0]
    with pytest.raises(KexieError, match="找不到加载项文件"):
        install(tmp_path / "nope.xlam", where)


def test_the_interpreter_setting_is_written_in_the_code_page_vba_reads(built: Path, tmp_path: Path) -> None:
    """A Chinese user folder: VBA's `Open … For Input` reads the ANSI code page (cp936), not UTF-8."""
    from kexie_xl.addin.install import diagnose, install, place
    from kexie_xl.errors import KexieError

    home = tmp_path / "张丽"
    python = home / "AppData" / "Local" / "Programs" / "Python" / "Python312" / "python.exe"
    python.parent.mkdir(parents=True)
    python.write_bytes(b"MZ")
    where = place("win32", home=home, appdata=home / "AppData" / "Roaming", code_page="cp936")
    install(built, where, python=str(python))
    raw = where.conf.read_bytes()
    assert "张丽".encode("cp936") in raw and "张丽".encode() not in raw
    assert raw.decode("cp936") == f'"INTERPRETER_WIN","{python}"\r\n'
    assert any(ok and f"Python = {python}" in message for ok, message in diagnose(where))  # read back the same way
    with pytest.raises(KexieError, match="代码页（cp1252）无法表示"):
        install(built, place("win32", home=home, appdata=home / "AppData" / "Roaming", code_page="cp1252"), python=str(python))


@pytest.mark.libreoffice
def test_libreoffice_loads_the_project_and_runs_a_smoke_sub(soffice: str, tmp_path: Path) -> None:
    """The smoke build: our modules plus a Sub writing known values (Chinese through build-time ChrW)."""
    import json
    import subprocess

    from kexie_xl.addin.build import build_smoke

    system_python = "/usr/bin/python3"  # python3-uno belongs to Debian's interpreter, not the venv
    probe = subprocess.run([system_python, "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("python3-uno is missing: the README's test command installs it (apt-get install python3-uno)")
    smoke = build_smoke(ROOT / "macros", tmp_path / "smoke.xlsm", label="重庆市科协·科技志愿服务")
    assert all(ord(ch) < 128 for ch in "\n".join(modules(smoke).values()))  # the source stays ASCII
    out = tmp_path / "out.xlsx"
    done = subprocess.run(
        [
            system_python,
            str(ROOT / "tests" / "lo_run_vba.py"),
            str(smoke),
            str(out),
            str(tmp_path / "profile"),
            "KexieSmoke.KexieSmokeWrite",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout.strip().splitlines()[-1])["modules"]
    assert {"KexieRibbon", "KexieSmoke"} <= set(listed)
    import openpyxl

    ws = openpyxl.load_workbook(out).worksheets[0]
    assert (ws["A1"].value, ws["B1"].value, ws["C1"].value) == ("hello from VBA", 42, "重庆市科协·科技志愿服务")
    assert (ws["D1"].value, ws["E1"].value) == (True, False)  # the dispatcher's KexieBookFree, run by LibreOffice


def test_vba_string_is_ascii_for_any_text() -> None:
    from kexie_xl.addin.build import vba_string

    assert vba_string("ab") == '"ab"'
    assert vba_string("科协 ok") == 'ChrW(&H79D1) & ChrW(&H534F) & " ok"'
    assert vba_string('say "hi"') == '"say " & """" & "hi" & """"'
    assert vba_string("") == '""'


def test_a_failure_while_marking_leaves_no_marks(tmp_path: Path, ctx, monkeypatch) -> None:
    from tests import fake_xlwings

    book = _book(tmp_path, ctx, edits=[("activities", 7, {"kind": "进校区"}), ("basic", None, {"phone": "1380023"})])
    calls = {"n": 0}
    original = fake_xlwings.Range.color.fset

    def flaky(self, value):  # the second coloured cell fails, as a protected or busy Excel might
        if value is not None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError("Excel is busy")
        original(self, value)

    monkeypatch.setattr(fake_xlwings.Range, "color", property(fake_xlwings.Range.color.fget, flaky))
    buttons.dispatch("kx_validate", book)
    assert "出现意外错误（OSError）" in book.app.alerts[-1]
    assert not any(s.colors for s in book.sheets) and not any(s.notes for s in book.sheets)
    assert "校验结果" not in [s.name for s in book.sheets]


def test_merge_folder_through_excels_folder_dialog(demo, tmp_path: Path, ctx) -> None:
    out, manifest = demo
    book = _book(tmp_path, ctx)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in manifest["files"][:3]:
        (inbox / Path(f["path"]).name).write_bytes((out / f["path"]).read_bytes())

    buttons.dispatch("kx_merge_folder", book)  # the clerk cancels Excel's folder dialog: nothing happens
    assert book.app.dialogs == ["选择要合并的月报文件夹"] and book.app.alerts == []
    book.app.picked_folder = inbox
    buttons.dispatch("kx_merge_folder", book)
    assert "汇总：收到 3 份" in book.app.alerts[-1], book.app.alerts
    assert list(inbox.glob("重庆市科技志愿服务月报_*.xlsx"))


def test_submit_refuses_an_old_format_book_instead_of_misnaming_it(tmp_path: Path, ctx) -> None:
    """Excel's SaveCopyAs keeps the book's own format: an .xls book's copy is not an .xlsx to clean."""
    book = _book(tmp_path, ctx)
    book.fullname = str(Path(book.fullname).with_suffix(".xls"))  # the same book, opened from an .xls file
    before = sorted(p.name for p in tmp_path.iterdir())
    buttons.dispatch("kx_submit", book)
    assert "另存为」Excel 工作簿（*.xlsx）" in book.app.alerts[-1] and ".xls 格式" in book.app.alerts[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_book_free_buttons_with_only_the_empty_book_the_add_in_opened(demo, tmp_path: Path, ctx, monkeypatch) -> None:
    """No workbook open: VBA opens an empty, never-saved book for xlwings. 合并文件夹 keeps its store in the merged
    folder (not Excel's working folder); 收取邮件 without a kexie.toml says where the settings come from."""
    from openpyxl import Workbook

    out, manifest = demo
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in manifest["files"][:2]:
        (inbox / Path(f["path"]).name).write_bytes((out / f["path"]).read_bytes())
    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    monkeypatch.delenv("KEXIE_XL_CONFIG", raising=False)
    cwd = tmp_path / "Documents"  # Excel's working folder: must stay clean
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = set(inbox.iterdir())
    book = Book(empty, saved=False)
    book.app.picked_folder = inbox
    buttons.dispatch("kx_merge_folder", book)
    assert "本次新读取 2 份" in book.app.alerts[-1], book.app.alerts
    assert {p.name for p in set(inbox.iterdir()) - before} >= {"kexie_store.sqlite", "archive"}
    buttons.dispatch("kx_merge_folder", book)  # again: the store, its lock and the archive now sit in the folder
    summary = book.app.alerts[-1]
    assert "收到 2 份（本次新读取 0 份）" in summary and "无法识别 0" in summary and "自己的文件已跳过" in summary
    buttons.dispatch("kx_fetch_mail", book)
    assert "需要配置文件 kexie.toml" in book.app.alerts[-1]
    assert list(cwd.iterdir()) == []
