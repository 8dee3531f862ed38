"""The quarterly minimum: the rule over rows at its edges, in validation, in the workbook and on the demo month."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kexie_xl.api import check_workbook, load_context, mark_workbook, team_quarters, validate
from kexie_xl.cli import cli
from kexie_xl.config import QuarterlyRule
from kexie_xl.rules.quarterly import ActivityRow, TeamRow, parse_quarter, quarterly_status

from .builders import AS_OF, changed, clean_filling, write
from .conftest import convert

RULE = QuarterlyRule()
Q = {1: "2026Q1", 2: "2026Q2", 3: "2026Q3", 4: "2026Q4"}
ZD = TeamRow("T01", "第一支队", "支队", "T00", date(2020, 1, 1))


def status(teams, acts, as_of, rule=RULE, year=None) -> dict[tuple[str, str], tuple[str, int]]:
    out = quarterly_status(teams, acts, rule, as_of, year)
    return {(s.team_id, s.quarter): (s.status, s.count) for s in out}


def act(day: date, *teams: str) -> ActivityRow:
    return ActivityRow(day, teams)


def test_first_and_last_day_of_a_quarter_belong_to_it() -> None:
    got = status([ZD], [act(date(2026, 9, 30), "T01"), act(date(2026, 10, 1), "T01")], date(2026, 12, 31))
    assert got[("T01", Q[3])] == ("达标", 1) and got[("T01", Q[4])] == ("达标", 1)
    assert got[("T01", Q[1])] == ("未达标", 0) and got[("T01", Q[2])] == ("未达标", 0)


def test_29_february() -> None:
    got = status([ZD], [act(date(2028, 2, 29), "T01")], date(2028, 3, 31))
    assert got == {("T01", "2028Q1"): ("达标", 1)}


def test_open_quarter_is_pending_with_days_left_today_included() -> None:
    out = quarterly_status([ZD], [], RULE, date(2026, 12, 31), 2026, [4])
    assert (out[0].status, out[0].days_left) == ("待开展", 1)
    out = quarterly_status([ZD], [], RULE, date(2026, 11, 23), 2026, [4])
    assert (out[0].status, out[0].days_left, out[0].reason) == ("待开展", 39, "本季度已开展 0 次，还剩 39 天（含今天）")
    assert quarterly_status([ZD], [], RULE, date(2027, 1, 1), 2026, [4])[0].status == "未达标"


def test_only_quarters_that_have_started_are_judged() -> None:
    got = status([ZD], [act(date(2026, 2, 1), "T01")], date(2026, 5, 10))
    assert set(got) == {("T01", Q[1]), ("T01", Q[2])}


def test_activities_after_the_as_of_date_have_not_happened() -> None:
    got = status([ZD], [act(date(2026, 12, 5), "T01")], date(2026, 11, 20))
    assert got[("T01", Q[4])] == ("待开展", 0)


def test_founded_mid_quarter_counts_founded_in_last_month_is_exempt() -> None:
    mid = TeamRow("T02", "二", "支队", founded=date(2026, 8, 10))
    late = TeamRow("T03", "三", "支队", founded=date(2026, 9, 1))
    got = status([mid, late], [], date(2026, 10, 5))
    assert got[("T02", Q[3])] == ("未达标", 0) and got[("T03", Q[3])][0] == "豁免"
    assert got[("T02", Q[1])][0] == "豁免" and got[("T02", Q[2])][0] == "豁免"  # not founded yet
    no_grace = status([late], [], date(2026, 10, 5), QuarterlyRule(grace_last_month=False))
    assert no_grace[("T03", Q[3])] == ("未达标", 0)


def test_dissolved_mid_quarter_counts_that_quarter_and_is_exempt_after() -> None:
    team = TeamRow("T04", "四", "支队", founded=date(2020, 1, 1), dissolved=date(2026, 5, 15))
    got = status([team], [act(date(2026, 4, 20), "T04")], date(2026, 11, 1))
    assert got[("T04", Q[2])] == ("达标", 1) and got[("T04", Q[3])][0] == "豁免" and got[("T04", Q[4])][0] == "豁免"
    gone = status([team], [], date(2026, 11, 1))
    assert gone[("T04", Q[2])] == ("未达标", 0)


def test_activities_only_in_another_quarter() -> None:
    got = status([ZD], [act(date(2026, 5, 5), "T01"), act(date(2026, 6, 5), "T01")], date(2026, 10, 1))
    assert got[("T01", Q[2])] == ("达标", 2) and got[("T01", Q[3])] == ("未达标", 0)


def test_shared_activity_counts_for_both_teams_and_child_for_parent_once() -> None:
    other = TeamRow("T02", "二", "支队", "T00", date(2020, 1, 1))
    child = TeamRow("T01-1", "一分队", "分队", "T01", date(2021, 1, 1))
    acts = [act(date(2026, 10, 8), "T01", "T02"), act(date(2026, 11, 2), "T01-1"), act(date(2026, 11, 3), "T01", "T01-1")]
    got = status([ZD, other, child], acts, date(2026, 12, 31))
    assert got[("T01", Q[4])] == ("达标", 3) and got[("T02", Q[4])] == ("达标", 1)
    assert ("T01-1", Q[4]) not in got  # 分队 are not counted by default
    own = status([ZD, child], acts[1:2], date(2027, 1, 1), QuarterlyRule(child_counts_for_parent=False), 2026)
    assert own[("T01", Q[4])] == ("未达标", 0)


def test_a_unit_without_counted_teams_and_a_team_listed_twice() -> None:
    assert quarterly_status([TeamRow("T00", "总队", "总队")], [act(date(2026, 3, 1), "T00")], RULE, date(2026, 6, 30)) == []
    twice = quarterly_status([ZD, ZD], [act(date(2026, 3, 1), "T01")], RULE, date(2026, 3, 31))
    assert [(s.team_id, s.quarter, s.count) for s in twice] == [("T01", Q[1], 1)]


def test_parameters_minimum_levels_and_units_kept_apart() -> None:
    rule = QuarterlyRule(levels=("支队", "大队"), minimum=2)
    big = TeamRow("D1", "大队", "大队", founded=date(2020, 1, 1))
    got = status(
        [ZD, big],
        [act(date(2026, 1, 5), "T01"), act(date(2026, 2, 5), "D1"), act(date(2026, 3, 5), "D1")],
        date(2026, 3, 31),
        rule,
    )
    assert got[("T01", Q[1])] == ("待开展", 1) and got[("D1", Q[1])] == ("达标", 2)
    a, b = TeamRow("T01", unit="A", level="支队"), TeamRow("T01", unit="B", level="支队")
    out = quarterly_status([a, b], [ActivityRow(date(2026, 1, 5), ("T01",), "A")], RULE, date(2026, 3, 31))
    assert [(s.unit, s.status) for s in out] == [("A", "达标"), ("B", "待开展")]


@pytest.mark.parametrize(("text", "parsed"), [("2026Q4", (2026, 4)), ("2026-q1", (2026, 1))])
def test_parse_quarter(text: str, parsed: tuple[int, int]) -> None:
    assert parse_quarter(text) == parsed
    with pytest.raises(ValueError, match=r"Q1 到 Q4|如 2026Q4"):
        parse_quarter("2026Q5" if text == "2026Q4" else "去年")


# In validation and in the workbook


def test_validation_carries_quarterly_warnings_at_the_team_row(tmp_path: Path, ctx) -> None:
    filling = changed(clean_filling(), "activities", 5, team_ids="T01")  # T02's only Q3 activity → T01
    path = write(tmp_path / "q.xlsx", ctx.template, filling)
    report = validate(path, ctx, as_of=AS_OF)
    assert report.flatten(("code", "sheet", "cell", "severity")) == [("rule.quarterly-minimum", "服务队", "A4", "警告")]
    assert "2026Q3" in report.findings[0].message and report.ok  # 原则上: advises, does not block


def test_severity_and_levels_come_from_configuration(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('[quarterly]\nseverity = "错误"\nlevels = ["支队", "中队"]\n', encoding="utf-8")
    ctx = load_context(config)
    filling = changed(clean_filling(), "activities", 5, team_ids="T01")
    report = validate(write(tmp_path / "q.xlsx", ctx.template, filling), ctx, as_of=AS_OF)
    assert report.flatten(("code", "severity", "value")) == [
        ("rule.quarterly-minimum", "错误", "T02"),
        ("config.rule-parameter", "警告", "中队"),
    ]
    assert not report.ok


def test_quarterly_sheet_and_team_marks(tmp_path: Path, ctx, soffice: str) -> None:
    filling = changed(clean_filling(), "activities", 7, team_ids="T01")  # T02 has nothing in Q4 yet
    path = write(tmp_path / "q.xlsx", ctx.template, filling)
    report, sub = check_workbook(path, ctx, as_of=AS_OF)
    statuses = team_quarters(sub, ctx, AS_OF)
    marked = mark_workbook(path, report, as_of=AS_OF, statuses=statuses, out_dir=tmp_path / "out", quarterly_only=True)
    assert marked.name == "q（季度达标）.xlsx"
    for book in (marked, convert(soffice, marked, tmp_path / "lo")):
        wb = openpyxl.load_workbook(book)
        assert "季度达标" in wb.sheetnames and "校验结果" not in wb.sheetnames
        ws = wb["季度达标"]
        header = [c.value for c in ws[5]]
        assert header[:3] == ["队伍编号", "队伍名称", "层级"] and "2026Q4 状态" in header
        rows = {ws.cell(r, 1).value: [c.value for c in ws[r]] for r in range(6, ws.max_row + 1)}
        q4 = header.index("2026Q4 状态")
        assert rows["T02"][q4] == "待开展" and rows["T01"][q4] == "达标"
        assert ws.cell(7, q4 + 1).fill.fgColor.rgb == "FFFFEB9C" and ws.cell(6, q4 + 1).fill.fgColor.rgb == "FFC6EFCE"
        assert rows["T02"][q4 - 1] == 0 and rows["T02"][header.index("本季度剩余天数")] == 42
        teams = wb["服务队"]
        assert teams["A4"].fill.fgColor.rgb == "FFFFEB9C" and "待开展" not in (teams["A3"].comment or "")
        assert "2026Q4" in teams["A4"].comment.text
    assert ws["A7"].hyperlink is None or ws["A7"].hyperlink.location == "'服务队'!A4"


# The demo month and the command


def test_demo_planted_teams_and_no_other(demo) -> None:
    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    planted = {(c["unit"], c["team_id"], c["quarter"]): c["expected"] for c in manifest["quarterly"]}
    flagged = {}
    latest = {f["unit"]: f for f in manifest["files"]}
    for unit, f in latest.items():
        _report, sub = check_workbook(out / f["path"], ctx, as_of=AS_OF)
        for s in team_quarters(sub, ctx, AS_OF):
            key = (unit, s.team_id, s.quarter)
            if key in planted:
                assert s.status == planted[key], key
            if s.status in ("未达标", "待开展"):
                flagged[key] = s.status
    assert flagged == {k: v for k, v in planted.items() if v in ("未达标", "待开展")}
    assert sorted(flagged.values()) == ["待开展", "未达标"]


GOLDEN = Path(__file__).parent / "golden" / "quarterly_demo.json"


def test_quarterly_json_is_stable(demo) -> None:
    """Golden file, reviewed once: regenerate with KEXIE_XL_UPDATE_GOLDEN=1 and review the diff."""
    out, manifest = demo
    units = sorted({c["unit"] for c in manifest["quarterly"]})
    files = [str(out / f["path"]) for f in manifest["files"] if f["unit"] in units]
    result = CliRunner().invoke(cli, ["--config", str(out / manifest["config"]), "quarterly", *files, "--format", "json"])
    assert result.exit_code == 1  # one 支队 missed 2026Q3
    got = json.loads(result.output)
    if os.environ.get("KEXIE_XL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_quarterly_command_options(demo, tmp_path: Path) -> None:
    out, manifest = demo
    pending = next(c for c in manifest["quarterly"] if c["expected"] == "待开展")
    f = next(f for f in manifest["files"] if f["unit"] == pending["unit"])
    run = CliRunner().invoke
    config = ["--config", str(out / manifest["config"])]
    later = run(
        cli, [*config, "quarterly", str(out / f["path"]), "--quarter", "2026Q4", "--as-of", "2027-01-02", "--format", "json"]
    )
    teams = json.loads(later.output)[0]["teams"]
    assert later.exit_code == 1 and {t["quarter"] for t in teams} == {"2026Q4"}
    assert next(t for t in teams if t["team_id"] == pending["team_id"])["status"] == "未达标"
    text = run(cli, [*config, "quarterly", str(out / f["path"]), "--out", str(tmp_path)])
    assert text.exit_code == 0 and "待开展 1" in text.output and "标注" in text.output
    bad = run(cli, [*config, "quarterly", str(out / f["path"]), "--quarter", "2026Q5"])
    assert bad.exit_code == 2 and "不存在" in bad.output
