"""Validation on real files: the demo month exactly, hand-edited and foreign-saved copies, hostile inputs, marks."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kexie_xl.api import check_workbook, load_context, mark_workbook, validate, validate_many
from kexie_xl.cli import cli
from kexie_xl.sample.demo import _png

from .builders import AS_OF, add_image_and_x14, add_vba, clean_filling, patch_part, sheet_part, write
from .conftest import convert

# The demo month


def test_demo_findings_equal_the_manifest(demo) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    as_of = AS_OF
    for f in manifest["files"]:
        report = validate(out / f["path"], ctx, as_of=as_of)
        expected = sorted((x["code"], x["sheet"], x["cell"]) for x in f["findings"])
        assert sorted(report.flatten(("code", "sheet", "cell"))) == expected, f["path"]
        assert report.unit_code == f["unit"] and report.month == manifest["month"]


@pytest.mark.libreoffice
def test_libreoffice_saved_copies_validate_the_same(demo, soffice: str, tmp_path: Path) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    planted = [f for f in manifest["files"] if f["findings"]][:4]
    for f in planted:
        source = out / f["path"]
        saved = convert(soffice, source, tmp_path / f["id"])
        assert saved.read_bytes() != source.read_bytes()
        mine = validate(source, ctx, as_of=AS_OF).flatten(("code", "sheet", "cell", "value"))
        theirs = validate(saved, ctx, as_of=AS_OF).flatten(("code", "sheet", "cell", "value"))
        assert theirs == mine and mine


# Hand-edited and foreign-saved copies


@pytest.fixture
def clean(tmp_path: Path, ctx) -> Path:
    return write(tmp_path / "clean.xlsx", ctx.template, clean_filling())


def _typed(path: Path, ctx) -> dict:
    report, sub = check_workbook(path, ctx, as_of=AS_OF)
    assert report.findings == [], report.flatten(("code", "sheet", "cell", "value"))
    return {key: [r.values for r in sub.rows(key)] for key in ("registration", "teams", "activities")} | {
        "basic": sub.basic.values
    }


def test_reordered_renamed_spaced_and_extra_columns(clean: Path, ctx, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(clean)
    ws = wb["活动台账"]
    ws.move_range("N1:P20", cols=8)  # 参与志愿者人数… moved to the far right
    ws["V1"] = " 志愿者 人数 "  # alias, with stray spaces
    ws["E1"] = "活动类型"  # alias of 活动类别
    ws["Z1"] = "审核人"  # a column the template does not have
    ws["Z2"] = "张三"
    wb.save(tmp_path / "edited.xlsx")
    report, sub = check_workbook(tmp_path / "edited.xlsx", ctx, as_of=AS_OF)
    assert report.flatten(("code", "sheet", "cell", "value")) == [("header.extra", "活动台账", "Z1", "审核人")]
    assert [r.values for r in sub.rows("activities")] == _typed(clean, ctx)["activities"]


def test_title_row_and_two_row_merged_header(clean: Path, ctx, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(clean)
    ws = wb["活动台账"]
    ws.insert_rows(1)
    ws.insert_rows(1)
    ws["A1"] = "万州区科协 2026 年科技志愿服务活动台账"
    ws["N2"], ws["N3"], ws["O3"] = "参与志愿者", "人数", None
    ws.merge_cells("N2:N2")
    ws["O2"], ws["O3"] = "服务", "时长（小时）"
    wb.save(tmp_path / "two-row.xlsx")
    assert _typed(tmp_path / "two-row.xlsx", ctx)["activities"] == _typed(clean, ctx)["activities"]


def test_text_dates_full_width_digits_and_number_cells(clean: Path, ctx, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(clean)
    ws = wb["活动台账"]
    ws["B2"], ws["B3"], ws["B4"], ws["B5"] = "2026.2.10", "2026年3月5日", "5月20日", "2026/6/3"
    ws["B6"].value, ws["N2"], ws["P3"] = 46246, "８", "１２０人"  # 46246 = Excel serial of 2026-08-12
    ws["C7"] = "Ｔ０２"
    wb["基本信息"]["B3"] = "2026年11月"
    wb["基本信息"]["B5"] = "138 1234 5678"
    wb.save(tmp_path / "typed.xlsx")
    report, sub = check_workbook(tmp_path / "typed.xlsx", ctx, as_of=AS_OF)
    assert report.findings == []
    assert [r.values for r in sub.rows("activities")] == _typed(clean, ctx)["activities"]
    changes = {(c.cell, c.before, c.after) for c in report.changes}
    assert ("B2", "2026.2.10", "2026-02-10") in changes and ("B4", "5月20日", "2026-05-20") in changes
    assert ("C7", "Ｔ０２", "T02") in changes and ("B3", "2026年11月", "2026-11") in changes


def test_wps_dimension_a1_is_read_whole(clean: Path, ctx) -> None:
    part = sheet_part(clean, "活动台账")
    patch_part(clean, part, lambda xml: re.sub(r'<dimension ref="[^"]+" ?/>', '<dimension ref="A1"/>', xml))
    assert '<dimension ref="A1"/>' in zipfile.ZipFile(clean).read(part).decode()
    assert len(_typed(clean, ctx)["activities"]) == 8


@pytest.mark.libreoffice
def test_cached_formula_values_and_legacy_xls(clean: Path, ctx, soffice: str, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(clean)
    wb["活动台账"]["N2"] = "=4+4"  # LibreOffice computes and caches 8
    wb.save(tmp_path / "formula.xlsx")
    recalculated = convert(soffice, tmp_path / "formula.xlsx", tmp_path / "lo")
    assert _typed(recalculated, ctx)["activities"] == _typed(clean, ctx)["activities"]
    legacy = convert(soffice, clean, tmp_path / "xls", "xls")
    assert _typed(legacy, ctx) == _typed(clean, ctx)
    assert mark_workbook(legacy, validate(legacy, ctx, as_of=AS_OF), as_of=AS_OF) is None  # .xls is not edited


# Hostile and unreadable inputs: one clear finding, exit code 2, never a traceback


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _encrypted(clean: Path, target: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with clean.open("rb") as fh:
        OOXMLFile(fh).encrypt("mima123", out)
    target.write_bytes(out.getvalue())
    return target


def _entity_bomb(clean: Path, target: Path) -> Path:
    target.write_bytes(clean.read_bytes())
    bomb = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    patch_part(target, sheet_part(target, "活动台账"), lambda xml: bomb + xml.replace("A2026-001", "&b;", 1))
    return target


def _not_template(target: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便一个表"
    wb.save(target)
    return target


HOSTILE = {
    "not-a-workbook.xlsx": (lambda c, p: (p.write_text("这不是表格", encoding="utf-8"), p)[1], "file.format"),
    "empty.xlsx": (lambda c, p: (p.write_bytes(b""), p)[1], "file.unreadable"),
    "encrypted.xlsx": (_encrypted, "file.encrypted"),
    "zip-bomb.xlsx": (
        lambda c, p: _zip(p, {"xl/workbook.xml": b"<workbook/>", "xl/big.xml": b"0" * 3_000_000}),
        "file.too-large",
    ),
    "entity-bomb.xlsx": (_entity_bomb, "file.unsafe"),
    "word-document.xlsx": (lambda c, p: _zip(p, {"word/document.xml": b"<w:document/>"}), "file.format"),
    "truncated.xlsx": (lambda c, p: (p.write_bytes(c.read_bytes()[:3000]), p)[1], "file.unreadable"),
    "not-our-template.xlsx": (lambda c, p: _not_template(p), "file.not-template"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_gives_one_clear_finding(clean: Path, ctx, tmp_path: Path, name: str) -> None:
    make, code = HOSTILE[name]
    path = make(clean, tmp_path / name)
    report = validate(path, ctx, as_of=AS_OF)
    assert [f.code for f in report.findings] == [code]
    assert not report.readable and report.exit_code == 2
    assert name in report.findings[0].message and report.findings[0].fix


def test_one_bad_file_never_stops_the_batch(clean: Path, ctx, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    missing = tmp_path / "missing.xlsx"
    results = list(validate_many([bad, missing, clean], ctx, as_of=AS_OF))
    assert [r.readable for _, r, _ in results] == [False, False, True]
    assert results[2][1].findings == []


# Marks in the workbook


@pytest.mark.filterwarnings("ignore:Data Validation extension is not supported")  # openpyxl sees our x14, as meant
def test_marked_copy_keeps_image_x14_validation_and_vba(demo, soffice: str, tmp_path: Path) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    f = next(f for f in manifest["files"] if len(f["findings"]) == 2 and f["findings"][0]["sheet"] == "活动台账")
    source = tmp_path / "source.xlsx"
    source.write_bytes((out / f["path"]).read_bytes())
    png = _png("photo")
    part = add_image_and_x14(source, "活动台账", png)
    xlsm = tmp_path / "source.xlsm"
    blob = add_vba(source, xlsm)
    before = hashlib.sha256(xlsm.read_bytes()).hexdigest()
    report = validate(xlsm, ctx, as_of=AS_OF)
    marked = mark_workbook(xlsm, report, as_of=AS_OF, out_dir=tmp_path / "out")
    assert hashlib.sha256(xlsm.read_bytes()).hexdigest() == before, "the source is never modified"
    with zipfile.ZipFile(xlsm) as a, zipfile.ZipFile(marked) as b:
        for kept in ("xl/media/image1.png", "xl/drawings/drawing1.xml", "xl/vbaProject.bin"):
            assert b.read(kept) == a.read(kept), kept
        assert b.read("xl/vbaProject.bin") == blob
        sheet = b.read(part).decode()
        assert "x14:dataValidation" in sheet and '<drawing r:id="rIdPic1"/>' in sheet
        assert sheet.index("<drawing ") < sheet.index("<legacyDrawing ") < sheet.index("<extLst>")
    wb = openpyxl.load_workbook(marked)
    ws = wb["活动台账"]
    for x in f["findings"]:
        cell = ws[x["cell"]]
        assert cell.fill.fgColor.rgb in ("FFFFC7CE", "FFFFEB9C") and "kexie_xl" in cell.comment.text
    result = wb["校验结果"]
    assert result["D6"].hyperlink.location == f"'活动台账'!{report.findings[0].cell}"
    # printed one page wide: fitToWidth only counts with the sheet's fitToPage flag
    assert result.sheet_properties.pageSetUpPr.fitToPage and result.page_setup.fitToWidth == 1
    lo = convert(soffice, marked, tmp_path / "lo")
    lo_wb = openpyxl.load_workbook(lo)
    assert "校验结果" in lo_wb.sheetnames and lo_wb["活动台账"][f["findings"][0]["cell"]].comment is not None
    assert any(n.startswith("xl/media/") for n in zipfile.ZipFile(lo).namelist())


def test_marking_again_replaces_earlier_marks(demo, tmp_path: Path) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    f = next(f for f in manifest["files"] if f["findings"])
    source = tmp_path / "s.xlsx"
    source.write_bytes((out / f["path"]).read_bytes())
    first = mark_workbook(source, validate(source, ctx, as_of=AS_OF), as_of=AS_OF)
    again = mark_workbook(first, validate(first, ctx, as_of=AS_OF), as_of=AS_OF, in_place=True)
    once = mark_workbook(source, validate(source, ctx, as_of=AS_OF), as_of=AS_OF).read_bytes()
    assert again == first and first.read_bytes() == once
    # the tool's own sheet and notes never become findings of the next run
    assert validate(first, ctx, as_of=AS_OF).flatten(("code", "cell")) == validate(source, ctx, as_of=AS_OF).flatten(
        ("code", "cell")
    )


def test_fixed_workbook_loses_its_marks(ctx, tmp_path: Path) -> None:
    broken = write(tmp_path / "b.xlsx", ctx.template, clean_filling())
    wb = openpyxl.load_workbook(broken)
    original_fill = wb["活动台账"]["E9"].fill.fgColor.rgb
    wb["活动台账"]["E9"] = "进校区"
    wb.save(broken)
    marked = mark_workbook(broken, validate(broken, ctx, as_of=AS_OF), as_of=AS_OF)
    ws = openpyxl.load_workbook(marked)["活动台账"]
    assert ws["E9"].fill.fgColor.rgb == "FFFFC7CE" and ws["E9"].comment is not None
    ws.parent["活动台账"]["E9"] = "应急科普"
    ws.parent.save(tmp_path / "fixed.xlsx")
    # openpyxl's save drops our notes' VML but keeps the cell format: re-marking must restore the original fill
    fixed = tmp_path / "fixed.xlsx"
    remarked = mark_workbook(fixed, validate(fixed, ctx, as_of=AS_OF), as_of=AS_OF, in_place=True)
    ws = openpyxl.load_workbook(remarked)["活动台账"]
    assert ws["E9"].fill.fgColor.rgb == original_fill and ws["E9"].comment is None
    assert openpyxl.load_workbook(remarked)["校验结果"]["A2"].value.startswith("校验日期")


# The command


def test_cli_exit_codes_json_and_untouched_source(clean: Path, ctx, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.xlsx", ctx.template, clean_filling())
    wb = openpyxl.load_workbook(bad)
    wb["基本信息"]["B5"] = "1380023"
    wb.save(bad)
    digest = hashlib.sha256(bad.read_bytes()).hexdigest()
    config = str(Path(__file__).parent / "data" / "empty.toml")
    run = CliRunner().invoke
    ok = run(cli, ["--config", config, "validate", str(clean), "--as-of", "2026-11-30", "--no-mark"])
    assert ok.exit_code == 0 and "通过" in ok.output and not (tmp_path / "clean（已校验）.xlsx").exists()
    res = run(cli, ["--config", config, "validate", str(bad), "--as-of", "2026-11-30", "--format", "json"])
    assert res.exit_code == 1
    payload = json.loads(res.output)
    assert payload[0]["errors"] == 1 and payload[0]["findings"][0]["cell"] == "B5"
    assert Path(payload[0]["marked_copy"]).name == "bad（已校验）.xlsx"
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == digest
    junk = tmp_path / "junk.xlsx"
    junk.write_text("x", encoding="utf-8")
    res = run(cli, ["--config", config, "validate", str(junk), str(bad), "--no-mark"])
    assert res.exit_code == 2 and "无法读取" in res.output
    res = run(cli, ["--config", config, "validate", str(bad), "--in-place", "--as-of", "2026-11-30"])
    assert res.exit_code == 1 and (tmp_path / "bad（校验前备份）.xlsx").read_bytes() != bad.read_bytes()
    assert hashlib.sha256((tmp_path / "bad（校验前备份）.xlsx").read_bytes()).hexdigest() == digest
    run(cli, ["--config", config, "validate", str(bad), "--in-place", "--as-of", "2026-11-30"])
    assert hashlib.sha256((tmp_path / "bad（校验前备份）.xlsx").read_bytes()).hexdigest() == digest  # kept
    assert (tmp_path / "bad（校验前备份2）.xlsx").is_file()


@pytest.mark.parametrize(("month", "seed"), [("2025-12", 9), ("2026-04", 21), ("2027-03", 2)])
def test_demo_months_validate_as_planted(ctx, tmp_path: Path, month: str, seed: int) -> None:
    from kexie_xl.api import make_demo

    result = make_demo(tmp_path / "d", ctx, month, seed)
    assert any("与预置清单一致" in line for line in result.steps), result.steps
