"""The Excel add-in: built on Linux from macros/, checked without Excel, and its buttons driven through a stand-in."""

from __future__ import annotations

import importlib.util
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from oletools.olevba import VBA_Parser

from kexie_xl.addin.build import build_addin
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


def test_modules_read_back_equal_the_sources(built: Path) -> None:
    found = modules(built)
    ours = (ROOT / "macros" / "KexieRibbon.bas").read_text(encoding="ascii").replace("\r\n", "\n").strip()
    assert found["KexieRibbon"] == ours
    xlwings = _xlwings_file("xlwings_custom_addin.bas").replace("\r\n", "\n").strip()
    assert found["xlwings"] == xlwings.replace('PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "kexie_xl"')
    assert "BSD 3-clause" in found["xlwings"]
    assert found["Dictionary"].split("\n")[-1] == _xlwings_file("addin", "Dictionary.cls").strip().split("\n")[-1]


def test_every_callback_is_a_public_sub_and_every_button_a_python_function(built: Path) -> None:
    code = "\n".join(modules(built).values())
    with zipfile.ZipFile(built) as zf:
        ui = etree.fromstring(zf.read("customUI/customUI14.xml"))
    buttons_in_ui = {e.get("id") for e in ui.iter(f"{UI}button")}
    for callback in {e.get("onAction") for e in ui.iter(f"{UI}button")}:
        assert re.search(rf"^Public Sub {callback}\(control As IRibbonControl\)", code, re.MULTILINE), callback
    assert buttons_in_ui == set(buttons.BUTTONS)


def test_vba_sources_are_ascii_and_the_committed_addin_is_current(built: Path) -> None:
    for path in (ROOT / "macros").glob("*.bas"):
        path.read_bytes().decode("ascii")
    assert modules(ROOT / "workbook" / "kexie_xl.xlam") == modules(built), "rebuild with `kexie-xl addin build`"


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
    submitted = tmp_path / "2026-11_万州区科协_科技志愿服务月报.xlsx"
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
