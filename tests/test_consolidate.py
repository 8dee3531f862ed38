"""Consolidation: the demo month into the city workbook, the store, the ledger, and an independent recalculation."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from kexie_xl.api import consolidate_month, load_context
from kexie_xl.consolidate.intake import safe_name
from kexie_xl.consolidate.store import Store
from kexie_xl.errors import KexieError
from kexie_xl.schema import city as C
from kexie_xl.schema.codelists import TEAM_ITEM

from .builders import changed, clean_filling, patch_part, sheet_part, write
from .conftest import convert


@pytest.fixture(scope="module")
def merged(demo, tmp_path_factory: pytest.TempPathFactory):
    out, manifest = demo
    work = tmp_path_factory.mktemp("city")
    ctx = load_context(out / manifest["config"])
    result = consolidate_month(
        [out / "workbooks", out / "photos"],
        ctx,
        manifest["month"],
        output=work / "city.xlsx",
        store_path=work / "store.sqlite",
        received_times=received_times(manifest, ctx, work),
    )
    return out, manifest, ctx, work, result


def received_times(manifest: dict, ctx, folder: Path) -> dict:
    """The office's record of when each file arrived, as the CSV `--received-times` reads (GBK, as Excel on
    Chinese Windows saves it): a folder file's own time is no evidence."""
    from kexie_xl.api import read_received_times

    lines = ["文件,接收时间"] + [f"{Path(f['path']).name},{f['received'][:16].replace('T', ' ')}" for f in manifest["files"]]
    (folder / "接收时间.csv").write_bytes("\r\n".join(lines).encode("gb18030"))
    return read_received_times(folder / "接收时间.csv", ctx)


def _sheet(path: Path, name: str, header_row: int = 1) -> list[dict]:
    ws = openpyxl.load_workbook(path, data_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[header_row - 1]
    return [dict(zip(header, r, strict=False)) for r in rows[header_row:] if any(v is not None for v in r)]


def test_every_input_is_accounted_for(merged) -> None:
    _out, manifest, _ctx, work, result = merged
    ledger = _sheet(work / "city.xlsx", C.INTAKE)
    assert len(ledger) == len(manifest["files"]) == result.counts.received
    by = result.counts.by_status
    assert (
        sum(by.values())
        == len(ledger)
        == by.get(C.ADOPTED, 0) + by.get(C.SUPERSEDED, 0) + by.get(C.REJECTED, 0) + by.get(C.UNIDENTIFIED, 0)
    )
    status = {r["文件"]: r["状态"] for r in ledger}
    for f in manifest["files"]:
        expected = C.SUPERSEDED if f.get("superseded_by") else C.ADOPTED
        assert status[Path(f["path"]).name] == expected, f["path"]


def test_units_late_missing_and_on_time_as_planted(merged) -> None:
    _out, manifest, _ctx, work, _result = merged
    rows = _sheet(work / "city.xlsx", C.SUMMARY, header_row=4)
    units = {r["单位编码"]: r for r in rows if r["单位编码"]}
    assert set(units) == {u["code"] for u in manifest["units"]}
    for u in manifest["units"]:
        assert units[u["code"]]["报送状态"] == u["expected_status"], u["code"]
    missing = next(u["code"] for u in manifest["units"] if u["expected_status"] == "未报")
    assert units[missing]["本月活动（场）"] is None and units[missing]["报送时间"] is None


def test_second_run_is_a_no_op(merged) -> None:
    out, manifest, ctx, work, _result = merged
    store = Store(work / "store.sqlite")
    before = store.fingerprint()
    store.close()
    content = (work / "city.xlsx").read_bytes()
    again = consolidate_month(
        [out / "workbooks", out / "photos"],
        ctx,
        manifest["month"],
        output=work / "city.xlsx",
        store_path=work / "store.sqlite",
        received_times=received_times(manifest, ctx, work),
    )
    store = Store(work / "store.sqlite")
    assert store.fingerprint() == before and again.counts.checked == 0 and again.unchanged
    store.close()
    assert (work / "city.xlsx").read_bytes() == content


def test_totals_recalculated_by_libreoffice_equal_the_store(merged, soffice: str, tmp_path: Path) -> None:
    _out, manifest, _ctx, work, _result = merged
    stripped = tmp_path / "stripped.xlsx"
    shutil.copy(work / "city.xlsx", stripped)
    part = sheet_part(stripped, C.SUMMARY)
    patch_part(stripped, part, lambda xml: re.sub(r"(<f>[^<]*</f>)<v>[^<]*</v>", r"\1", xml))  # no cached totals
    assert openpyxl.load_workbook(stripped, data_only=True)[C.SUMMARY].cell(1, 1).value
    recalculated = convert(soffice, stripped, tmp_path / "lo")
    ws = openpyxl.load_workbook(recalculated, data_only=True)[C.SUMMARY]
    header = [c.value for c in ws[4]]
    totals = next(r for r in ws.iter_rows(values_only=True) if r[2] == "合计")
    total = dict(zip(header, totals, strict=True))
    db = sqlite3.connect(work / "store.sqlite")
    ids = [r[0] for r in db.execute("SELECT submission_id FROM inputs WHERE month=? AND status='采用'", (manifest["month"],))]
    marks = ",".join("?" * len(ids))
    count, volunteers, hours, people = db.execute(
        f"SELECT count(*), sum(volunteers), sum(hours), sum(beneficiaries) FROM activities WHERE submission_id IN "
        f"({marks}) AND date LIKE ?",
        [*ids, manifest["month"] + "%"],
    ).fetchone()
    assert total["本月活动（场）"] == count and total["参与志愿者人次"] == volunteers
    assert total["受益人数"] == people and abs(total["服务时长（小时）"] - hours) < 1e-6
    vol, teams = db.execute(
        f"SELECT sum(CASE WHEN item != ? THEN total END), sum(CASE WHEN item = ? THEN total END) FROM registration "
        f"WHERE submission_id IN ({marks}) AND platform LIKE '全国志愿服务信息系统%'",
        [TEAM_ITEM, TEAM_ITEM, *ids],
    ).fetchone()
    assert total["全国志愿服务系统累计注册志愿者"] == vol and total["全国志愿服务系统累计注册队伍"] == teams
    errors = db.execute(f"SELECT sum(errors) FROM submissions WHERE id IN ({marks})", ids).fetchone()[0]
    assert total["错误"] == errors


def test_detail_quarterly_photos_and_charts(merged, soffice: str, tmp_path: Path) -> None:
    _out, manifest, _ctx, work, result = merged
    city = work / "city.xlsx"
    detail = _sheet(city, C.DETAIL)
    assert len(detail) == sum(u.values.get("activities", 0) for u in result.city.units)
    assert all(str(r["活动日期"])[:7] == manifest["month"] for r in detail)
    quarterly = _sheet(city, C.QUARTERLY)
    planted = sorted(
        (c["team_id"], c["quarter"], c["expected"]) for c in manifest["quarterly"] if c["expected"] in ("未达标", "待开展")
    )
    assert sorted((r["队伍编号"], r["季度"], r["状态"]) for r in quarterly) == planted
    photos = _sheet(city, C.PHOTOS)
    linked = [r for r in photos if r["图片"] and not r["图片"].startswith("（")]
    assert linked and all((work / r["图片"]).is_file() for r in linked)
    names = zipfile.ZipFile(city).namelist()
    assert sum(1 for n in names if n.startswith("xl/charts/chart")) == 3
    lo = convert(soffice, city, tmp_path / "lo")
    assert sum(1 for n in zipfile.ZipFile(lo).namelist() if n.startswith("xl/charts/chart")) == 3


def test_summary_pdf_fits_the_page_width(merged, soffice: str, tmp_path: Path) -> None:
    _out, _manifest, _ctx, work, _result = merged
    pdf = convert(soffice, work / "city.xlsx", tmp_path / "pdf", "pdf")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed: the README's test command installs it")
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", first)
    assert "序号" in flat and "警告" in flat and "合计" in flat  # first and last columns, totals: all on page 1
    assert "A3" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def test_summary_headers_are_not_cut_when_printed(merged, soffice: str, tmp_path: Path) -> None:
    """LibreOffice keeps clipped text in the PDF, placed outside its cell: every word of the wrapped headers must
    end above the first unit's row (the third line of 「全国志愿服务系统累计注册志愿者」 used to run into it)."""
    _out, _manifest, _ctx, work, _result = merged
    pdf = convert(soffice, work / "city.xlsx", tmp_path / "pdf", "pdf")
    ws = openpyxl.load_workbook(work / "city.xlsx")[C.SUMMARY]
    header = [c.value for c in ws[4] if c.value]
    body = "".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None and c.row != 4)
    only_in_header = {ch for h in header for ch in h} - set(body)
    html = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    box = r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
    words = [(float(top), float(bottom), text) for top, bottom, text in re.findall(box, html)]
    first_row = min(top for top, _bottom, text in words if text == str(ws.cell(5, 2).value))
    header_words = [(bottom, text) for _top, bottom, text in words if set(text) & only_in_header]
    on_page = Counter("".join(text for _top, _bottom, text in words))
    assert not Counter("".join(header)) - on_page  # every header character is on page 1
    assert all(bottom <= first_row for bottom, _t in header_words), [t for b, t in header_words if b > first_row]


# Inputs the month does not expect


PLACEHOLDER = b"A" * 14 + b".xlsx"  # as many bytes as the GBK name


def test_strict_zip_gbk_traversal_strangers_and_wrong_month(tmp_path: Path, ctx) -> None:
    good = write(tmp_path / "src" / "2026-11_万州区科协_科技志愿服务月报.xlsx", ctx.template, clean_filling())
    bad = write(
        tmp_path / "src" / "2026-11_涪陵区科协.xlsx",
        ctx.template,
        changed(changed(clean_filling(), "basic", None, unit="涪陵区科协", phone="1380023"), "basic", None, email="x@y.cn"),
    )
    october = write(
        tmp_path / "src" / "十月.xlsx",
        ctx.template,
        changed(clean_filling(), "basic", None, unit="渝中区科协", report_month="2026-10"),
    )
    nobody = changed(clean_filling(), "basic", None, unit="火星科协")
    nobody.meta = {}  # type: ignore[misc]  # no unit code in the metadata either
    stranger = write(tmp_path / "src" / "不知道.xlsx", ctx.template, nobody)
    archive = tmp_path / "收件.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        gbk = zipfile.ZipInfo(PLACEHOLDER.decode(), (2026, 11, 20, 9, 0, 0))  # renamed to GBK bytes below
        zf.writestr(
            gbk,
            write(tmp_path / "nan.xlsx", ctx.template, changed(clean_filling(), "basic", None, unit="南岸区科协")).read_bytes(),
        )
        zf.writestr(zipfile.ZipInfo("../../evil.xlsx", (2026, 11, 21, 9, 0, 0)), october.read_bytes())
        zf.writestr("说明.txt", "随便写点".encode())
    # Chinese Windows zip tools write GBK names without the UTF-8 flag; zipfile cannot, so patch the bytes
    archive.write_bytes(archive.read_bytes().replace(PLACEHOLDER, "南岸区科协月报.xlsx".encode("gbk")))
    sources = [good, bad, stranger, archive]
    result = consolidate_month(sources, ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", strict=True)
    ledger = {r["文件"]: (r["状态"], r["原因"]) for r in _sheet(tmp_path / "c.xlsx", C.INTAKE)}
    assert ledger["2026-11_万州区科协_科技志愿服务月报.xlsx"][0] == C.ADOPTED
    assert ledger["2026-11_涪陵区科协.xlsx"] == (C.REJECTED, "有 1 处错误（--strict：有错误的报表不采用）")
    assert ledger["不知道.xlsx"][0] == C.UNIDENTIFIED
    assert ledger["南岸区科协月报.xlsx"][0] == C.ADOPTED  # GBK name from the zip decoded
    assert ledger["evil.xlsx"] == (C.REJECTED, "报送月份为「2026-10」，不是 2026-11")  # no path left the work folder
    assert ledger["说明.txt"] == (C.UNIDENTIFIED, "不是月报工作簿或图片")
    assert not (tmp_path.parent / "evil.xlsx").exists()
    status = {r["填报单位"]: r["报送状态"] for r in _sheet(tmp_path / "c.xlsx", C.SUMMARY, header_row=4) if r["填报单位"]}
    assert status["涪陵区科协"] == C.REJECTED  # --strict refused its workbook: not 未报
    assert status["南岸区科协"] == C.UNVERIFIED  # a file time only
    text = result.summary()
    assert "报表被退回、本月没有采用的单位：涪陵区科协" in text and "退回：2026-11_涪陵区科协.xlsx（有 1 处错误" in text
    assert "无法识别：不知道.xlsx" in text
    assert result.counts.received == 6


def test_file_name_identifies_a_unit_and_a_resubmission_is_read_alone(tmp_path: Path, ctx) -> None:
    folder = tmp_path / "in"
    source = write(folder / "2026-11_万州区科协.xlsx", ctx.template, changed(clean_filling(), "basic", None, unit=None))
    shutil.copy(source, folder / "2026-11_万州区科协（已校验）.xlsx")  # a marked copy left beside it
    shutil.copy(source, folder / "2026-11_万州区科协（校验前备份2）.xlsx")
    first = consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert first.counts.by_status == {C.ADOPTED: 1, C.SKIPPED: 2} and first.counts.received == 1  # ours: listed, not counted
    ledger = {r["文件"]: r["原因"] for r in _sheet(tmp_path / "c.xlsx", C.INTAKE)}
    assert "标注副本或备份" in ledger["2026-11_万州区科协（已校验）.xlsx"]
    write(folder / "2026-11_万州区科协（更正）.xlsx", ctx.template, clean_filling())
    again = consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", force=True)
    assert again.counts.checked == 1 and again.counts.by_status == {C.ADOPTED: 1, C.SUPERSEDED: 1, C.SKIPPED: 2}
    with pytest.raises(KexieError, match="--force"):
        write(folder / "2026-11_涪陵区科协.xlsx", ctx.template, changed(clean_filling(), "basic", None, unit="涪陵区科协"))
        consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")


def test_unit_text_never_becomes_a_formula(tmp_path: Path, ctx) -> None:
    hostile = '=HYPERLINK("http://evil.example","点我")'
    path = write(
        tmp_path / "in" / "万州区科协.xlsx",
        ctx.template,
        changed(clean_filling(), "activities", 7, name=hostile, remark="@SUM(1)"),
    )
    consolidate_month([path], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx")[C.DETAIL]
    cells = [c for row in ws.iter_rows() for c in row if c.value in (hostile, "@SUM(1)")]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)


def test_a_value_not_taken_is_shown_beside_its_row(tmp_path: Path, ctx) -> None:
    """A report adopted with errors: the cells the checks could not take are empty in 活动明细 (they are not
    data), and 校验问题 beside the row says what the unit wrote there — the city's table loses nothing silently."""
    filling = changed(clean_filling(), "activities", None, activity_id="A2026-099", name="另一场讲座", remark="另一场")
    filling = changed(filling, "activities", 7, venue="社区服务站点X", volunteers="八", remark="如实填写")
    path = write(tmp_path / "in" / "2026-11_万州区科协.xlsx", ctx.template, filling)
    result = consolidate_month([path], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert result.counts.by_status == {C.ADOPTED: 1}
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx")[C.DETAIL]
    rows = [dict(zip([c.value for c in ws[1]], [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=2)]
    assert [c.value for c in ws[1]][-1] == "校验问题" and ws.column_dimensions["U"].width > 30
    bad = [r for r in rows if r["备注"] == "如实填写"]
    assert len(bad) == 1 and bad[0]["服务阵地"] is None and bad[0]["参与志愿者人数"] is None
    lines = bad[0]["校验问题"].split("\n")
    assert len(lines) == 2 and all(line.startswith("【错误】工作表「活动台账」") for line in lines)
    assert "「社区服务站点X」" in bad[0]["校验问题"] and "「八」" in bad[0]["校验问题"]
    assert len(rows) > 1 and all(r["校验问题"] is None for r in rows if r is not bad[0])
    assert ws.cell(1 + rows.index(bad[0]) + 1, 21).alignment.wrap_text


@pytest.mark.parametrize(
    ("raw", "clean"), [("../../x.xlsx", "x.xlsx"), ("a\\b\\CON.xlsx", "_CON.xlsx"), ("a:b?.xlsx", "a_b_.xlsx"), ("..", "_未命名")]
)
def test_safe_names(raw: str, clean: str) -> None:
    assert safe_name(raw) == clean
