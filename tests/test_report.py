"""Reading across months: the store as pandas frames, the period report workbook, the monthly 简报 draft."""

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

from kexie_xl.api import consolidate_month, load_context, period_report
from kexie_xl.errors import ConfigError, InputMissing
from kexie_xl.report.months import parse_period
from kexie_xl.rules.quarterly import MISSED
from kexie_xl.schema import city as C

from .builders import patch_part, sheet_part
from .conftest import convert
from .test_consolidate import merged  # noqa: F401  (the fixture, shared)


@pytest.fixture(scope="module")
def month(merged):  # noqa: F811  (test_consolidate's fixture, imported above)
    """The demo month consolidated once (test_consolidate's fixture): its config, manifest, folder and result."""
    out, manifest, _ctx, work, result = merged
    return out / manifest["config"], manifest, work, result


def _store_sums(store: Path, month: str) -> tuple[int, int, float, int]:
    db = sqlite3.connect(store)
    ids = [r[0] for r in db.execute("SELECT submission_id FROM inputs WHERE month=? AND status='采用'", (month,))]
    marks = ",".join("?" * len(ids))
    found = db.execute(
        f"SELECT count(*), sum(volunteers), sum(hours), sum(beneficiaries) FROM activities WHERE submission_id IN ({marks}) "
        "AND date LIKE ?",
        [*ids, month + "%"],
    ).fetchone()
    db.close()
    return found


def test_periods_are_quarters_years_and_ranges() -> None:
    assert parse_period("2026Q4").months == ("2026-10", "2026-11", "2026-12")
    assert parse_period("2026q1").label == "2026年第一季度"
    assert parse_period("2026").months[0] == "2026-01" and len(parse_period("2026").months) == 12
    assert parse_period("2025-11..2026-02").months == ("2025-11", "2025-12", "2026-01", "2026-02")
    for bad in ("2026Q5", "26Q1", "2026-03..2026-01", "2026-13..2027-01", "下季度"):
        with pytest.raises(ConfigError):
            parse_period(bad)


def test_frames_are_the_city_workbooks_figures(month) -> None:
    import kexie_xl

    config, manifest, work, result = month
    frames = kexie_xl.frames(work / "store.sqlite", months="2026Q4", config=config)
    assert set(frames) == {"submissions", "activities", "teams", "registration"}
    subs = frames["submissions"]
    assert len(subs) == len(result.city.units) and set(subs["month"]) == {manifest["month"]}
    assert Counter(subs["status"]) == Counter(u.status for u in result.city.units)
    count, volunteers, hours, people = _store_sums(work / "store.sqlite", manifest["month"])
    acts = frames["activities"]
    assert len(acts) == count == subs["activities"].sum()
    assert acts["volunteers"].sum() == volunteers and acts["beneficiaries"].sum() == people
    assert abs(acts["hours"].sum() - hours) < 1e-6 and str(acts["date"].dtype).startswith("datetime64")
    assert list(acts.columns[:4]) == ["month", "unit", "unit_name", "activity_id"]
    wanzhou = subs[subs["unit_name"] == "万州区科协"].iloc[0]
    assert wanzhou["activities"] == (acts["unit_name"] == "万州区科协").sum()
    teams = frames["teams"]
    assert {"team_id", "level", "status"} <= set(teams.columns) and teams["unit"].nunique() == subs["errors"].notna().sum()
    reg = frames["registration"]
    db = sqlite3.connect(work / "store.sqlite")
    stored = db.execute(
        "SELECT count(*), sum(total) FROM registration WHERE submission_id IN "
        "(SELECT submission_id FROM inputs WHERE month = ? AND status = '采用')",
        (manifest["month"],),
    ).fetchone()
    db.close()
    assert (len(reg), reg["total"].sum()) == stored and set(reg["month"]) == {manifest["month"]}
    assert all(len(f) == 0 for f in kexie_xl.frames(work / "store.sqlite", months="2025", config=config).values())


@pytest.mark.libreoffice
def test_the_quarter_report_recalculated_by_libreoffice_equals_the_store(month, soffice: str, tmp_path: Path) -> None:
    config, manifest, work, result = month
    out = tmp_path / "季度.xlsx"
    message = period_report("2026Q4", config, store_path=work / "store.sqlite", output=out)
    assert "2026年第四季度" in message and "2026-11" in message
    stripped = tmp_path / "stripped.xlsx"
    shutil.copy(out, stripped)
    for sheet in ("单位月度", "报送记录", "季度达标"):
        patch_part(stripped, sheet_part(stripped, sheet), lambda xml: re.sub(r"(<f>[^<]*</f>)<v>[^<]*</v>", r"\1", xml))
    book = openpyxl.load_workbook(convert(soffice, stripped, tmp_path / "lo"), data_only=True)
    units = book["单位月度"]
    first_total = next(r for r in units.iter_rows(values_only=True) if r[0] == "全市合计")  # the 活动场次 block
    count, _volunteers, _hours, _people = _store_sums(work / "store.sqlite", manifest["month"])
    assert first_total[1] == count and first_total[2] == count
    record = list(book["报送记录"].iter_rows(min_row=4, values_only=True))
    header, rows = record[0], record[1:]
    counts = {h: sum(r[i] or 0 for r in rows) for i, h in enumerate(header) if h in (C.ON_TIME, C.LATE, C.MISSING)}
    statuses = Counter(u.status for u in result.city.units)
    assert counts == {C.ON_TIME: statuses[C.ON_TIME], C.LATE: statuses[C.LATE], C.MISSING: statuses[C.MISSING]}
    quarter = list(book["季度达标"].iter_rows(min_row=4, values_only=True))
    missed_row = next(r for r in quarter if r[2] == "未达标（队·季度）")
    assert quarter[0][3:] == ("2026Q4",) and missed_row[3] == 0  # the quarter is still running in November
    assert book.sheetnames == ["概况", "单位月度", "类别与对象", "季度达标", "注册增长", "报送记录", "活跃服务队"]
    assert sum(1 for n in zipfile.ZipFile(out).namelist() if n.startswith("xl/charts/chart")) == 3
    top = list(book["活跃服务队"].iter_rows(min_row=5, values_only=True))
    assert top[0][0] == 1 and top[0][4] >= top[-1][4] and len(top) == 20


@pytest.mark.libreoffice
def test_the_year_report_shows_every_quarter_so_far(month, soffice: str, tmp_path: Path) -> None:
    config, _manifest, work, result = month
    out = tmp_path / "全年.xlsx"
    period_report("2026", config, store_path=work / "store.sqlite", output=out)
    stripped = tmp_path / "stripped.xlsx"
    shutil.copy(out, stripped)
    patch_part(stripped, sheet_part(stripped, "季度达标"), lambda xml: re.sub(r"(<f>[^<]*</f>)<v>[^<]*</v>", r"\1", xml))
    rows = list(
        openpyxl.load_workbook(convert(soffice, stripped, tmp_path / "lo"), data_only=True)["季度达标"].iter_rows(
            min_row=4, values_only=True
        )
    )
    assert rows[0][3:] == ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
    missed = Counter(s.quarter for s in result.city.team_quarters if s.status == MISSED)
    assert missed["2026Q3"] > 0
    assert rows[-1][3:] == tuple(missed.get(q, 0) for q in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"))
    teams = {(r[0], r[1]) for r in rows[1:-1]}
    assert len(teams) == len({(s.unit, s.team_id) for s in result.city.team_quarters})


def test_a_report_needs_months_in_the_store(month, tmp_path: Path) -> None:
    config, _manifest, work, _result = month
    with pytest.raises(InputMissing, match="没有 2025年 的数据"):
        period_report("2025", config, store_path=work / "store.sqlite", output=tmp_path / "r.xlsx")
    with pytest.raises(InputMissing, match="找不到汇总库"):
        period_report("2026", config, store_path=tmp_path / "none.sqlite", output=tmp_path / "r.xlsx")
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "none.sqlite").exists()


@pytest.mark.libreoffice
def test_the_brief_draft_beside_the_city_workbook(month, soffice: str, tmp_path: Path) -> None:
    from docx import Document

    _config, manifest, work, result = month
    assert result.brief == work / f"重庆市科技志愿服务工作简报_{manifest['month']}（草稿）.docx"
    doc = Document(str(result.brief))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "重庆市科技志愿服务工作简报" and texts[1] == "（2026年11月）"
    headings = [t for t in texts if re.match(r"^[一二三四五六]、", t)]
    assert headings[:4] == ["一、总体情况", "二、报送情况", "三、季度达标情况", "四、经验做法"]
    count, volunteers, _hours, _people = _store_sums(work / "store.sqlite", manifest["month"])
    assert f"开展科技志愿服务活动 {count} 场次，参与志愿者 {volunteers} 人次" in texts[headings_index(texts, "一、总体情况") + 1]
    late = [u.unit.name for u in result.city.units if u.status == C.LATE]
    assert any(t.startswith(f"逾期报送 {len(late)} 个单位：{'、'.join(late)}") for t in texts)
    excerpts = [t for t in texts if re.match(r"^（[一二三四五]）", t)]
    assert 3 <= len(excerpts) <= 5 and all("：" in t for t in excerpts)
    body = doc.paragraphs[headings_index(texts, "一、总体情况") + 1].runs[0]
    fonts = body._element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"
    pdf = convert(soffice, result.brief, tmp_path / "pdf", "pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "重庆市科技志愿服务工作简报" in re.sub(r"\s+", "", text)


def headings_index(texts: list[str], heading: str) -> int:
    return texts.index(heading)


DRAFT = r"""
import json, os, sys
from pathlib import Path
import kexie_xl.api.consolidation as c
import kexie_xl.files.isolate as isolate
from kexie_xl.api import consolidate_month, load_context

config, inbox, work, how = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
draft = c._draft

def spy(job):
    (work / "draft-pid").write_text(str(os.getpid()))
    return draft(job)

c._draft = spy
if how == "inline":  # as on Windows, or beside a web server's threads
    isolate._can_fork = lambda limits: False
if how == "fail":
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")
    c._write_city_once = broken
found = {"pid": os.getpid()}
try:
    result = consolidate_month([inbox], load_context(config), "2026-11", output=work / "city.xlsx", store_path=work / "s.sqlite")
    found["brief"] = str(result.brief)
except OSError as exc:
    found["error"] = exc.strerror
try:
    os.waitpid(-1, os.WNOHANG)
    found["children"] = "left"
except ChildProcessError:
    found["children"] = "none"
print(json.dumps(found, ensure_ascii=False))
"""


def test_the_brief_is_drafted_beside_the_city_workbook_and_only_with_it(demo, tmp_path: Path) -> None:
    """Two cores: the 简报 draft is written in a child while the city workbook is (api/consolidation.py) — the same
    draft as written in turn; a month whose workbook could not be written gets none, and no child stays behind."""
    import json
    import sys

    from docx import Document

    out, manifest = demo
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for book in sorted((out / "workbooks").glob("*.xlsx"))[:3]:
        shutil.copy(book, inbox / book.name)
    runs = {}
    for how in ("beside", "inline", "fail"):
        work = tmp_path / how
        work.mkdir()
        cmd = [sys.executable, "-c", DRAFT, str(out / manifest["config"]), str(inbox), str(work), how]
        runs[how] = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        runs[how]["drafted by"] = int((work / "draft-pid").read_text()) if (work / "draft-pid").exists() else None
    beside, inline, fail = runs["beside"], runs["inline"], runs["fail"]
    assert beside["drafted by"] not in (None, beside["pid"]) and inline["drafted by"] == inline["pid"]
    assert {beside["children"], inline["children"], fail["children"]} == {"none"}
    texts = [[p.text for p in Document(r["brief"]).paragraphs] for r in (beside, inline)]
    assert texts[0] == texts[1] and "一、总体情况" in texts[0]
    assert fail["error"] == "No space left on device" and not list((tmp_path / "fail").glob("*.docx"))


def test_a_series_of_months_side_by_side(ctx, tmp_path: Path) -> None:
    """Two demo months in one store: the report's unit × month columns and the frames are each month's city figures."""
    import kexie_xl
    from kexie_xl.sample.series import write_series

    months = ["2026-10", "2026-11"]
    out = tmp_path / "series"
    write_series(out, ctx, months, 2026)
    cities = {}
    for m in months:
        month_ctx = load_context(out / m / "config" / "kexie.toml")
        cities[m] = consolidate_month([out / m / "mail"], month_ctx, m, output=out / m / "city.xlsx").city
    config, store = out / "2026-11" / "config" / "kexie.toml", out / "kexie_store.sqlite"
    frames = kexie_xl.frames(store, months="2026Q4", config=config)
    per_month = frames["submissions"].groupby("month")["activities"].sum().to_dict()
    assert per_month == {m: sum(u.values.get("activities", 0) for u in cities[m].units) for m in months}
    assert len(frames["activities"]) == sum(len(c.detail) for c in cities.values())
    report = tmp_path / "r.xlsx"
    period_report("2026-10..2026-11", config, store_path=store, output=report)
    rows = list(openpyxl.load_workbook(report)["单位月度"].iter_rows(min_row=5, values_only=True))
    assert rows[0][:3] == ("单位", "2026-10", "2026-11")
    wanzhou = next(r for r in rows if r[0] == "万州区科协")
    assert wanzhou[1:3] == tuple(
        next(u.values.get("activities", 0) for u in cities[m].units if u.unit.name == "万州区科协") for m in months
    )


def test_the_office_desk_matrix_is_the_city_workbooks_quarters(month) -> None:
    """The desk's 支队 × quarter matrix: every counted team, the planted 未达标/待开展 cases at their quarter."""
    from kexie_xl.api.desk import month_desk

    config, manifest, work, result = month
    desk = month_desk(load_context(config), manifest["month"], work / "store.sqlite")
    cells = {(r.unit, r.team_id, q): status for r in desk.matrix for q, (status, _n) in r.quarters.items()}
    assert len(desk.matrix) == len({(s.unit, s.team_id) for s in result.city.team_quarters})
    planted = [c for c in manifest["quarterly"] if c["expected"] in ("未达标", "待开展")]
    names = result.city.names
    assert planted and all(cells[(names[c["unit"]], c["team_id"], c["quarter"])] == c["expected"] for c in planted)
