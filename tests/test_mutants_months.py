"""Across months at their edges (issue #19): every number, name and date the history.* messages show, blank cells
in any form, the dissolution day itself, rows after one that is skipped, and the two ways rows reach the comparison —
a checked workbook (its own sheet names and column letters) and the store (rows that had a finding left out)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kexie_xl.consolidate.history import submission_history
from kexie_xl.findings import Finding, Severity
from kexie_xl.read.grid import Grid
from kexie_xl.read.submission import Submission
from kexie_xl.rules.months import MonthReport, compare_months, template_where

from .grids import check, clean_grid, context, sheet_name
from .test_boundaries_consolidation import Month
from .test_cross_month import HISTORY_CODES, P, _act, _reg, _team

PREV, NOW = "2026-10", "2026-11"
GONE = date(2026, 8, 15)


def _compare(previous: MonthReport, current: MonthReport, severity: Severity | None = None) -> list[Finding]:
    """The comparison with cells as the standard template lays them out (built here, inside the test)."""
    return compare_months(previous, current, template_where(context().template), severity)


def _flat(found: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.code, f.cell, f.value) for f in found]


@pytest.fixture
def month(tmp_path: Path) -> Iterator[Month]:
    m = Month(tmp_path)
    yield m
    m.store.close()


# The comparison as a whole


def test_only_an_earlier_month_is_compared() -> None:
    lower = MonthReport(NOW, [_reg(400, 0)])
    assert _compare(MonthReport(NOW, [_reg(500, 3)]), lower) == []  # the same month twice: nothing to compare
    assert _compare(MonthReport("2026-12", [_reg(500, 3)]), lower) == []


def _one_of_each() -> tuple[MonthReport, MonthReport]:
    prev = MonthReport(
        PREV,
        registration=[_reg(500, 3), _reg(300, 1, row=3, item="大学生")],
        teams=[_team("T02", "撤销", GONE, 3), _team("T03", "撤销", GONE, 4)],
        activities=[_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3), _act("A3", date(2026, 10, 20), 4)],
    )
    now = MonthReport(
        NOW,
        registration=[_reg(490, 0), _reg(305, 2, row=3, item="大学生")],
        teams=[_team("T02", "在册", None, 3), _team("T03", "撤销", date(2026, 11, 10), 4)],  # dissolved later now
        activities=[
            _act("A2", date(2026, 10, 8), 2),
            _act("A3", date(2026, 11, 5), 3, name="另一场活动"),
            _act("A4", date(2026, 9, 1), 4, team="T03"),
        ],
    )
    return prev, now


class _Seen(dict):
    """A row that notes every key read from it (into `seen`, by table)."""

    def __init__(self, table: str, seen: dict[str, set[str]], row: dict[str, Any]):
        super().__init__(row)
        self.table, self.seen = table, seen

    def _note(self, key: Any) -> None:
        self.seen.setdefault(self.table, set()).add(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


def _rows_as(report: MonthReport, make_row: Any) -> MonthReport:
    return replace(report, **{t: [make_row(t, r) for r in getattr(report, t)] for t in ("registration", "teams", "activities")})


def test_the_comparison_reads_only_the_columns_a_stored_report_loads() -> None:
    """stored_report loads READS of each table, not every column: every key compare_months reads is there, and the
    rows cut to READS give the same findings as whole rows."""
    from kexie_xl.rules.months import READS

    prev, now = _one_of_each()
    seen: dict[str, set[str]] = {}
    found = _compare(_rows_as(prev, lambda t, r: _Seen(t, seen, r)), _rows_as(now, lambda t, r: _Seen(t, seen, r)))
    assert {f.code for f in found} == set(HISTORY_CODES)  # every path of the comparison was taken
    assert set(seen) == {"registration", "teams", "activities"}
    for table, keys in seen.items():
        assert keys <= set(READS[table]), f"{table}: {sorted(keys - set(READS[table]))} read but not in READS"
    cut = [_rows_as(r, lambda t, row: {k: v for k, v in row.items() if k in READS[t]}) for r in (prev, now)]
    assert _flat(_compare(*cut)) == _flat(found) != []


def test_the_shortcut_for_unchanged_activities_never_hides_what_the_comparison_would_show() -> None:
    """Matched activities with equal values of equal types are skipped unread (most of a year's ledger); values that
    are equal to Python but show differently (True and 1) still go through the comparison and are told."""
    prev = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3, volunteers=1)]
    same = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3, volunteers=1)]
    assert _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=same)) == []
    shown = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3, volunteers=True)]
    [finding] = _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=shown))
    assert finding.code == "history.activity-changed" and "1 → True" in finding.message


@pytest.mark.parametrize("severity", [Severity.ERROR, Severity.WARNING])
def test_every_kind_has_its_column_label_and_the_configured_severity(severity: Severity) -> None:
    found = _compare(*_one_of_each(), severity)
    assert [(f.code, f.sheet, f.cell, f.label) for f in found] == [
        ("history.total-decreased", "注册情况", "C2", "累计注册数"),
        ("history.total-mismatch", "注册情况", "C3", "累计注册数"),
        ("history.activity-missing", "活动台账", "", ""),
        ("history.activity-changed", "活动台账", "B2", "活动日期"),
        ("history.activity-id-reused", "活动台账", "A3", "活动编号"),
        ("history.team-revived", "服务队", "L3", "状态"),
        ("history.team-dissolved-active", "活动台账", "C4", "服务队编号"),
    ]
    assert {f.code for f in found} == HISTORY_CODES
    assert {f.severity for f in found} == {severity}


# 注册情况


def test_a_lower_total_shows_the_platform_the_item_both_totals_and_the_difference() -> None:
    [finding] = _compare(MonthReport(PREV, [_reg(500, 3)]), MonthReport(NOW, [_reg(480, 0)]))
    assert finding.message == f"工作表「注册情况」C2 {P}「科技工作者」累计注册数 480 比 {PREV} 月报的 500 少 20"


def test_a_row_without_platform_or_item_says_nothing_in_their_place() -> None:
    blank = {"platform": None, "item": None}
    [finding] = _compare(MonthReport(PREV, [{**_reg(500, 3), **blank}]), MonthReport(NOW, [{**_reg(480, 0), **blank}]))
    assert finding.message == f"工作表「注册情况」C2 「」累计注册数 480 比 {PREV} 月报的 500 少 20"


def test_new_equal_to_total_is_still_added_to_last_months_total() -> None:
    """新增 = 累计 does not exceed it (that is reg.new-exceeds-total): 3 + 5 should be 8."""
    [finding] = _compare(MonthReport(PREV, [_reg(3, 1)]), MonthReport(NOW, [_reg(5, 5)]))
    assert (finding.code, finding.cell) == ("history.total-mismatch", "C2")
    assert f"累计注册数 5 不等于 {PREV} 月报的累计 3 + 本月新增 5（= 8）" in finding.message


def test_rows_without_two_numbers_are_skipped_and_the_next_row_still_compared() -> None:
    prev = [_reg(500, 3), _reg("五百", 3, row=3, item="大学生"), _reg(500, 3, row=4, item="教师")]
    prev.append(_reg(500, 3, row=5, item="医务工作者"))
    now = [
        _reg(520, 2, item="新的统计项"),  # not in last month's report
        _reg(480, 0, row=3, item="大学生"),  # last month's total was text
        _reg(None, 0, row=4, item="教师"),  # not filled (cell.required says so)
        _reg("四百", 0, row=5, item="医务工作者"),  # text (cell.type says so)
        _reg(400, 0, row=6),  # lower than 500
    ]
    assert _flat(_compare(MonthReport(PREV, prev), MonthReport(NOW, now))) == [("history.total-decreased", "C6", "400")]


# 活动台账


def test_a_missing_activity_shows_its_name_and_date_or_a_dash_and_blank() -> None:
    prev = [_act("A1", date(2026, 10, 3), 2), _act("A2", None, 3, name=None)]
    found = _compare(MonthReport(PREV, activities=prev), MonthReport(NOW))
    assert [f.message for f in found] == [
        f"工作表「活动台账」中没有 {PREV} 月报中的活动「A1」（科普讲座，2026-10-03）",
        f"工作表「活动台账」中没有 {PREV} 月报中的活动「A2」（—，（空））",
    ]


def test_a_changed_activity_says_which_values_changed_from_what_to_what() -> None:
    prev = [_act("A1", date(2026, 10, 9), 2, hours=2.5), _act("A2", date(2026, 10, 3), 3)]
    now = [_act("A1", date(2026, 10, 8), 2, volunteers=14.0, hours=3.5), _act("A2", None, 3)]
    found = _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=now))
    assert _flat(found) == [("history.activity-changed", "B2", "2026-10-08"), ("history.activity-changed", "B3", "（空）")]
    assert found[0].message == (
        f"工作表「活动台账」B2 活动「A1」与 {PREV} 月报不同："
        "活动日期 2026-10-09 → 2026-10-08；参与志愿者人数 10 → 14；服务时长（小时） 2.5 → 3.5"
    )
    assert found[1].message == f"工作表「活动台账」B3 活动「A2」与 {PREV} 月报不同：活动日期 2026-10-03 → （空）"


def test_a_reused_id_without_a_name_shows_a_dash() -> None:
    prev = [_act("A1", date(2026, 10, 3), 2, name=None), _act("A2", date(2026, 10, 4), 3)]
    now = [_act("A1", date(2026, 11, 3), 2), _act("A2", date(2026, 11, 4), 3, name=None)]
    found = _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=now))
    assert [(f.code, f.cell) for f in found] == [("history.activity-id-reused", "A2"), ("history.activity-id-reused", "A3")]
    assert f"在 {PREV} 月报中是「—」（2026-10-03），本月是「科普讲座」（2026-11-03）" in found[0].message
    assert f"在 {PREV} 月报中是「科普讲座」（2026-10-04），本月是「—」（2026-11-04）" in found[1].message


def test_a_name_respaced_with_a_new_date_is_a_change_not_a_reuse() -> None:
    prev = [_act("A1", date(2026, 10, 3), 2, name="科普讲座"), _act("A2", date(2026, 10, 4), 3, name=None)]
    now = [_act("A1", date(2026, 10, 5), 2, name="科普 讲座"), _act("A2", date(2026, 10, 6), 3, name="  ")]
    found = _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=now))
    assert _flat(found) == [("history.activity-changed", "B2", "2026-10-05"), ("history.activity-changed", "B3", "2026-10-06")]


def test_the_order_of_teams_whole_numbers_and_blanks_in_any_form_are_no_change() -> None:
    day = date(2026, 10, 3)
    prev = [_act("A1", day, 2, team="T01、T02"), _act("A2", day, 3, team=None, volunteers=None, hours=None)]
    now = [_act("A1", day, 2, team="T02，T01", volunteers=10.0, hours=2.0), _act("A2", day, 3, team="", volunteers="", hours="")]
    assert _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=now)) == []


def test_an_id_is_compared_by_its_first_row_and_rows_without_an_id_are_not() -> None:
    """A second row with the same id is row.duplicate-id this month; an activity without an id cannot be followed."""
    day = date(2026, 10, 3)
    prev = [_act("A1", day, 2), _act(None, day, 3, name="无编号的活动")]
    now = [_act("A1", day, 2), _act("A1", date(2026, 11, 9), 3, name="另一场活动"), _act(None, date(2026, 11, 9), 4)]
    assert _compare(MonthReport(PREV, activities=prev), MonthReport(NOW, activities=now)) == []


# 服务队


def test_teams_carried_forward_and_a_dissolved_team_no_longer_listed_are_clean() -> None:
    prev = [_team("T01", "在册", None, 2), _team("T02", "撤销", GONE, 3), _team("T03", "撤销", GONE, 4)]
    now = [_team("T01", "在册", None, 2), _team("T02", "撤销", GONE, 3)]
    acts = [_act("A1", date(2026, 8, 1), 2, team="T02")]
    assert _compare(MonthReport(PREV, teams=prev), MonthReport(NOW, teams=now, activities=acts)) == []


def test_a_revived_team_after_an_active_one_with_blanks_said_plainly() -> None:
    prev = [_team("T01", "在册", None, 2), _team("T02", "撤销", None, 3)]  # dissolved without a date
    now = [_team("T01", "在册", None, 2), {**_team("T02", None, None, 3), "name": None}]
    [finding] = _compare(MonthReport(PREV, teams=prev), MonthReport(NOW, teams=now))
    assert (finding.code, finding.cell, finding.value) == ("history.team-revived", "L3", "未填")
    assert finding.message == f"工作表「服务队」L3 服务队「T02」（—）在 {PREV} 月报中已撤销（未填撤销日期），本月状态为「未填」"


def test_activities_of_a_dissolved_team_from_the_day_after_up_to_this_months_date() -> None:
    """The dissolution day itself is still active; after this month's own date is ref.team-inactive."""
    prev = MonthReport(PREV, teams=[_team("T03", "撤销", GONE, 2)])
    acts = [
        _act("A1", date(2026, 9, 1), 2, team="T01"),  # another team
        _act("A2", GONE, 3, team="T03"),  # the earlier dissolution day itself
        _act("A3", date(2026, 11, 11), 4, team="T03"),  # after this month's date
        _act("A4", date(2026, 11, 10), 5, team="T03"),  # this month's date itself
        _act("A5", date(2026, 8, 16), 6, team="T01、T03"),  # the day after
    ]
    now = MonthReport(NOW, teams=[_team("T03", "撤销", date(2026, 11, 10), 2)], activities=acts)
    found = _compare(prev, now)
    assert _flat(found) == [("history.team-dissolved-active", "C5", "T03"), ("history.team-dissolved-active", "C6", "T03")]
    assert found[0].message == f"工作表「活动台账」C5 活动日期 2026-11-10 晚于服务队「T03」在 {PREV} 月报中的撤销日期 2026-08-15"


# A checked workbook against the store: `kexie-xl validate --store`


def _previous_from(sub: Submission, **edits: Any) -> dict[str, list[dict[str, Any]]]:
    """Last month's rows as this workbook has them, with the given table's rows replaced."""
    rows = {t: [dict(r.values) for r in sub.rows(t)] for t in ("registration", "teams", "activities")}
    for r in rows["registration"]:
        r["total"] = r["total"] - r["new"]  # so that this month's 累计 = last month's + 新增
    rows.update(edits)
    return rows


def _stored(month: Month, rows: dict[str, list[dict[str, Any]]]) -> None:
    month.report(month.wz, "2026-10-20T10:00:00+08:00", month=PREV, **rows)
    month.decide(PREV)


def _history(month: Month, grid: Grid) -> list[Finding]:
    report, sub = check(grid)
    return submission_history(month.store.path, context().settings, sub, report.unit_code, report.findings)


def test_a_checked_workbook_is_compared_on_its_own_sheet_names_and_column_letters(month: Month) -> None:
    grid = clean_grid()
    _, sub = check(grid)
    previous = _previous_from(sub)
    previous["registration"][0]["total"] = 120
    previous["activities"][6]["volunteers"] = 6
    previous["teams"][2].update(status="撤销", dissolved=date(2026, 8, 1))
    _stored(month, previous)
    for row in grid.sheets[sheet_name("registration")].rows:
        row[2], row[3] = row[3], row[2]  # 本月新增数 before 累计注册数
    acts = grid.sheets.pop(sheet_name("activities"))
    acts.name = "活动 台账"
    grid.sheets[acts.name] = acts
    found = _history(month, grid)
    assert [(f.code, f.sheet, f.cell, f.value) for f in found] == [
        ("history.total-decreased", "注册情况", "D2", "100"),
        ("history.activity-changed", "活动 台账", "N8", "8"),
        ("history.team-revived", "服务队", "L4", "在册"),
    ]
    assert found[0].message == f"工作表「注册情况」D2 {P}「科技工作者」累计注册数 100 比 {PREV} 月报的 120 少 20"


def test_a_column_the_workbook_lacks_is_not_compared_the_others_are(month: Month) -> None:
    """受益人数 deleted (header.missing, said once): not 「120 → （空）」 for every activity of the year. A change in
    another column is still said, on its cell."""
    grid = clean_grid()
    _, sub = check(grid)
    first = dict(sub.rows("activities")[0].values)
    _stored(month, _previous_from(sub, activities=[first, {**dict(sub.rows("activities")[1].values), "hours": 9}]))
    for row in grid.sheets[sheet_name("activities")].rows:
        del row[15]
    [finding] = _history(month, grid)
    assert (finding.code, finding.row, finding.cell) == ("history.activity-changed", 3, "O3")
    assert finding.message == f"工作表「活动台账」O3 活动「A2026-002」与 {PREV} 月报不同：服务时长（小时） 9 → 2.5"
    report, _sub = check(grid)
    assert [f.label for f in report.findings if f.code == "header.missing"] == ["受益人数"]


# The store: last month's rows that had a finding are left out


def test_rows_of_the_ledger_that_had_a_finding_are_not_expected_again(month: Month) -> None:
    acts = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 4), 3), _act("A3", date(2026, 10, 5), 4)]
    findings = [
        {"code": "cell.type", "sheet": "活动台账", "row": 3},  # A2: the clerk was asked to fix it
        {"code": "cell.type", "sheet": "服务队", "row": 4},  # the roster's row 4, not A3's
        {"code": "header.missing", "sheet": "活动台账", "row": None},
        {"code": "sheet.missing", "sheet": "活动台账"},
    ]
    month.report(month.wz, "2026-10-20T10:00:00+08:00", month=PREV, activities=acts, findings=findings)
    month.report(month.wz, "2026-11-20T10:00:00+08:00", activities=acts[:1])
    history = month.city(NOW).history[month.wz.code]
    assert [(f["code"], f["sheet"], f["value"]) for f in history] == [("history.activity-missing", "活动台账", "A3")]


# Kept findings: a pair of reports is compared once (consolidate/history.py month_histories)


def _kept(month: Month) -> list[tuple]:
    return month.store.db.execute("SELECT previous, current, months FROM history_findings ORDER BY 1, 2").fetchall()


def test_a_pair_of_reports_is_compared_once_and_its_findings_kept(month: Month, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexie_xl.consolidate import history

    acts = [_act("A-1", date(2026, 10, 3), 2), _act("A-2", date(2026, 10, 9), 3)]
    month.report(month.wz, "2026-10-20T10:00:00+08:00", month=PREV, activities=acts, registration=[_reg(500, 3)])
    month.report(month.wz, "2026-11-20T10:00:00+08:00", activities=acts[:1], registration=[_reg(480, 0)])
    first = month.city(NOW).history[month.wz.code]
    assert sorted(f["code"] for f in first) == ["history.activity-missing", "history.total-decreased"]
    assert [(p, c, m) for p, c, m in _kept(month)] == [(1, 2, "2026-10>2026-11")]

    def compared(*_args: object) -> list:
        raise AssertionError("compared again")

    monkeypatch.setattr(history, "compare_months", compared)
    assert month.city(NOW).history[month.wz.code] == first  # the same findings, read back, not compared again
    # a correction of November is a new pair: compared, and kept beside the first
    monkeypatch.undo()
    month.report(month.wz, "2026-11-22T10:00:00+08:00", activities=acts, registration=[_reg(480, 0)])
    again = month.city(NOW).history[month.wz.code]
    assert [f["code"] for f in again] == ["history.total-decreased"]
    assert [(p, c) for p, c, _m in _kept(month)] == [(1, 2), (1, 3)]


def test_kept_findings_follow_the_settings_and_a_read_only_store_keeps_none(month: Month, tmp_path: Path) -> None:
    from kexie_xl.consolidate.merge import merge_month
    from kexie_xl.consolidate.store import Store

    month.report(month.wz, "2026-10-20T10:00:00+08:00", month=PREV, registration=[_reg(500, 3)])
    month.report(month.wz, "2026-11-20T10:00:00+08:00", registration=[_reg(480, 0)])
    assert [f["severity"] for f in month.city(NOW).history[month.wz.code]] == ["警告"]
    month.settings = replace(month.settings, cross_month=replace(month.settings.cross_month, severity="错误"))
    assert [f["severity"] for f in month.city(NOW).history[month.wz.code]] == ["错误"]  # not the kept 警告
    assert len(_kept(month)) == 1  # findings kept under other settings are dropped
    with month.store.write():
        month.store.db.execute("DELETE FROM history_findings")
    reader = Store.reader(tmp_path / "store.sqlite")
    city = merge_month(reader, month.settings, month.units, NOW)  # opened read-only: computed, nothing written
    assert [f["severity"] for f in city.history[month.wz.code]] == ["错误"] and _kept(month) == []
    reader.close()


def test_a_store_busy_with_another_run_is_not_waited_for_to_keep_findings(month: Month, tmp_path: Path) -> None:
    import sqlite3

    from kexie_xl.consolidate.merge import merge_month

    month.report(month.wz, "2026-10-20T10:00:00+08:00", month=PREV, registration=[_reg(500, 3)])
    month.report(month.wz, "2026-11-20T10:00:00+08:00", registration=[_reg(480, 0)])
    for m in (PREV, NOW):
        month.decide(m)
    waits = month.store.db.execute("PRAGMA busy_timeout").fetchone()[0]
    other = sqlite3.connect(tmp_path / "store.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another run is writing
    city = merge_month(month.store, month.settings, month.units, NOW)
    other.execute("ROLLBACK")
    other.close()
    assert [f["code"] for f in city.history[month.wz.code]] == ["history.total-decreased"] and _kept(month) == []
    assert month.store.db.execute("PRAGMA busy_timeout").fetchone()[0] == waits > 0  # waits as before for the rest


def test_a_mistyped_cell_of_the_checked_workbook_is_not_compared(month: Month) -> None:
    """「八」 in 参与志愿者人数 of row 2 is cell.not-integer; last month's 6 there is not 「6 → （空）」. Row 3's 9 → 8,
    a value written as a number, still is a change."""
    grid = clean_grid()
    _, sub = check(grid)
    previous = _previous_from(sub)
    previous["activities"][0]["volunteers"] = 6
    previous["activities"][1]["volunteers"] = 9
    _stored(month, previous)
    column = sub.tables["activities"].records[0].cols["volunteers"].rstrip("0123456789")
    index = ord(column) - ord("A")
    grid.sheets[sheet_name("activities")].rows[1][index] = "八"
    found = _history(month, grid)
    assert [(f.code, f.cell) for f in found] == [("history.activity-changed", f"{column}3")]


def test_a_checked_workbook_with_an_empty_ledger_misses_every_earlier_activity(month: Month) -> None:
    """No row left in 活动台账: each activity of last month's ledger is history.activity-missing, on the sheet."""
    grid = clean_grid()
    _, sub = check(grid)
    _stored(month, _previous_from(sub))
    ledger = grid.sheets[sheet_name("activities")]
    ledger.rows = ledger.rows[:1]
    found = _history(month, grid)
    assert {(f.code, f.sheet, f.cell) for f in found} == {("history.activity-missing", sheet_name("activities"), "")}
    assert len(found) == len(sub.rows("activities"))
