"""Boundaries of the workbook checks (issue #19): every comparison against a date, a count or a limit, tried on the
day itself and the day before/after (the limit and limit ± 1), as the finding a clerk sees — or does not see."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kexie_xl.read import cells

from .grids import add, check, clean_grid, first, found, put, put_basic, sheet_name

ACTS, TEAMS, REG = sheet_name("activities"), sheet_name("teams"), sheet_name("registration")
NEW_ROW = 10  # the first row appended to 活动台账 (the clean workbook has 8 activities in rows 2–9)


def _with_activity(grid, **values):
    values = {"activity_id": "A2026-009", "name": "边界测试活动", **values}
    return add(grid, "activities", 9, **values)


def _with_team(grid, **values):
    values = {"team_id": "T03", "name": "第三分队", "level": "分队", "parent_id": "T01", **values}
    return add(grid, "teams", 5, **values)


# A team must exist on the activity's date: founded on or before it, not dissolved before it


@pytest.mark.parametrize(
    ("day", "inactive"),
    [(date(2026, 11, 9), True), (date(2026, 11, 10), False), (date(2026, 11, 11), False)],
    ids=["day-before-founding", "founding-day", "day-after"],
)
def test_an_activity_on_the_founding_day_is_fine(day: date, inactive: bool) -> None:
    grid = clean_grid()
    _with_team(grid, founded=date(2026, 11, 10))
    _with_activity(grid, team_ids="T03", date=day)
    report, _ = check(grid)
    assert found(report, "ref.team-inactive") == ([("ref.team-inactive", ACTS, f"C{NEW_ROW}")] if inactive else [])
    if inactive:
        finding = first(report, "ref.team-inactive")
        assert finding.value == "T03" and "尚未成立（成立日期 2026-11-10）" in finding.message


@pytest.mark.parametrize(
    ("day", "inactive"),
    [(date(2026, 11, 9), False), (date(2026, 11, 10), False), (date(2026, 11, 11), True)],
    ids=["day-before-dissolution", "dissolution-day", "day-after"],
)
def test_an_activity_on_the_dissolution_day_is_fine(day: date, inactive: bool) -> None:
    grid = clean_grid()
    _with_team(grid, founded=date(2026, 1, 5), status="撤销", dissolved=date(2026, 11, 10))
    _with_activity(grid, team_ids="T03", date=day)
    report, _ = check(grid)
    assert found(report, "ref.team-inactive") == ([("ref.team-inactive", ACTS, f"C{NEW_ROW}")] if inactive else [])
    if inactive:
        assert "已于 2026-11-10 撤销" in first(report, "ref.team-inactive").message


def test_a_dissolution_date_counts_only_for_a_dissolved_team() -> None:
    grid = clean_grid()
    _with_team(grid, founded=date(2026, 1, 5), status="在册", dissolved=date(2026, 11, 1))
    _with_activity(grid, team_ids="T03", date=date(2026, 11, 11))
    report, _ = check(grid)
    assert found(report, "ref.team-inactive", "cell.required") == []


def test_every_team_of_an_activity_is_checked_and_named() -> None:
    grid = clean_grid()
    _with_team(grid, founded=date(2026, 11, 15))
    _with_activity(grid, team_ids="T01、T03", date=date(2026, 11, 11))
    report, _ = check(grid)
    assert [(f.code, f.cell, f.value) for f in report.findings if f.code.startswith("ref.")] == [
        ("ref.team-inactive", f"C{NEW_ROW}", "T03")
    ]


@pytest.mark.parametrize(
    ("dissolved", "flagged"), [(date(2026, 1, 4), True), (date(2026, 1, 5), False), (date(2026, 1, 6), False)]
)
def test_dissolved_on_the_founding_day_is_in_order(dissolved: date, flagged: bool) -> None:
    grid = clean_grid()
    row = _with_team(grid, founded=date(2026, 1, 5), status="撤销", dissolved=dissolved)
    report, _ = check(grid)
    assert found(report, "row.date-order") == ([("row.date-order", TEAMS, f"M{row}")] if flagged else [])
    if flagged:
        assert first(report, "row.date-order").value == "2026-01-04"


def test_a_dissolved_team_needs_its_date_unless_the_column_is_missing() -> None:
    grid = clean_grid()
    row = _with_team(grid, founded=date(2026, 1, 5), status="撤销", dissolved=None)
    report, _ = check(grid)
    assert found(report, "cell.required") == [("cell.required", TEAMS, f"M{row}")]


# Duplicates: the message points at the first row; the order of a team list does not matter


def test_a_repeated_id_points_at_its_first_row_every_time() -> None:
    grid = clean_grid()
    second = _with_activity(grid, activity_id="A2026-002", name="另一场")
    third = _with_activity(grid, activity_id="A2026-002", name="第三场")
    report, _ = check(grid)
    duplicates = [f for f in report.findings if f.code == "row.duplicate-id"]
    assert [(f.cell, f.value) for f in duplicates] == [(f"A{second}", "A2026-002"), (f"A{third}", "A2026-002")]
    assert all("与第 3 行重复" in f.message for f in duplicates), [f.message for f in duplicates]


def test_a_repeated_team_id_points_at_its_first_row() -> None:
    grid = clean_grid()
    row = _with_team(grid, team_id="T02", founded=date(2026, 1, 5))
    report, _ = check(grid)
    assert found(report, "row.duplicate-id") == [("row.duplicate-id", TEAMS, f"A{row}")]
    assert "与第 4 行重复" in first(report, "row.duplicate-id").message


@pytest.mark.parametrize(
    ("teams", "day", "name", "duplicate"),
    [
        ("T02、T01", date(2026, 11, 6), "联合活动", True),  # the same teams in another order
        ("T01,T02", date(2026, 11, 6), "联合活动", True),
        ("T01、T02", date(2026, 11, 7), "联合活动", False),  # another day
        ("T01、T02", date(2026, 11, 6), "联合活动二", False),  # another name
        ("T01", date(2026, 11, 6), "联合活动", False),  # other teams
    ],
)
def test_duplicate_activities_whatever_the_order_of_their_teams(teams: str, day: date, name: str, duplicate: bool) -> None:
    grid = clean_grid()
    put(grid, "activities", 9, team_ids="T01、T02", name="联合活动", date=date(2026, 11, 6))
    row = _with_activity(grid, team_ids=teams, date=day, name=name)
    report, _ = check(grid)
    assert found(report, "row.duplicate-activity") == ([("row.duplicate-activity", ACTS, f"A{row}")] if duplicate else [])
    if duplicate:
        finding = first(report, "row.duplicate-activity")
        assert "与第 9 行" in finding.message and finding.value == "A2026-009"


# 注册情况: 本月新增 may equal 累计, not exceed it


@pytest.mark.parametrize(("new", "flagged"), [(99, False), (100, False), (101, True)])
def test_new_registrations_up_to_the_total(new: int, flagged: bool) -> None:
    grid = put(clean_grid(), "registration", 2, total=100, new=new)
    report, _ = check(grid)
    assert found(report, "reg.new-exceeds-total") == ([("reg.new-exceeds-total", REG, "D2")] if flagged else [])
    if flagged:
        assert first(report, "reg.new-exceeds-total").value == "101" and "大于「累计注册数」100" in report.findings[0].message


def test_a_total_that_cannot_be_read_is_not_compared_again() -> None:
    grid = put(clean_grid(), "registration", 2, total="很多", new=101)
    report, _ = check(grid)
    assert found(report) == [("cell.not-integer", REG, "C2")]


# 活动台账: dates in the year, not after the report date; hours and 受益人数 limits; 重点节点 windows


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2025, 12, 31), "cell.date-year"),
        (date(2026, 1, 1), None),
        (date(2026, 11, 20), None),  # the report date itself
        (date(2026, 11, 21), "cell.date-future"),
        (date(2027, 1, 1), "cell.date-year"),
    ],
)
def test_activity_dates_within_the_year_and_up_to_the_report_date(day: date, code: str | None) -> None:
    grid = clean_grid()
    _with_activity(grid, team_ids="T01", date=day)
    report, _ = check(grid)
    assert found(report, "cell.date-year", "cell.date-future") == ([(code, ACTS, f"B{NEW_ROW}")] if code else [])
    if code == "cell.date-future":
        assert "2026-11-20" in first(report, code).message


def test_without_a_report_date_the_check_day_is_the_limit() -> None:
    grid = put_basic(clean_grid(), "report_date", None)
    _with_activity(grid, team_ids="T01", date=date(2026, 11, 25))
    _, sub = check(grid)
    report, _ = check(grid, as_of=date(2026, 11, 24))
    assert found(report, "cell.date-future") == [("cell.date-future", ACTS, f"B{NEW_ROW}")]
    report, _ = check(grid, as_of=date(2026, 11, 25))
    assert found(report, "cell.date-future") == []
    assert sub.report_date is None


@pytest.mark.parametrize(("hours", "flagged"), [(0, True), (0.5, False), (24, False), (24.5, True), (-1, True)], ids=str)
def test_hours_above_zero_and_up_to_the_limit(hours: float, flagged: bool) -> None:
    grid = put(clean_grid(), "activities", 9, hours=hours)
    report, _ = check(grid)
    assert found(report, "cell.number-range") == ([("cell.number-range", ACTS, "O9")] if flagged else [])
    if flagged and hours > 0:
        assert "大于 0、不超过 24" in first(report, "cell.number-range").message


@pytest.mark.parametrize(("people", "flagged"), [(4999, False), (5000, False), (5001, True)])
def test_beneficiaries_warning_above_the_setting(people: int, flagged: bool) -> None:
    grid = put(clean_grid(), "activities", 9, beneficiaries=people)
    report, _ = check(grid)
    assert found(report, "cell.beneficiaries-outlier") == ([("cell.beneficiaries-outlier", ACTS, "P9")] if flagged else [])


@pytest.mark.parametrize(
    ("day", "flagged"),
    [(date(2026, 8, 31), True), (date(2026, 9, 1), False), (date(2026, 9, 30), False), (date(2026, 10, 1), True)],
)
def test_a_key_event_fits_its_window_including_both_ends(day: date, flagged: bool) -> None:
    grid = clean_grid()
    _with_activity(grid, team_ids="T01", date=day, key_event="全国科普月")
    report, _ = check(grid)
    assert found(report, "cell.key-event-mismatch") == ([("cell.key-event-mismatch", ACTS, f"L{NEW_ROW}")] if flagged else [])


def test_a_programme_is_no_key_date() -> None:
    grid = clean_grid()
    _with_activity(grid, team_ids="T01", date=date(2026, 10, 1), key_event="梦想驿站")
    report, _ = check(grid)
    assert found(report, "cell.key-event-mismatch") == []


# Dates typed as text: full-width digits and separators fold to the same day


@pytest.mark.parametrize("text", ["２０２６．１１．５", "２０２６／１１／５", "２０２６－１１－０５", "2026．11．5"])
def test_full_width_date_separators_are_folded(text: str) -> None:
    assert cells.day(text) == date(2026, 11, 5)
    grid = clean_grid()
    _with_activity(grid, team_ids="T02", date=text)
    report, sub = check(grid)
    assert found(report, "cell.date-invalid") == []
    assert sub.rows("activities")[-1].values["date"] == date(2026, 11, 5)
    assert [(c.cell, c.before, c.after) for c in report.changes] == [(f"B{NEW_ROW}", text, "2026-11-05")]


def test_a_short_date_takes_the_report_year() -> None:
    grid = clean_grid()
    _with_activity(grid, team_ids="T02", date="11月5日")
    _, sub = check(grid)
    assert sub.rows("activities")[-1].values["date"] == date(2026, 11, 5)


@pytest.mark.parametrize(
    ("serial", "day"),
    [(18264, date(1950, 1, 1)), (73050, date(2099, 12, 31)), (20261105, date(2026, 11, 5))],
)
def test_excel_serials_at_their_limits_and_compact_numbers(serial: int, day: date) -> None:
    assert cells.day(serial) == day == cells.day(float(serial))


@pytest.mark.parametrize("serial", [18263, 73051, 2026110])
def test_numbers_outside_the_serial_range_are_not_dates(serial: int) -> None:
    with pytest.raises(cells.CellProblem):
        cells.day(serial)


def test_one_day_each_side_of_the_epoch_offset() -> None:
    assert cells.day(46331) - cells.day(46330) == timedelta(days=1)
    assert cells.day(46331) == date(2026, 11, 5)
