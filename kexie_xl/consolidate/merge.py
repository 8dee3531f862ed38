"""Stage ⑤: the month for the city — per-unit summary, activity detail, quarterly status across months,
experience digest, photos and the intake ledger, all computed from the store.

Each unit's monthly workbook carries its cumulative ledger for the year, so quarter-to-date and year-to-date
figures take, per unit, the activities of its adopted submissions of every month of the year in the store
(the latest report wins for an activity id); a month missing from the store costs nothing if a later month
holds the same activities.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..config import Settings
from ..rules.quarterly import MISSED, PENDING, ActivityRow, QuarterStatus, TeamRow, quarterly_status
from ..schema.city import EVIDENCE, LATE, MISSING, ON_TIME, REJECTED, UNVERIFIED
from ..schema.codelists import ACTIVITY_KIND, TEAM_ITEM
from ..schema.rows import split_multi
from ..schema.units import Unit
from .ledger import deadline_passed
from .store import Store


@dataclass
class UnitLine:
    unit: Unit
    status: str
    received: str
    submission: int | None
    values: dict[str, float] = field(default_factory=dict)  # summary column key → number
    received_by: str = ""  # what the 报送时间 rests on (schema.city BY_…)


@dataclass
class CityMonth:
    month: str
    deadline: date
    as_of: date
    units: list[UnitLine]
    detail: list[dict[str, Any]]
    quarterly: list[QuarterStatus]
    experience: list[dict[str, Any]]
    photos: list[dict[str, Any]]
    intake: list[dict[str, Any]]
    by_month: list[tuple[str, int]]  # 活动场次 per month of the year (month over month)
    names: dict[str, str]  # unit code → name
    team_quarters: list[QuarterStatus] = field(default_factory=list)  # every counted team's quarters (达标 too)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # unit code → its history.* findings


def merge_month(store: Store, settings: Settings, units: list[Unit], month: str) -> CityMonth:
    year, mon = (int(p) for p in month.split("-"))
    deadline = date(year, mon, settings.report.deadline_day)
    as_of = date(year, mon, calendar.monthrange(year, mon)[1])
    inputs = store.inputs(month)
    subs = {r["submission_id"]: store.submission(r["submission_id"]) for r in inputs if r["submission_id"] is not None}
    adopted = {subs[r["submission_id"]]["unit"]: r for r in inputs if r["status"] == "采用"}
    months = [f"{year}-{m:02d}" for m in range(1, mon + 1)]
    counting = store.ledger_counts_beside(months[0], months[-1])  # SQLite counts while Python compares and reads
    against, keep = _history(store, settings, adopted, month)  # each report against the unit's previous one
    reports: dict[str, list] = {}  # a unit's accepted reports (adopted or superseded), by time received
    for r in inputs:
        if r["status"] in ("采用", "被替代"):
            reports.setdefault(subs[r["submission_id"]]["unit"], []).append(r)
    names = {u.code: u.name for u in units}
    sids = [r["submission_id"] for r in adopted.values()]
    rows = {table: _by_submission(store, table, sids) for table in ("teams", "registration")}
    rows["activities"] = _by_submission(store, "activities", sids, date_prefix=month)
    ledgers = _year_ledgers(counting())
    keep()  # the compared pairs, kept once the counting connection is done (a write would wait for it)
    statuses = _quarterly(rows["teams"], settings, adopted, ledgers, as_of, year)
    short = _short_teams(statuses)
    lines, detail = [], []
    platforms = settings.platforms
    for unit in units:
        row = adopted.get(unit.code)
        if row is None:  # nothing adopted: 退回 if the unit's own workbook was refused (e.g. --strict), else 未报
            refused = [
                r
                for r in inputs
                if r["status"] == REJECTED and r["submission_id"] is not None and subs[r["submission_id"]]["unit"] == unit.code
            ]
            received = refused[0]["received"][:16].replace("T", " ") if refused else ""
            lines.append(UnitLine(unit, REJECTED if refused else MISSING, received, None))
            continue
        sid = row["submission_id"]
        status, decisive = deadline_status(reports[unit.code], deadline, settings.report.trust_file_times)
        line = UnitLine(unit, status, decisive["received"][:16].replace("T", " "), sid, received_by=decisive["received_by"] or "")
        this_month = [a for a in rows["activities"].get(sid, []) if _in_month(a.get("date"), year, mon)]
        registration = rows["registration"].get(sid, [])
        line.values = _numbers(
            subs[sid], registration, this_month, platforms, short, unit.code, ledgers.get(unit.code, []), as_of
        )
        for f in against.get(unit.code, []):
            line.values["errors" if f["severity"] == "错误" else "warnings"] += 1
        lines.append(line)
        problems = row_problems([*json.loads(subs[sid]["findings"]), *against.get(unit.code, [])])
        detail += [
            {**a, "unit": unit.name, "problems": problems.get(a["row"], "")}
            for a in sorted(this_month, key=lambda a: (a["date"], a["row"]))
        ]
    by_month: Counter[str] = Counter()
    for acts in ledgers.values():
        for d, _teams, n in acts:
            if d.year == year and d <= as_of:
                by_month[f"{d.year}-{d.month:02d}"] += n
    return CityMonth(
        month=month,
        deadline=deadline,
        as_of=as_of,
        units=lines,
        detail=detail,
        quarterly=[s for s in statuses if s.status in (MISSED, PENDING)],
        experience=_rows_of(store, "experience", adopted, names),
        photos=_rows_of(store, "photos", adopted, names),
        intake=_intake(subs, inputs, against),
        by_month=[(m, by_month.get(m, 0)) for m in months],
        names=names,
        team_quarters=statuses,
        history=against,
    )


def row_problems(findings: list[dict[str, Any]]) -> dict[int, str]:
    """What the checks said about each row of a report's 活动台账 (its own findings and the cross-month ones), by
    row: 活动明细 shows it beside the row. A value that was not taken (「八」 for a number, a choice not in the
    list) is stored empty; the finding keeps what the unit wrote, so the city's table loses nothing silently."""
    from ..rules.months import on_rows
    from ..schema.standard import ACTIVITIES

    out: dict[int, list[str]] = {}
    for row, f in on_rows(findings, ACTIVITIES.names):
        out.setdefault(row, []).append(f"【{f.get('severity') or '问题'}】{f.get('message') or f.get('code') or ''}")
    return {row: "\n".join(lines) for row, lines in out.items()}


def deadline_status(reports: list[Any], deadline: date, trust_file_times: bool = False) -> tuple[str, Any]:
    """按时 / 逾期 / 未核实 from a unit's accepted reports of the month, and the report that decides it.

    Only evidence counts (a mail's Date, the server's receipt, an upload, a time the office supplied): one
    report with evidence on or before the deadline makes the unit 按时 — a later correction does not make it
    late; 逾期 needs evidence for every report; otherwise the time is 未核实 (a file time is no receipt).
    """

    def proven(r: Any) -> bool:
        return trust_file_times or (r["received_by"] or "") in EVIDENCE

    on_time = [r for r in reports if proven(r) and not deadline_passed(r["received"], deadline)]
    if on_time:
        return ON_TIME, on_time[0]
    if all(proven(r) for r in reports):
        return LATE, reports[0]
    return UNVERIFIED, reports[0]


def _in_month(day: Any, year: int, mon: int) -> bool:
    return isinstance(day, date) and day.year == year and day.month == mon


def _year_ledgers(counts: list[tuple[str, str, str, int]]) -> dict[str, list[tuple[date, str, int]]]:
    """Per unit, its activities of the year as (first day of their month, team ids, how many), from the counts of
    Store.ledger_counts (later months' reports win for the same id). Every figure taken from it — quarter, year to
    date, the quarterly rule as of the month's last day — is month-aligned, so the month stands for the day exactly."""
    out: dict[str, list[tuple[date, str, int]]] = {}
    for unit, month, teams, n in counts:
        out.setdefault(unit, []).append((date(int(month[:4]), int(month[5:7]), 1), teams, n))
    return out


def _by_submission(store: Store, table: str, sids: list[int], date_prefix: str | None = None) -> dict[int, list[dict[str, Any]]]:
    """The rows of `table` of many submissions in one query, by submission (see Store.rows for `date_prefix`)."""
    out: dict[int, list[dict[str, Any]]] = {}
    for r in store.rows(table, sids, date_prefix=date_prefix):
        out.setdefault(r["submission_id"], []).append(r)
    return out


def _quarterly(
    teams_of: dict[int, list[dict[str, Any]]],
    settings: Settings,
    adopted: dict[str, Any],
    ledgers: dict[str, list[tuple[date, str, int]]],
    as_of: date,
    year: int,
) -> list[QuarterStatus]:
    teams, activities = [], []
    for unit, row in adopted.items():
        for t in teams_of.get(row["submission_id"], []):
            if not t.get("team_id"):
                continue
            dissolved = t.get("dissolved") if t.get("status") == "撤销" else None
            teams.append(
                TeamRow(
                    t["team_id"],
                    t.get("name") or "",
                    t.get("level") or "",
                    t.get("parent_id"),
                    t["founded"] if isinstance(t.get("founded"), date) else None,
                    dissolved if isinstance(dissolved, date) else None,
                    unit,
                    t.get("row"),
                )
            )
        activities += [ActivityRow(day, tuple(split_multi(teams)), unit, n) for day, teams, n in ledgers.get(unit, [])]
    return quarterly_status(teams, activities, settings.quarterly, as_of, year)


def _short_teams(statuses: list[QuarterStatus]) -> dict[tuple[str, str], set[str]]:
    """Each unit's teams short of the minimum in some quarter (未达标, 待开展), by (unit, status): gathered once for
    all units rather than looked for in every unit's statuses per unit (units × statuses: ~30 ms at 200 units)."""
    out: dict[tuple[str, str], set[str]] = {}
    for s in statuses:
        if s.status in (MISSED, PENDING):
            out.setdefault((s.unit, s.status), set()).add(s.team_id)
    return out


def _numbers(
    sub: Any,
    registration: list[dict[str, Any]],
    acts: list[dict[str, Any]],
    platforms: Any,
    short: dict[tuple[str, str], set[str]],
    unit: str,
    ledger: list[tuple[date, str, int]],
    as_of: date,
) -> dict[str, float]:
    values: dict[str, float] = {}
    for i, platform in enumerate(platforms):
        mine = [r for r in registration if r.get("platform") == platform.name]
        people = [r for r in mine if r.get("item") != TEAM_ITEM]
        teams = [r for r in mine if r.get("item") == TEAM_ITEM]
        values[f"p{i}_vol_total"] = sum(r.get("total") or 0 for r in people)
        values[f"p{i}_vol_new"] = sum(r.get("new") or 0 for r in people)
        values[f"p{i}_team_total"] = sum(r.get("total") or 0 for r in teams)
        values[f"p{i}_team_new"] = sum(r.get("new") or 0 for r in teams)
    kinds = Counter(a.get("kind") for a in acts)
    for i, kind in enumerate(ACTIVITY_KIND.items):
        values[f"kind_{i}"] = kinds.get(kind, 0)
    values["activities"] = len(acts)
    values["volunteers"] = sum(a.get("volunteers") or 0 for a in acts)
    values["hours"] = round(sum(a.get("hours") or 0 for a in acts), 1)
    values["beneficiaries"] = sum(a.get("beneficiaries") or 0 for a in acts)
    quarter_start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    dated = [(day, n) for day, _teams, n in ledger if day <= as_of]
    values["quarter_to_date"] = sum(n for d, n in dated if d >= quarter_start)
    values["year_to_date"] = sum(n for d, n in dated if d.year == as_of.year)
    values["missed"] = len(short.get((unit, MISSED), ()))
    values["pending"] = len(short.get((unit, PENDING), ()))
    values["errors"], values["warnings"] = sub["errors"], sub["warnings"]
    return values


def _rows_of(store: Store, table: str, adopted: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    of = _by_submission(store, table, [adopted[unit]["submission_id"] for unit in adopted])
    out = []
    for unit in sorted(adopted):
        for r in of.get(adopted[unit]["submission_id"], []):
            out.append({**r, "unit": names.get(unit, unit), "unit_code": unit})
    return out


def format_label(name: str) -> str:
    """What a received file is, as the ledger and the feedback say it (by its name; a file whose content is
    another format is refused with a reason that says so)."""
    from ..formats import by_name

    found = by_name(name)
    return found.label if found else ""


def _history(
    store: Store, settings: Settings, adopted: dict[str, Any], month: str
) -> tuple[dict[str, list[dict[str, Any]]], Callable[[], None]]:
    """Per unit, its adopted report against its previous adopted one (consolidate/history.py), as finding dicts;
    and the function that keeps the pairs compared now."""
    from ..schema.standard import build_template
    from .history import month_histories_to_keep

    template = build_template(settings.platform_names, ())
    adopted_ids = {u: r["submission_id"] for u, r in adopted.items()}
    found, keep = month_histories_to_keep(store, settings, template, adopted_ids, month)
    return {unit: findings for unit, findings in found.items() if findings}, keep


def _intake(subs: dict[int, Any], inputs: list[Any], history: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The ledger's lines; the adopted report of a unit carries its history findings (counted, and said in 原因)."""
    out = []
    for r in inputs:
        sub = subs.get(r["submission_id"])
        extra = history.get(sub["unit"], []) if sub is not None and r["status"] == "采用" else []
        errors = sum(1 for f in extra if f["severity"] == "错误")
        note = f"与本单位上次采用的月报相比有 {len(extra)} 处跨月问题" if extra else ""
        out.append(
            {
                "file": r["name"],
                "source": r["source"],
                "unit": (sub and sub["unit_name"]) or "",
                "unit_code": sub and sub["unit"],
                "month": (sub and sub["month"]) or "",
                "received": r["received"][:16].replace("T", " "),
                "received_by": r["received_by"] or "",
                "status": r["status"],
                "reason": "；".join(x for x in (r["reason"], r["note"], note) if x),
                "errors": sub["errors"] + errors if sub else None,
                "warnings": sub["warnings"] + len(extra) - errors if sub else None,
                "sha256": r["sha256"],
                "format": format_label(r["name"]),
                "findings": [*json.loads(sub["findings"]), *extra] if sub else [],
            }
        )
    return out
