"""Every check of tests/test_validate_rules.py again, on in-memory grids (fast enough to run for each mutant of the
mutation run), plus what the mutation run found unguarded: rows skipped before a finding, missing sheets, the
file name on every finding, values and messages that point at the right thing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kexie_xl.findings import Severity

from .grids import add, check, clean_grid, first, found, put, put_basic, sheet_name
from .test_validate_rules import CASES

ACTS, TEAMS, BASIC, EXP = sheet_name("activities"), sheet_name("teams"), sheet_name("basic"), sheet_name("experience")


def _changed(sheet: str, index: int | None, values: dict[str, Any]):
    grid = clean_grid()
    if sheet == "basic":
        for field, value in values.items():
            put_basic(grid, field, value)
    elif index is None:
        add(grid, sheet, len(grid.sheets[sheet_name(sheet)].rows), **values)
    else:
        put(grid, sheet, index + 2, **values)
    return grid


def test_the_clean_grid_has_no_findings() -> None:
    report, sub = check(clean_grid())
    assert report.findings == [] and report.ok and report.readable
    assert (report.file, report.unit, report.unit_code, report.month, report.template_version) == (
        "t.xlsx",
        "万州区科协",
        "500101",
        "2026-11",
        "2026.1",
    )
    assert len(sub.rows("activities")) == 8 and len(sub.rows("teams")) == 4


@pytest.mark.parametrize(("case", "sheet", "index", "values", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_check_on_a_grid(case: str, sheet: str, index: int | None, values: dict, expected: list) -> None:
    report, _ = check(_changed(sheet, index, values))
    assert found(report) == expected
    for f in report.findings:
        assert f.message and f.fix and f.sheet in f.message and f.file == "t.xlsx"
    assert report.exit_code == (1 if any(f.severity is Severity.ERROR for f in report.findings) else 0)


# References: the values named are the unknown ones


def test_unknown_teams_and_parents_are_named() -> None:
    grid = clean_grid()
    put(grid, "teams", 3, parent_id="T00、T77、T78")
    put(grid, "activities", 9, team_ids="T99、T02、T98")
    report, _ = check(grid)
    assert [(f.code, f.sheet, f.cell, f.value) for f in report.findings] == [
        ("ref.team-unknown", TEAMS, "D3", "T77、T78"),
        ("ref.team-unknown", ACTS, "C9", "T99、T98"),
    ]
    assert "「T77、T78」" in report.findings[0].message


def test_teams_written_together_are_named_with_the_teams_they_look_like() -> None:
    """「T01 T02」 reads as one id 「T01T02」 (an id loses its inner spaces), and the activity then counts for neither team
    — a quarter could be reported 未达标 for it. When an unknown id is two or more known ones run together, the finding
    says which, and how to write them; an id that is not made of known ones stays 「找不到」."""
    grid = clean_grid()
    put(grid, "activities", 9, team_ids="T01 T02")
    put(grid, "activities", 8, team_ids="T01T99、T02T01T02、T98")
    report, _ = check(grid)
    assert [(f.code, f.cell, f.value) for f in report.findings if f.code.startswith("ref.")] == [
        ("ref.team-unknown", "C8", "T01T99、T98"),
        ("ref.teams-joined", "C8", "T02T01T02"),
        ("ref.teams-joined", "C9", "T01T02"),
    ]
    joined = first(report, "ref.teams-joined")
    assert joined.message == (
        f"工作表「{ACTS}」C8 「服务队编号」的「T02T01T02」在「服务队」表中找不到，像是 T02、T01、T02 几支队伍的编号连在了一起"
    )
    assert joined.severity is Severity.ERROR and "用「、」隔开" in joined.fix
    from kexie_xl.checks.sheets import _run_together

    roster: dict = dict.fromkeys(("T1", "T10", "T01"))
    assert (_run_together("T1T10", roster), _run_together("T10T1", roster)) == ("T1、T10", "T10、T1")  # either order
    assert _run_together("T01", roster) == "" == _run_together("T1X", roster)  # one known id is no run; X is no id
    # a hostile cell: up to 200 characters are searched (linear, one step back per id), longer text is no run
    assert _run_together("T" * 200, {"T": None}) == "、".join(["T"] * 200)
    assert _run_together("T" * 201, {"T": None}) == "" == _run_together("T" * 30_000, {"T": None})


def test_unknown_activities_are_named() -> None:
    grid = put(clean_grid(), "experience", 2, activity_ids="A2026-007、A2026-404、A2026-405")
    report, _ = check(grid)
    assert [(f.code, f.cell, f.value) for f in report.findings] == [("ref.activity-unknown", "C2", "A2026-404、A2026-405")]


def test_rows_without_the_value_do_not_stop_the_checks_below() -> None:
    grid = clean_grid()
    put(grid, "activities", 2, activity_id=None, team_ids=None)  # no id, no team: skipped by the id and team checks
    put(grid, "activities", 3, date="某天")  # no date: skipped by the date checks
    put(grid, "activities", 4, name=None)  # no name: not a duplicate candidate
    add(grid, "teams", 5, team_id=None, name="无编号的队")  # row 6
    add(grid, "activities", 9, activity_id="A2026-008")  # the same id, teams, date and name as row 9
    put(grid, "activities", 8, team_ids="T99")
    put(grid, "teams", 5, parent_id="T77")
    put(grid, "experience", 2, activity_ids=None)
    add(grid, "experience", 2, activity_ids="A2026-404")
    report, _ = check(grid)
    refs = [(f.code, f.sheet, f.cell) for f in report.findings if f.code.startswith(("ref.", "row."))]
    assert refs == [
        ("ref.team-unknown", TEAMS, "D5"),
        ("ref.team-unknown", ACTS, "C8"),
        ("row.duplicate-id", ACTS, "A10"),
        ("row.duplicate-activity", ACTS, "A10"),
        ("ref.activity-unknown", EXP, "C3"),
    ]


def test_a_bad_team_list_is_not_checked_again() -> None:
    grid = put(clean_grid(), "activities", 9, team_ids="#REF!")
    report, _ = check(grid)
    assert found(report) == [("rule.quarterly-pending", TEAMS, "A4"), ("cell.excel-error", ACTS, "C9")]


def test_a_duplicate_activity_without_an_id_still_points_at_its_row() -> None:
    grid = clean_grid()
    row = add(grid, "activities", 9, activity_id=None)
    report, _ = check(grid)
    dup = first(report, "row.duplicate-activity")
    assert (dup.cell, dup.value, dup.severity) == (f"A{row}", "", Severity.WARNING)


def test_a_dissolved_team_whose_date_cannot_be_read_gets_one_finding() -> None:
    grid = put(clean_grid(), "teams", 4, status="撤销", dissolved="明年")
    report, _ = check(grid)
    assert found(report) == [("cell.date-invalid", TEAMS, "M4")]


def test_the_date_order_message_names_both_dates() -> None:
    grid = put(clean_grid(), "teams", 4, status="撤销", dissolved=date(2021, 5, 1))
    report, _ = check(grid)
    assert "2021-06-01" in first(report, "row.date-order").message and first(report, "row.date-order").value == "2021-05-01"


# Missing sheets: one finding for the sheet; the other sheets are still checked


def test_without_the_teams_sheet_the_other_sheets_are_still_checked() -> None:
    grid = clean_grid()
    del grid.sheets[TEAMS]
    put(grid, "experience", 2, activity_ids="A2026-404")
    put(grid, "activities", 9, hours=30)
    report, _ = check(grid)
    assert found(report, "sheet.missing", "ref.activity-unknown", "cell.number-range") == [
        ("cell.number-range", ACTS, "O9"),
        ("ref.activity-unknown", EXP, "C2"),
        ("sheet.missing", TEAMS, ""),  # a sheet the workbook lacks comes last
    ]
    assert found(report, "ref.team-unknown", "ref.team-inactive") == []  # not one per activity: the sheet is missing


def test_without_the_activities_sheet_there_is_no_activity_this_month() -> None:
    grid = clean_grid()
    del grid.sheets[ACTS]
    put(grid, "experience", 2, activity_ids="A2026-404")
    report, _ = check(grid)
    assert found(report, "sheet.missing", "report.no-activity", "ref.activity-unknown") == [
        ("report.no-activity", BASIC, "B8"),
        ("ref.activity-unknown", EXP, "C2"),
        ("ref.activity-unknown", sheet_name("photos"), "B2"),  # its activity is gone with the sheet
        ("sheet.missing", ACTS, ""),
    ]


# The findings come sorted as the clerk reads the workbook, each with the file's name


def test_findings_sorted_by_sheet_row_and_column() -> None:
    grid = clean_grid()
    put(grid, "activities", 9, volunteers="八个", kind="进校区")
    put(grid, "activities", 3, hours=30)
    put(grid, "teams", 2, phone="12345")
    put(grid, "activities", 9, beneficiaries=9000, script_no=61)
    put_basic(grid, "phone", "1380023")
    report, _ = check(grid)
    assert [(f.sheet, f.cell) for f in report.findings] == [
        (BASIC, "B5"),
        (TEAMS, "H2"),
        (ACTS, "O3"),
        (ACTS, "E9"),
        (ACTS, "M9"),
        (ACTS, "N9"),
        (ACTS, "P9"),
    ]
    assert {f.file for f in report.findings} == {"t.xlsx"}


def test_an_alias_unit_name_gives_the_registrys_code() -> None:
    report, _ = check(put_basic(clean_grid(), "unit", "石柱县"))
    assert report.findings == [] and report.unit_code == "500240"


def test_without_a_month_the_unit_code_is_the_workbooks() -> None:
    report, sub = check(put_basic(clean_grid(), "report_month", None))
    assert (report.month, report.unit_code, sub.month) == (None, "500101", None)
    assert found(report, "cell.required") == [("cell.required", BASIC, "B3")]


def test_the_cyclic_gc_is_paused_for_bulk_work_and_left_as_it_was_found() -> None:
    import gc

    from kexie_xl.checks.pipeline import gc_paused

    assert gc.isenabled()
    seen: list[bool] = []
    with pytest.raises(ValueError), gc_paused():
        seen.append(gc.isenabled())
        raise ValueError("坏了")
    assert seen == [False] and gc.isenabled()  # on again, whatever happened inside
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
