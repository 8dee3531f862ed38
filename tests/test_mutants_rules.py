"""Rules at their edges, on in-memory grids (issue #19): the report as a whole (unit, 本月无活动, template version),
the quarterly finding on the team's own row with the configured severity, and the rule's own values."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import date

import pytest

from kexie_xl.config import QuarterlyRule
from kexie_xl.findings import Severity
from kexie_xl.rules import RuleContext
from kexie_xl.rules.quarterly import (
    ActivityRow,
    QuarterStatus,
    TeamRow,
    judgement_day,
    quarter_bounds,
    quarterly_status,
    submission_statuses,
)

from .grids import add, check, clean_grid, context, first, found, put, put_basic, sheet_name

BASIC, TEAMS, ACTS, META = sheet_name("basic"), sheet_name("teams"), sheet_name("activities"), sheet_name("meta")


# The report as a whole


@pytest.mark.parametrize(
    ("unit", "flagged"),
    [("万州区科协", False), ("石柱县", False), ("火星科协", True), ("江北区科协", True)],
    ids=["known", "alias", "unknown", "no-longer-reporting"],
)
def test_the_unit_must_be_due_that_month(unit: str, flagged: bool) -> None:
    report, _ = check(put_basic(clean_grid(), "unit", unit))
    assert found(report, "report.unit-unknown") == ([("report.unit-unknown", BASIC, "B2")] if flagged else [])
    if flagged:
        assert first(report, "report.unit-unknown").value == unit and first(report, "report.unit-unknown").label == "填报单位"


def test_a_unit_no_longer_reporting_keeps_the_workbooks_own_code() -> None:
    report, _ = check(put_basic(clean_grid(), "unit", "江北区科协"))
    assert (report.unit, report.unit_code) == ("江北区科协", "500101")


@pytest.mark.parametrize(
    ("day", "statement", "flagged"),
    [
        (date(2026, 11, 1), None, False),  # the month's first day
        (date(2026, 10, 31), None, True),
        (date(2026, 10, 31), "是", False),
        (date(2026, 10, 31), "否", True),
    ],
)
def test_an_activity_this_month_or_the_statement(day: date, statement: str | None, flagged: bool) -> None:
    grid = put(clean_grid(), "activities", 9, date=day)
    put_basic(grid, "no_activity", statement)
    report, _ = check(grid)
    assert found(report, "report.no-activity") == ([("report.no-activity", BASIC, "B8")] if flagged else [])
    if flagged:
        assert "2026-11" in first(report, "report.no-activity").message


def test_an_activity_in_the_same_month_of_another_year_is_not_this_months() -> None:
    grid = put(clean_grid(), "activities", 9, date=date(2025, 11, 6))
    report, _ = check(grid)
    assert ("report.no-activity", BASIC, "B8") in found(report)


@pytest.mark.parametrize(("version", "flagged"), [("2026.1", False), ("2019.1", True)])
def test_an_unsupported_template_version_is_named(version: str, flagged: bool) -> None:
    grid = clean_grid()
    meta = grid.sheets[META]
    row = next(r for r in meta.rows if r[0] == "template_version")
    row[1] = version
    report, _ = check(grid)
    expected = [("file.template-version", META, "", Severity.WARNING, version)] if flagged else []
    assert [(f.code, f.sheet, f.cell, f.severity, f.value) for f in report.findings] == expected
    if flagged:
        assert "2026.1" in report.findings[0].message and report.ok


# The quarterly rule inside validation


def test_a_team_short_in_a_past_quarter_is_marked_at_its_id() -> None:
    grid = put(clean_grid(), "activities", 7, team_ids="T01")  # T02's only Q3 activity → T01
    report, _ = check(grid)
    finding = first(report, "rule.quarterly-minimum")
    assert [(f.code, f.sheet, f.cell) for f in report.findings] == [("rule.quarterly-minimum", TEAMS, "A4")]
    assert (finding.severity, finding.value, finding.label) == (Severity.WARNING, "T02", "队伍编号")
    assert "2026Q3" in finding.message and "万州区应急科技志愿服务支队" in finding.message


def test_the_severity_comes_from_configuration() -> None:
    ctx = context()
    settings = replace(ctx.settings, quarterly=QuarterlyRule(severity="错误", levels=("支队", "中队")))
    from kexie_xl.checks import check_grid

    grid = put(clean_grid(), "activities", 7, team_ids="T01")
    report, _ = check_grid(grid, ctx.template, RuleContext(settings, ctx.registry, date(2026, 11, 30)), "t.xlsx")
    assert [(f.code, f.severity, f.value, f.cell) for f in report.findings] == [
        ("rule.quarterly-minimum", Severity.ERROR, "T02", "A4"),
        ("config.rule-parameter", Severity.WARNING, "中队", ""),
    ]
    assert "quarterly.levels" in report.findings[1].message and not report.ok


def test_a_pending_team_in_the_open_quarter_with_its_days_left() -> None:
    grid = put(clean_grid(), "activities", 9, team_ids="T01")  # T02's Q4 activity → T01
    report, _ = check(grid)
    finding = first(report, "rule.quarterly-pending")
    assert (finding.cell, finding.value) == ("A4", "T02")
    # judged on the report date (2026-11-20): 11 days of November and 31 of December left, that day included
    assert "本季度还剩 42 天" in finding.message


def test_activities_of_a_team_on_the_same_day_each_count() -> None:
    """The rule groups a ledger's activities by day and teams (submission_rows): two on one day are two."""
    grid = put(clean_grid(), "activities", 5, date=date(2026, 3, 5))  # T02: two activities on 2026-03-05, none in Q2
    _, sub = check(grid)
    statuses = submission_statuses(sub, QuarterlyRule(minimum=2), date(2026, 11, 30))
    t02 = {s.quarter: (s.count, s.status) for s in statuses if s.team_id == "T02"}
    assert t02["2026Q1"] == (2, "达标") and t02["2026Q2"] == (0, "未达标") and t02["2026Q3"] == (1, "未达标")


def test_the_report_date_is_the_day_of_judgement() -> None:
    _, sub = check(clean_grid())
    assert judgement_day(sub, date(2026, 12, 31)) == date(2026, 11, 20)
    assert judgement_day(sub, date(2026, 11, 19)) == date(2026, 11, 19)
    statuses = submission_statuses(sub, QuarterlyRule(), date(2027, 2, 1))
    assert {s.as_of for s in statuses} == {date(2026, 11, 20)} and {s.quarter for s in statuses} == {
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026Q4",
    }
    later = submission_statuses(sub, QuarterlyRule(), date(2027, 2, 1), on_report_date=False, year=2027)
    assert {(s.quarter, s.as_of) for s in later} == {("2027Q1", date(2027, 2, 1))}


def test_teams_without_an_id_are_not_judged_and_a_dissolution_needs_the_status() -> None:
    grid = clean_grid()
    put(grid, "teams", 4, status="在册", dissolved=date(2026, 2, 1))  # a date without 撤销: still counted
    put(grid, "teams", 3, team_id=None)
    _, sub = check(grid)
    statuses = submission_statuses(sub, QuarterlyRule(), date(2026, 11, 30))
    assert sorted({s.team_id for s in statuses}) == ["T02"]
    assert {s.quarter: s.status for s in statuses} == {"2026Q1": "达标", "2026Q2": "达标", "2026Q3": "达标", "2026Q4": "达标"}
    assert {s.row for s in statuses} == {4}


def test_checking_leaves_the_garbage_collector_as_it_was() -> None:
    assert gc.isenabled()
    check(clean_grid())
    assert gc.isenabled()
    gc.disable()
    try:
        check(clean_grid())
        assert not gc.isenabled()
    finally:
        gc.enable()


# The rule over rows


def test_quarter_bounds_of_every_quarter() -> None:
    assert [quarter_bounds(2028, q) for q in (1, 2, 3, 4)] == [
        (date(2028, 1, 1), date(2028, 3, 31)),
        (date(2028, 4, 1), date(2028, 6, 30)),
        (date(2028, 7, 1), date(2028, 9, 30)),
        (date(2028, 10, 1), date(2028, 12, 31)),
    ]


def test_a_status_as_json() -> None:
    team = TeamRow("T01", "第一支队", "支队", None, date(2020, 1, 1), None, "500101", 3)
    [s] = quarterly_status(
        [team], [ActivityRow(date(2026, 11, 2), ("T01",), "500101")], QuarterlyRule(), date(2026, 11, 20), quarters=[4]
    )
    assert isinstance(s, QuarterStatus) and s.row == 3
    assert s.to_dict() == {
        "unit": "500101",
        "team_id": "T01",
        "team_name": "第一支队",
        "level": "支队",
        "quarter": "2026Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "count": 1,
        "minimum": 1,
        "status": "达标",
        "days_left": None,
        "reason": "",
        "as_of": "2026-11-20",
    }


@pytest.mark.parametrize(
    ("as_of", "status", "left"),
    [(date(2026, 12, 30), "待开展", 2), (date(2026, 12, 31), "待开展", 1), (date(2027, 1, 1), "未达标", None)],
)
def test_the_quarters_last_day_is_still_open(as_of: date, status: str, left: int | None) -> None:
    team = TeamRow("T01", "一支队", "支队", None, date(2020, 1, 1))
    [s] = quarterly_status([team], [], QuarterlyRule(), as_of, 2026, [4])
    assert (s.status, s.days_left) == (status, left)
    assert ("还剩" in s.reason) == (status == "待开展") and ("该季度已结束" in s.reason) == (status == "未达标")


@pytest.mark.parametrize(
    ("founded", "dissolved", "status"),
    [
        (date(2026, 9, 1), None, "豁免"),  # founded in the quarter's last month
        (date(2026, 8, 31), None, "未达标"),
        (date(2026, 10, 1), None, "豁免"),  # founded after the quarter
        (date(2020, 1, 1), date(2026, 6, 30), "豁免"),  # dissolved the day before the quarter
        (date(2020, 1, 1), date(2026, 7, 1), "未达标"),  # dissolved on its first day: the quarter counts
    ],
)
def test_exemptions_at_their_edges(founded: date, dissolved: date | None, status: str) -> None:
    team = TeamRow("T01", "一支队", "支队", None, founded, dissolved)
    [s] = quarterly_status([team], [], QuarterlyRule(), date(2026, 11, 20), 2026, [3])
    assert s.status == status


def test_without_grace_a_team_founded_in_the_last_month_counts() -> None:
    team = TeamRow("T01", "一支队", "支队", None, date(2026, 9, 1))
    [s] = quarterly_status([team], [], QuarterlyRule(grace_last_month=False), date(2026, 11, 20), 2026, [3])
    assert (s.status, s.count) == ("未达标", 0)


@pytest.mark.parametrize(("minimum", "status"), [(2, "达标"), (3, "未达标")])
def test_the_minimum_is_reached_at_equality(minimum: int, status: str) -> None:
    team = TeamRow("T01", "一支队", "支队", None, date(2020, 1, 1))
    acts = [
        ActivityRow(date(2026, 7, 1), ("T01",)),
        ActivityRow(date(2026, 9, 30), ("T01",)),
        ActivityRow(date(2026, 10, 1), ("T01",)),
    ]
    [s] = quarterly_status([team], acts, QuarterlyRule(minimum=minimum), date(2026, 11, 20), 2026, [3])
    assert (s.status, s.count, s.minimum) == (status, 2, minimum)


def test_grandchildren_count_for_the_branch_once_and_siblings_do_not() -> None:
    teams = [
        TeamRow("T01", "一支队", "支队", None, date(2020, 1, 1)),
        TeamRow("T01-1", "分队", "分队", "T01", date(2020, 1, 1)),
        TeamRow("T01-1-1", "小队", "小队", "T01-1", date(2020, 1, 1)),
        TeamRow("T02", "二支队", "支队", None, date(2020, 1, 1)),
    ]
    acts = [ActivityRow(date(2026, 8, 1), ("T01-1-1",)), ActivityRow(date(2026, 8, 2), ("T01-1", "T01-1-1"))]
    out = {(s.team_id, s.quarter): s.count for s in quarterly_status(teams, acts, QuarterlyRule(), date(2026, 11, 20), 2026, [3])}
    assert out == {("T01", "2026Q3"): 2, ("T02", "2026Q3"): 0}
    alone = QuarterlyRule(child_counts_for_parent=False)
    out = {s.team_id: s.count for s in quarterly_status(teams, acts, alone, date(2026, 11, 20), 2026, [3])}
    assert out == {"T01": 0, "T02": 0}


def test_a_quarter_starting_on_the_day_is_judged() -> None:
    team = TeamRow("T01", "一支队", "支队", None, date(2020, 1, 1))
    quarters = [s.quarter for s in quarterly_status([team], [], QuarterlyRule(), date(2026, 10, 1))]
    assert quarters == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    quarters = [s.quarter for s in quarterly_status([team], [], QuarterlyRule(), date(2026, 9, 30))]
    assert quarters == ["2026Q1", "2026Q2", "2026Q3"]


def test_an_activity_on_the_day_of_judgement_has_happened() -> None:
    team = TeamRow("T01", "一支队", "支队", None, date(2020, 1, 1))
    acts = [ActivityRow(date(2026, 11, 20), ("T01",))]
    [on] = quarterly_status([team], acts, QuarterlyRule(), date(2026, 11, 20), 2026, [4])
    [before] = quarterly_status([team], acts, QuarterlyRule(), date(2026, 11, 19), 2026, [4])
    assert (on.count, before.count) == (1, 0)


def test_teams_of_two_units_with_the_same_id_are_kept_apart() -> None:
    teams = [replace(TeamRow("T01", "一支队", "支队", None, date(2020, 1, 1)), unit=u) for u in ("A", "B")]
    acts = [ActivityRow(date(2026, 8, 1), ("T01",), "A")]
    out = {(s.unit, s.team_id): s.count for s in quarterly_status(teams, acts, QuarterlyRule(), date(2026, 11, 20), 2026, [3])}
    assert out == {("A", "T01"): 1, ("B", "T01"): 0}


def test_quarters_before_founding_and_after_dissolution_are_not_asked_for() -> None:
    grid = clean_grid()
    put(grid, "teams", 4, status="撤销", dissolved=date(2026, 6, 30))  # T02 dissolved at the end of Q2
    put(grid, "activities", 7, team_ids="T01")  # its Q3 activity goes to T01
    put(grid, "activities", 9, team_ids="T01")  # and its Q4 one
    add(grid, "teams", 3, team_id="T03", name="新支队", founded=date(2026, 8, 1))  # founded in Q3
    add(grid, "activities", 9, activity_id="A2026-009", team_ids="T03", date=date(2026, 8, 5), name="新队活动")
    report, _ = check(grid)
    quarterly = [(f.code, f.value, f.message.split("）")[1][:6]) for f in report.findings if f.code.startswith("rule.")]
    assert quarterly == [("rule.quarterly-pending", "T03", "2026Q4")]


def test_a_registration_row_that_cannot_be_read_does_not_stop_the_rows_below() -> None:
    grid = put(clean_grid(), "registration", 2, total="很多")
    put(grid, "registration", 3, total=10, new=11)
    report, _ = check(grid)
    assert found(report) == [
        ("cell.not-integer", sheet_name("registration"), "C2"),
        ("reg.new-exceeds-total", sheet_name("registration"), "D3"),
    ]


def test_a_december_report_filed_in_january_is_judged_for_its_own_year() -> None:
    grid = put_basic(clean_grid(), "report_month", "2026-12")
    put_basic(grid, "report_date", date(2027, 1, 5))
    _, sub = check(grid, as_of=date(2027, 1, 10))
    statuses = submission_statuses(sub, QuarterlyRule(), date(2027, 1, 10))
    assert {s.quarter for s in statuses} == {"2026Q1", "2026Q2", "2026Q3", "2026Q4"}
    assert {s.as_of for s in statuses} == {date(2027, 1, 5)} and {s.unit for s in statuses} == {"500101"}


def test_plausibility_findings_say_what_is_wrong_where() -> None:
    grid = clean_grid()
    add(grid, "activities", 9, activity_id="A-9", name="去年的活动", date=date(2025, 12, 31))
    add(
        grid,
        "activities",
        9,
        activity_id="A-10",
        name="m",
        date=date(2026, 11, 21),
        hours=30,
        beneficiaries=5001,
        key_event="全国科普月",
    )
    report, _ = check(grid)
    assert [(f.code, f.cell, f.value, f.message) for f in report.findings] == [
        ("cell.date-year", "B10", "2025-12-31", "工作表「活动台账」B10 「活动日期」的「2025-12-31」不在 2026 年内"),
        ("cell.date-future", "B11", "2026-11-21", "工作表「活动台账」B11 「活动日期」的「2026-11-21」晚于填报日期 2026-11-20"),
        (
            "cell.key-event-mismatch",
            "L11",
            "全国科普月",
            "工作表「活动台账」L11 「重点节点」为「全国科普月」，但活动日期 2026-11-21 不在该节点期间",
        ),
        ("cell.number-range", "O11", "30", "工作表「活动台账」O11 「服务时长（小时）」的「30」超出合理范围（大于 0、不超过 24）"),
        ("cell.beneficiaries-outlier", "P11", "5001", "工作表「活动台账」P11 「受益人数」为 5001，明显高于一般活动"),
    ]


def test_the_quarterly_finding_sits_on_the_team_id_wherever_that_column_is() -> None:
    grid = put(clean_grid(), "activities", 7, team_ids="T01")
    for row in grid.sheets[TEAMS].rows:
        row[0], row[1] = row[1], row[0]  # 队伍名称 first, 队伍编号 second
    report, _ = check(grid)
    assert found(report) == [("rule.quarterly-minimum", TEAMS, "B4")]
