"""Stage ③: checks across rows and sheets — unique ids, references, team active on the date, duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..findings import Finding
from ..read.submission import Record, Submission, Table, at
from ..schema.rows import split_multi


def check_sheets(sub: Submission) -> Iterator[Finding]:
    teams = sub.tables.get("teams")
    activities = sub.tables.get("activities")
    if teams is not None:
        yield from _unique(teams, "team_id")
        yield from _team_rows(teams)
    if activities is not None:
        yield from _unique(activities, "activity_id")
        yield from _duplicate_activities(activities)
    if teams is not None and teams.present and activities is not None:  # no 服务队 sheet: sheet.missing says it once
        yield from _team_refs(sub, teams, activities)
    if activities is not None:
        yield from _activity_refs(sub, activities)


def _unique(table: Table, key: str) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for record in table.records:
        value = record.values.get(key)
        if value is None:
            continue
        if value in first:
            yield at(record, table, key, "row.duplicate-id", value=value, other_row=first[value])
        else:
            first[value] = record.row


def _duplicate_activities(table: Table) -> Iterator[Finding]:
    seen: dict[tuple[str, date, str], int] = {}
    teams: dict[str, str] = {}  # a cell's team ids → their sorted list (a ledger names a few teams, many times)
    for record in table.records:
        v = record.values
        ids, day, name = v.get("team_ids"), v.get("date"), v.get("name")
        if not (ids and isinstance(day, date) and name):
            continue
        if ids not in teams:
            teams[ids] = "、".join(sorted(split_multi(ids)))
        key = (teams[ids], day, name)
        if key in seen:
            yield at(
                record, table, "activity_id", "row.duplicate-activity", value=v.get("activity_id") or "", other_row=seen[key]
            )
        else:
            seen[key] = record.row


def _team_rows(table: Table) -> Iterator[Finding]:
    for record in table.records:
        v = record.values
        undated = v.get("status") == "撤销" and v.get("dissolved") is None
        if undated and "dissolved" not in record.bad and "dissolved" in record.cols:
            yield at(record, table, "dissolved", "cell.required")
        founded, dissolved = v.get("founded"), v.get("dissolved")
        if isinstance(founded, date) and isinstance(dissolved, date) and dissolved < founded:
            yield at(record, table, "dissolved", "row.date-order", value=dissolved.isoformat(), founded=founded.isoformat())


def _team_refs(sub: Submission, teams: Table, activities: Table) -> Iterator[Finding]:
    roster = {r.values["team_id"]: r for r in teams.records if r.values.get("team_id")}
    for record in teams.records:
        parent = record.values.get("parent_id")
        if parent and "parent_id" not in record.bad:
            missing = [p for p in split_multi(parent) if p not in roster]
            if missing:
                yield at(record, teams, "parent_id", "ref.team-unknown", value="、".join(missing))
    # a ledger names a few teams on a few hundred days, many times: each cell's ids and each team's day are
    # looked at once
    # a cell's team ids → (the ids, the unknown ones, the unknown ones that are known ones run together)
    named_in: dict[str, tuple[list[str], str, list[tuple[str, str]]]] = {}
    reasons: dict[tuple[str, date], str | None] = {}  # (team, day) → why the team was not active then
    for record in activities.records:
        ids = record.values.get("team_ids")
        if not ids or "team_ids" in record.bad:
            continue
        if ids not in named_in:
            named = split_multi(ids)
            runs = {t: _run_together(t, roster) for t in named if t not in roster}
            named_in[ids] = (named, "、".join(t for t, run in runs.items() if not run), [(t, r) for t, r in runs.items() if r])
        named, unknown, joined = named_in[ids]
        if unknown:
            yield at(record, activities, "team_ids", "ref.team-unknown", value=unknown)
        for team_id, parts in joined:
            yield at(record, activities, "team_ids", "ref.teams-joined", value=team_id, parts=parts)
        day = record.values.get("date")
        if not isinstance(day, date):
            continue
        for team_id in named:
            if (team_id, day) not in reasons:
                team = roster.get(team_id)
                reasons[team_id, day] = _inactive(team, day) if team else None
            reason = reasons[team_id, day]
            if reason:
                yield at(record, activities, "team_ids", "ref.team-inactive", value=team_id, reason=reason)


_RUN_MAX = 200  # a cell's ids run together are a few short ids; longer text is no such run (and is not searched)


def _run_together(team_id: str, roster: dict[str, Record]) -> str:
    """The roster's ids that `team_id` is made of, 「、」-joined, when it is two or more of them written together
    (「T01T02」, or 「T01 T02」, which reads as one id: an id loses its inner spaces) — else ''. The activity then counts
    for none of them, so the clerk is told how to write it rather than that the teams do not exist."""
    if len(team_id) > _RUN_MAX:
        return ""
    ends: dict[int, tuple[int, str]] = {}  # where a run of known ids from the start can end → (where its last id began, it)
    for i in range(len(team_id)):
        if i == 0 or i in ends:
            for known in roster:
                if team_id.startswith(known, i) and i + len(known) not in ends:
                    ends[i + len(known)] = (i, known)
    parts, end = [], len(team_id)
    while end in ends:  # back from the end to the start (which no id ends at)
        end, known = ends[end]
        parts.append(known)
    return "、".join(reversed(parts)) if end == 0 and len(parts) > 1 else ""


def _inactive(team: Record, day: date) -> str | None:
    founded, dissolved = team.values.get("founded"), team.values.get("dissolved")
    if isinstance(founded, date) and day < founded:
        return f"尚未成立（成立日期 {founded.isoformat()}）"
    if team.values.get("status") == "撤销" and isinstance(dissolved, date) and day > dissolved:
        return f"已于 {dissolved.isoformat()} 撤销"
    return None


def _activity_refs(sub: Submission, activities: Table) -> Iterator[Finding]:
    known = {r.values["activity_id"] for r in activities.records if r.values.get("activity_id")}
    for key, column in (("experience", "activity_ids"), ("photos", "activity_id")):
        table = sub.tables.get(key)
        if table is None:
            continue
        for record in table.records:
            value = record.values.get(column)
            if not value or column in record.bad:
                continue
            missing = [a for a in split_multi(value) if a not in known]
            if missing:
                yield at(record, table, column, "ref.activity-unknown", value="、".join(missing))
