"""Sample data: a unit's next month in a demo series — last month's report carried forward — and the cross-month
problems planted in it (history.* findings), each recorded like the month's own plants.

Carried forward, as a clerk does with 新建下月台账: the roster, the year's ledger (not across a new year),
registration with 累计 = last 累计 + this month's 新增. New activities fill the days since last month's report, so
every 支队 keeps its quarter; the quarterly cases planted earlier keep their plan, and what they should show this
month is worked out from it. Last month's planted problems are not carried: the clerk fixed them (the history
check leaves out rows that had a finding, so this is no cross-month problem).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ..config import Settings
from ..findings import CATALOGUE
from ..schema.codelists import TEAM_ITEM
from ..schema.units import Unit
from .month import TeamPlan, UnitGenerator, UnitMonth, month_span, next_activity_number, quarter_of, quarter_span
from .plants import Planted, Planter
from .roles import Roles

MET, MISSED, PENDING, EXEMPT = "达标", "未达标", "待开展", "豁免"


def carry_forward(
    prev: UnitMonth, rng: random.Random, settings: Settings, year: int, month: int, report_date: date, no_activity: bool
) -> UnitMonth:
    """The unit's report of (year, month), carried from its last report `prev` (a clean copy)."""
    new_year = year != prev.year
    gen = UnitGenerator(rng, settings, prev.unit, year, month, report_date, {}, no_activity=no_activity)
    current_q = quarter_of(gen.cutoff)
    plans = {tid: _carried_plan(plan, new_year, year, current_q) for tid, plan in prev.team_plans.items()}
    registration = []
    for row in prev.registration:
        new = rng.randint(0, 3 if row["item"] == TEAM_ITEM else 40)
        registration.append({**row, "total": row["total"] + new, "new": new})
    activities = [] if new_year else copy.deepcopy(prev.activities)
    start = date(year, 1, 1) if new_year else min(prev.report_date, month_span(prev.year, prev.month)[1]) + timedelta(days=1)
    teams = copy.deepcopy(prev.teams)
    activities += _new_activities(gen, teams, plans, activities, start)
    month_rows = [a for a in activities if a["date"] >= date(year, month, 1)]
    basic = {
        **prev.basic,
        "report_month": f"{year}-{month:02d}",
        "report_date": report_date,
        "no_activity": "是" if no_activity else None,
        "remark": "本月因防汛工作未开展活动，下月补足。" if no_activity else None,
    }
    photos = gen._photos(month_rows)
    return UnitMonth(
        prev.unit, year, month, report_date, basic, registration, teams, activities, gen._experience(month_rows), photos, plans
    )


def _carried_plan(plan: TeamPlan, new_year: bool, year: int, current_q: int) -> TeamPlan:
    """A quarterly case's plan one month on: the same behaviour, its expected statuses as of this month."""
    if plan == TeamPlan():
        return TeamPlan()
    if new_year:  # skipping a quarter was last year's story; founding and dissolution stay facts
        plan = TeamPlan(founded=plan.founded, dissolved=plan.dissolved, reason=plan.reason)
    quarters = sorted({*plan.expected, current_q}) if not new_year else [current_q]
    expected = {q: expected_status(plan, year, q, current_q) for q in quarters}
    return TeamPlan(set(plan.skip_quarters), plan.founded, plan.dissolved, plan.child_only_quarter, expected, plan.reason)


def expected_status(plan: TeamPlan, year: int, quarter: int, current_q: int) -> str:
    """What the quarterly rule says of a planned 支队 in `quarter` (defaults: grace for the quarter's last month)."""
    start, end = quarter_span(year, quarter)
    if plan.dissolved is not None and plan.dissolved < start:
        return EXEMPT
    if plan.founded is not None and plan.founded >= date(end.year, end.month, 1):
        return EXEMPT
    if quarter in plan.skip_quarters:
        return MISSED if quarter < current_q else PENDING
    return MET


def _new_activities(
    gen: UnitGenerator, teams: list[dict[str, Any]], plans: dict[str, TeamPlan], carried: list[dict[str, Any]], start: date
) -> list[dict[str, Any]]:
    """Activities since the last report: every counted team keeps at least one per quarter, as the generator does."""
    rng, month_start = gen.rng, date(gen.year, gen.month, 1)
    current_q = quarter_of(gen.cutoff)
    drafts: list[tuple[date, dict[str, Any], str]] = []
    for team in teams:
        if team["level"] == "总队":
            continue
        plan = plans.get(team["team_id"]) or plans.get(team["parent_id"] or "", TeamPlan())
        for q in range(quarter_of(start), current_q + 1):
            window = gen._window(team, q, current_q, month_start)
            if window is None or q in plan.skip_quarters or (team["level"] == "支队" and plan.child_only_quarter == q):
                continue
            lo, hi = max(window[0], start), window[1]
            if lo > hi:
                continue
            had = any(a["team_ids"] == team["team_id"] and quarter_of(a["date"]) == q for a in carried)
            n = rng.randint(0, 1) if had else (rng.randint(1, 2) if team["level"] == "支队" else 1)
            drafts += [(lo + timedelta(days=rng.randint(0, (hi - lo).days)), team, team["_kind"]) for _ in range(n)]
    if not gen.no_activity and not any(d >= month_start for d, _, _ in drafts):
        branch = next(t for t in teams if t["level"] == "支队" and plans[t["team_id"]] == TeamPlan())
        lo = max(month_start, start)
        drafts.append((lo + timedelta(days=rng.randint(0, (gen.cutoff - lo).days)), branch, branch["_kind"]))
    drafts.sort(key=lambda d: (d[0], d[1]["team_id"]))
    seen = {(a["team_ids"], a["date"], a["name"]) for a in carried}
    first = next_activity_number(carried)
    return [gen._activity(first + n, day, team, kind, seen) for n, (day, team, kind) in enumerate(drafts)]


# Cross-month plants: each changes this month's data against last month's and returns the finding it must raise.

HISTORY_KINDS = ("total_decreased", "total_mismatch", "activity_missing", "activity_changed", "activity_id_reused")
REVIVE = "team_revived"


def plant_history(planter: Planter, data: UnitMonth, prev: UnitMonth, kind: str) -> Planted | None:
    """Apply one cross-month plant; None when this unit's data leaves no room for it."""
    return HISTORY_PLANTS[kind](planter, data, prev)


def _total_decreased(p: Planter, d: UnitMonth, prev: UnitMonth) -> Planted | None:
    i = p.rng.randrange(len(d.registration))
    row, before = d.registration[i], prev.registration[i]["total"]
    row["new"], row["total"] = 0, before - p.rng.randint(1, max(1, min(9, before - 1)))
    return p._record("history.total-decreased", "registration", "total", i, row["total"], f"累计注册数比上月的 {before} 少")


def _total_mismatch(p: Planter, d: UnitMonth, prev: UnitMonth) -> Planted | None:
    i = p.rng.randrange(len(d.registration))
    row = d.registration[i]
    row["total"] += p.rng.randint(3, 30)
    return p._record("history.total-mismatch", "registration", "total", i, row["total"], "累计 ≠ 上月累计 + 本月新增")


def _old_activities(d: UnitMonth, prev: UnitMonth) -> list[int]:
    """Indexes of carried activities that can go or change without changing any 支队's quarter: reported last
    month, not a photo of it, by a team with another activity in that quarter."""
    if d.year != prev.year:
        return []
    known = {a["activity_id"] for a in prev.activities}
    count: dict[tuple[str, int], int] = {}
    for a in d.activities:
        count[(a["team_ids"], quarter_of(a["date"]))] = count.get((a["team_ids"], quarter_of(a["date"])), 0) + 1
    return [
        i
        for i, a in enumerate(d.activities)
        if a["activity_id"] in known and not a["photos"] and count[(a["team_ids"], quarter_of(a["date"]))] >= 2
    ]


def _activity_missing(p: Planter, d: UnitMonth, prev: UnitMonth) -> Planted | None:
    candidates = _old_activities(d, prev)
    if not candidates:
        return None
    gone = d.activities.pop(p.rng.choice(candidates))
    sheet = p.template.sheet("activities")
    note = f"{prev.year}-{prev.month:02d} 报过的活动从台账中删除"
    return Planted("history.activity-missing", CATALOGUE["history.activity-missing"].severity.value, sheet.name, "", 0, "", "",
                   gone["activity_id"], note)  # fmt: skip


def _activity_changed(p: Planter, d: UnitMonth, prev: UnitMonth) -> Planted | None:
    candidates = _old_activities(d, prev)
    if not candidates:
        return None
    i = p.rng.choice(candidates)
    row = d.activities[i]
    row["volunteers"] += p.rng.randint(2, 9)
    earlier = row["date"] - timedelta(days=1)
    team = next(t for t in d.teams if t["team_id"] == row["team_ids"])
    clash = any(a["team_ids"] == row["team_ids"] and a["date"] == earlier and a["name"] == row["name"] for a in d.activities)
    if row["key_event"] is None and quarter_of(earlier) == quarter_of(row["date"]) and earlier > team["founded"] and not clash:
        row["date"] = earlier
        return p._record("history.activity-changed", "activities", "date", i, earlier.isoformat(), "日期和志愿者人数被改动")
    return p._record("history.activity-changed", "activities", "volunteers", i, row["volunteers"], "志愿者人数被改动")


def _activity_id_reused(p: Planter, d: UnitMonth, prev: UnitMonth) -> Planted | None:
    start = max(date(d.year, d.month, 1), min(prev.report_date, month_span(prev.year, prev.month)[1]) + timedelta(days=1))
    gone = {t["team_id"] for t in d.teams if t["dissolved"]}
    candidates = [i for i in _old_activities(d, prev) if d.activities[i]["team_ids"] not in gone]
    if not candidates or start > min(d.report_date, month_span(d.year, d.month)[1]):
        return None
    i = p.rng.choice(candidates)
    row = d.activities[i]
    day = start + timedelta(days=p.rng.randint(0, (min(d.report_date, month_span(d.year, d.month)[1]) - start).days))
    row.update(date=day, name=f"{row['name']}（新一期）", key_event=None, photos=None)
    return p._record("history.activity-id-reused", "activities", "activity_id", i, row["activity_id"], "旧编号用于新活动")


HISTORY_PLANTS: dict[str, Callable[[Planter, UnitMonth, UnitMonth], Planted | None]] = {
    "total_decreased": _total_decreased,
    "total_mismatch": _total_mismatch,
    "activity_missing": _activity_missing,
    "activity_changed": _activity_changed,
    "activity_id_reused": _activity_id_reused,
}


def dissolved_team(data: UnitMonth) -> str | None:
    """A 支队 of a quarterly case that was dissolved (the one a revival can be planted on)."""
    return next((t for t, plan in sorted(data.team_plans.items()) if plan.dissolved is not None), None)


def plant_revival(p: Planter, d: UnitMonth, gen_rng: random.Random, settings: Settings) -> Planted | None:
    """A dissolved 支队 back to 在册, with an activity in each quarter since, so its quarters stay met."""
    team_id = dissolved_team(d)
    if team_id is None:
        return None
    index, team = next((i, t) for i, t in enumerate(d.teams) if t["team_id"] == team_id)
    gone, plan = team["dissolved"], d.team_plans[team_id]
    team["status"], team["dissolved"] = "在册", None
    gen = UnitGenerator(gen_rng, settings, d.unit, d.year, d.month, d.report_date, {})
    seen = {(a["team_ids"], a["date"], a["name"]) for a in d.activities}
    last_q = quarter_of(gen.cutoff)
    for q in range(quarter_of(gone + timedelta(days=1)) if gone.year == d.year else 1, last_q + 1):
        lo, hi = quarter_span(d.year, q)
        lo, hi = max(lo, gone + timedelta(days=1)), min(hi, gen.cutoff)
        if lo <= hi:
            day = lo + timedelta(days=gen_rng.randint(0, (hi - lo).days))
            d.activities.append(gen._activity(next_activity_number(d.activities), day, team, team["_kind"], seen))
    quarters = sorted({*plan.expected, last_q})
    d.team_plans[team_id] = TeamPlan(expected={q: MET for q in quarters}, reason="撤销后又恢复在册（跨月问题）")
    return p._record(
        "history.team-revived", "teams", "status", index, "在册", f"{team_id} 于 {gone.isoformat()} 撤销，本月又在册"
    )


def history_roles(
    rng: random.Random, roles: Roles, carry: dict[str, UnitMonth], units: list[Unit], year: int, month: int
) -> dict[str, str]:
    """Which carried units get which cross-month plant this month: one each, among units with no other role
    (a revival only where a 支队 was dissolved; 累计 ≠ 上月 + 新增 only where last month's report is carried)."""
    busy = {roles.missing, roles.resubmit, roles.no_activity, *roles.errors, *roles.team_plans}
    pool = [u.code for u in units if u.code in carry and u.code not in busy and roles.received.get(u.code)]
    rng.shuffle(pool)
    last = (year, month - 1) if month > 1 else (year - 1, 12)
    out: dict[str, str] = {}
    wanted = [(REVIVE, lambda c: dissolved_team(carry[c]) is not None)]
    wanted += [(kind, lambda c: True) for kind in HISTORY_KINDS if kind != "total_mismatch"]
    wanted.insert(1, ("total_mismatch", lambda c: (carry[c].year, carry[c].month) == last))
    for kind, fits in wanted:
        code = next((c for c in pool if c not in out and fits(c)), None)
        if code is not None:
            out[code] = kind
    return out
