"""Stage ④: across months — a unit's report against its previous adopted report (history.* findings).

Pure functions over rows: the caller finds the previous report (the store, consolidate/history.py) and gives
both as MonthReport values, so consolidation, feedback and `kexie-xl validate` run the same comparison.

What is compared, always with the unit's *previous adopted report* (the latest earlier month it was adopted in),
not with every earlier month: a warning asks the clerk to look once; an intended correction (a wrongly reported
activity removed) is not raised again every month after.
- 注册情况, per platform and item: 累计 lower than before (history.total-decreased); else, when the previous report
  is of the month just before, 累计 ≠ previous 累计 + this month's 新增 (history.total-mismatch). A row whose
  新增 exceeds its 累计 already has reg.new-exceeds-total and is not compared again.
- 活动台账, the year's cumulative ledger (never across a new year; an activity dated in another year than this
  month is not expected in it): an earlier activity absent now (history.activity-missing, no row to mark); the
  same id with another name *and* date (history.activity-id-reused); else a changed date, team or count
  (history.activity-changed, old → new). Rows of the previous report that had a finding there are left out:
  the clerk was asked to fix them, and whatever they did is that fix.
- Only what both workbooks say is compared: a column either of them lacked (its header.missing) is not compared —
  without 活动编号 no activity is; a cell of this month's report left empty by a finding of its own (a value not
  taken, a required cell left blank) is not compared either: the clerk is told about that cell already, and
  「8 → （空）」 would say they emptied what they in fact mistyped.
- 服务队: a team 撤销 before that is not 撤销 now (history.team-revived); one still 撤销 with activities dated
  after the earlier dissolution date that this month's roster no longer excludes (history.team-dissolved-active).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..findings import Finding, Severity, make
from ..read.cells import label_key
from ..read.submission import Submission
from ..schema.rows import split_multi
from ..schema.types import Template

Where = Callable[[str, str], tuple[str, str, str]]  # (table, column key) → (sheet name, column letter, label)
TABLES = ("registration", "teams", "activities")
# The columns the comparison reads of each table's rows ("row" is the Excel row): a report taken from the store
# loads only these (consolidate/history.py stored_report). tests/test_mutants_months.py records every key
# compare_months reads and fails when one is missing here.
READS: dict[str, tuple[str, ...]] = {
    "registration": ("row", "platform", "item", "total", "new"),
    "teams": ("row", "team_id", "name", "status", "dissolved"),
    "activities": ("row", "activity_id", "name", "date", "team_ids", "volunteers", "hours", "beneficiaries"),
}
DISSOLVED = "撤销"
COUNTS = ("volunteers", "hours", "beneficiaries")


@dataclass(frozen=True)
class MonthReport:
    """One unit's report of one month, as rows (dicts of column key → value, with the Excel `row`)."""

    month: str  # YYYY-MM
    registration: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    flagged: frozenset[int] = frozenset()  # rows of 活动台账 that had a finding in this report
    absent: frozenset[tuple[str, str]] = frozenset()  # (table, column key) the workbook lacked (header.missing)
    unsure: frozenset[tuple[str, int, str]] = frozenset()  # (table, row, column key) of cells with a finding (cell.*)

    def knows(self, table: str, key: str) -> bool:
        return (table, key) not in self.absent

    def took(self, table: str, row: dict[str, Any], key: str) -> bool:
        """Whether this report holds the column, and the cell's value is what the clerk meant: not a cell left empty
        by a finding of its own (a value not taken, a required cell left blank). A value kept with a warning counts."""
        if (table, key) in self.absent:
            return False
        return row.get(key) is not None or (table, row.get("row"), key) not in self.unsure


def compare_months(previous: MonthReport, current: MonthReport, where: Where, severity: Severity | None = None) -> list[Finding]:
    """The history findings of `current` against `previous` (an earlier month of the same unit)."""
    if previous.month >= current.month:
        return []
    out = list(_registration(previous, current, where, severity))
    if previous.month[:4] == current.month[:4]:
        out += _activities(previous, current, where, severity)
    out += _teams(previous, current, where, severity)
    return out


# Registration


def _registration(previous: MonthReport, current: MonthReport, where: Where, severity: Severity | None) -> Iterator[Finding]:
    if not all(r.knows("registration", key) for r in (previous, current) for key in ("platform", "item")):
        return  # rows could not be matched (a missing 累计 or 新增 is None in every row: not compared anyway)
    before = {(r.get("platform"), r.get("item")): r.get("total") for r in previous.registration}
    adjacent = _next_month(previous.month) == current.month
    sheet, column, label = where("registration", "total")
    for r in current.registration:
        old, total, new = _number(before.get((r.get("platform"), r.get("item")))), _number(r.get("total")), _number(r.get("new"))
        if old is None or total is None:
            continue
        facts: dict[str, Any] = dict(
            label=label, value=total, platform=r.get("platform") or "", item=r.get("item") or "", prev_month=previous.month
        )
        if total < old:
            yield make(
                "history.total-decreased",
                sheet=sheet,
                row=r["row"],
                column=column,
                severity=severity,
                **facts,
                previous=old,
                diff=old - total,
            )
        elif adjacent and new is not None and new <= total and total != old + new:
            yield make(
                "history.total-mismatch",
                sheet=sheet,
                row=r["row"],
                column=column,
                severity=severity,
                **facts,
                previous=old,
                new=new,
                expected=old + new,
            )


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"


# Activities


def _activities(previous: MonthReport, current: MonthReport, where: Where, severity: Severity | None) -> Iterator[Finding]:
    if not (previous.knows("activities", "activity_id") and current.knows("activities", "activity_id")):
        return  # without the ids of both, no activity can be matched: nothing to say
    year = int(current.month[:4])
    # Whether a changed name and date mean another activity under a reused id: only where both reports hold both
    telling = all(r.knows("activities", key) for r in (previous, current) for key in ("name", "date"))
    now = _by_id(current.activities)
    before = _by_id(
        r
        for r in previous.activities
        if r.get("row") not in previous.flagged and not (isinstance(r.get("date"), date) and r["date"].year != year)
    )
    sheet = where("activities", "activity_id")[0]
    for key, old in before.items():
        new = now.get(key)
        if new is not None and _unchanged(old, new):
            continue  # most of a year's ledger, month after month: nothing below could differ
        if new is None:
            yield make(
                "history.activity-missing",
                sheet=sheet,
                value=key,
                severity=severity,
                prev_month=previous.month,
                name=old.get("name") or "—",
                date=_show(old.get("date")),
            )
        elif (
            telling
            and current.took("activities", new, "name")
            and current.took("activities", new, "date")
            and _text(old.get("name")) != _text(new.get("name"))
            and _show(old.get("date")) != _show(new.get("date"))
        ):
            yield _at(
                where,
                "activities",
                new,
                "activity_id",
                "history.activity-id-reused",
                severity,
                value=key,
                prev_month=previous.month,
                old_name=old.get("name") or "—",
                old_date=_show(old.get("date")),
                name=new.get("name") or "—",
                date=_show(new.get("date")),
            )
        else:
            changes = _changes(old, new, where, previous, current)
            if changes:
                first, text = changes[0][0], "；".join(c[1] for c in changes)
                yield _at(
                    where,
                    "activities",
                    new,
                    first,
                    "history.activity-changed",
                    severity,
                    value=_show(new.get(first)),
                    activity=key,
                    prev_month=previous.month,
                    changes=text,
                )


_COMPARED = ("name", "date", "team_ids", *COUNTS)  # what the checks below read of a matched pair


def _unchanged(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a matched pair holds the same values, of the same types, in every column the comparison reads: then
    neither a reused id (name and date both differ) nor a change (`_changes`) can be found, whatever the reports
    lack or flagged — the same value shows the same (`_show`), the same ids are the same teams."""
    a, b = tuple(map(old.get, _COMPARED)), tuple(map(new.get, _COMPARED))
    return a == b and tuple(map(type, a)) == tuple(map(type, b))  # in C: 1 == 1.0 and True == 1, but not their types


def _by_id(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = r.get("activity_id")
        if key and key not in out:
            out[str(key)] = r
    return out


def _changes(
    old: dict[str, Any], new: dict[str, Any], where: Where, previous: MonthReport, current: MonthReport
) -> list[tuple[str, str]]:
    """(column key, 「label old → new」) for date, teams and counts that differ, where both reports hold the value."""
    out = []
    for key in ("date", "team_ids", *COUNTS):
        if not (previous.knows("activities", key) and current.took("activities", new, key)):
            continue
        a, b = old.get(key), new.get(key)
        same = _teams_of(a) == _teams_of(b) if key == "team_ids" else _show(a) == _show(b)
        if not same:
            out.append((key, f"{where('activities', key)[2]} {_show(a)} → {_show(b)}"))
    return out


def _teams_of(value: Any) -> list[str]:
    return sorted(split_multi(str(value))) if value else []


def _show(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: Any) -> str:
    return "".join(str(value or "").split())


def _at(where: Where, table: str, row: dict[str, Any], key: str, code: str, severity: Severity | None, **fields: Any) -> Finding:
    sheet, column, label = where(table, key)
    return make(code, sheet=sheet, row=row.get("row"), column=column, label=label, severity=severity, **fields)


# Teams


def _teams(previous: MonthReport, current: MonthReport, where: Where, severity: Severity | None) -> Iterator[Finding]:
    roster: dict[str, dict[str, Any]] = {}
    for t in current.teams:
        if t.get("team_id"):
            roster.setdefault(str(t["team_id"]), t)
    for old in previous.teams:
        team_id = old.get("team_id")
        team = roster.get(str(team_id)) if team_id else None
        if old.get("status") != DISSOLVED or team is None or not current.took("teams", team, "status"):
            continue
        gone = old.get("dissolved")
        if team.get("status") != DISSOLVED:
            yield _at(
                where,
                "teams",
                team,
                "status",
                "history.team-revived",
                severity,
                value=team.get("status") or "未填",
                team_id=team_id,
                team=team.get("name") or "—",
                prev_month=previous.month,
                dissolved=_show(gone) if isinstance(gone, date) else "未填撤销日期",
            )
        elif isinstance(gone, date):
            yield from _after_dissolution(str(team_id), gone, team, previous.month, current, where, severity)


def _after_dissolution(
    team_id: str, gone: date, team: dict[str, Any], prev_month: str, current: MonthReport, where: Where, severity: Severity | None
) -> Iterator[Finding]:
    """Activities of a team still 撤销 dated after its earlier dissolution, that this month's own dissolution date
    does not already exclude (those are ref.team-inactive)."""
    now_gone = team.get("dissolved")
    for a in current.activities:
        day = a.get("date")
        if not (isinstance(day, date) and day > gone and team_id in _teams_of(a.get("team_ids"))):
            continue
        if isinstance(now_gone, date) and day > now_gone:
            continue
        sheet, column, label = where("activities", "team_ids")
        yield make(
            "history.team-dissolved-active",
            sheet=sheet,
            row=a.get("row"),
            column=column,
            label=label,
            value=team_id,
            severity=severity,
            date=day.isoformat(),
            prev_month=prev_month,
            dissolved=gone.isoformat(),
        )


# Where the rows come from


def template_where(template: Template) -> Where:
    """Cells as the standard template lays them out (rows from the store, which keeps no column letters)."""

    def where(table: str, key: str) -> tuple[str, str, str]:
        sheet = template.sheet(table)
        return sheet.name, sheet.address(key)[0], sheet.column(key).label

    return where


def submission_where(sub: Submission) -> Where:
    """Cells as this workbook has them (its sheet names and column letters, whatever order the clerk left)."""
    fallback = template_where(sub.template)

    def where(table: str, key: str) -> tuple[str, str, str]:
        found = sub.tables.get(table)
        name, letter, label = fallback(table, key)
        if found is None:
            return name, letter, label
        letters = next((r.cols[key] for r in found.records if key in r.cols), "")  # a column it lacks: the row
        return found.name, letters, label

    return where


def submission_report(sub: Submission, findings: Iterable[Finding] = ()) -> MonthReport | None:
    """This month's rows of a checked workbook, for the comparison (None without a readable 报送月份); `findings`,
    the workbook's own, tell which columns it lacked and which cells were not taken (`gaps`)."""
    if sub.month is None:
        return None
    year, mon = sub.month
    rows = {t: [{**r.values, "row": r.row} for r in sub.rows(t)] for t in TABLES}
    absent, unsure = gaps([f.to_dict() for f in findings], sub.template)
    return MonthReport(f"{year}-{mon:02d}", rows["registration"], rows["teams"], rows["activities"], absent=absent, unsure=unsure)


def on_rows(findings: Iterable[dict[str, Any]], sheet_names: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row, finding) for each finding (as the store keeps them) that points at a row of the sheet called any of
    `sheet_names` — matched as the reader matches sheet names (spaces, full-width forms). A stored finding is not
    trusted blindly: one without a row number (a damaged or older store) is skipped, never a crash."""
    names = {label_key(n) for n in sheet_names}
    for f in findings:
        row = f.get("row")
        if type(row) is int and row > 0 and label_key(f.get("sheet")) in names:
            yield row, f


def flagged_rows(findings: Iterable[dict[str, Any]], sheet_names: Iterable[str]) -> frozenset[int]:
    """Rows of 活动台账 that a stored report's findings point at."""
    return frozenset(row for row, _f in on_rows(findings, sheet_names))


def gaps(
    findings: list[dict[str, Any]], template: Template
) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, int, str]]]:
    """From a report's findings (as dicts, as the store keeps them): the columns its workbook lacked (header.missing)
    and the cells that had a finding of their own (cell.*), by table and column key — found by the sheet's name
    (matched as the reader matches it) and the column's label, which every such finding carries."""
    absent, unsure = set(), set()
    for table in TABLES:
        sheet = template.sheet(table)
        names, keys = {label_key(n) for n in sheet.names}, {c.label: c.key for c in sheet.columns}
        for f in findings:
            if label_key(f.get("sheet")) not in names or f.get("label") not in keys:
                continue
            key, code = keys[f["label"]], f.get("code")
            if code == "header.missing":
                absent.add((table, key))
            elif isinstance(code, str) and code.startswith("cell.") and f.get("row"):
                unsure.add((table, int(f["row"]), key))
    return frozenset(absent), frozenset(unsure)
