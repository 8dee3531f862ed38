"""Sample data: who does what this month — late, missing, resubmitting, planted errors, quarterly cases."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import KexieError
from ..schema.units import Unit
from .month import TeamPlan, quarter_of, quarter_span

# Planted errors: unit slot → plant kinds (slots are drawn at random among the units that submit).
ERROR_SLOTS: tuple[tuple[str, ...], ...] = (
    ("code_list", "date_invalid"),
    ("team_unknown",),
    ("duplicate_id", "negative"),
    ("phone", "email"),
    ("registration",),
    ("date_future", "outlier"),
    ("duplicate_activity", "key_event"),
)
RESUBMIT_PLANT = "required"  # the first version of the resubmission has this error; the second is clean
MIN_UNITS = 6 + len(ERROR_SLOTS) + 1 + 5  # missing/late/resubmit/deadline, errors, no-activity, quarterly cases


@dataclass
class Roles:
    missing: str
    late: list[str]
    resubmit: str
    deadline_exact: str  # submits on the deadline day itself, late in the evening (still on time)
    errors: dict[str, tuple[str, ...]]
    no_activity: str | None
    team_plans: dict[str, dict[int, TeamPlan]] = field(default_factory=dict)
    received: dict[str, list[datetime]] = field(default_factory=dict)


def assign(rng: random.Random, units: list[Unit], year: int, month: int, deadline_day: int, tz: str) -> Roles:
    """Draw the roles; every unit other than the missing one gets one or two received times."""
    codes = [u.code for u in units]
    if len(codes) < MIN_UNITS:
        raise KexieError(f"演示数据至少需要 {MIN_UNITS} 个应报单位，该月只有 {len(codes)} 个。")
    pool = codes[:]
    rng.shuffle(pool)
    missing, *late = pool[:4]
    resubmit, deadline_exact = pool[4], pool[5]
    error_units = pool[6 : 6 + len(ERROR_SLOTS)]
    rest = pool[6 + len(ERROR_SLOTS) :]
    month_in_quarter = (month - 1) % 3 + 1
    no_activity = rest.pop() if month_in_quarter > 1 else None
    roles = Roles(missing, late, resubmit, deadline_exact, dict(zip(error_units, ERROR_SLOTS, strict=True)), no_activity)
    roles.team_plans = _team_plans(rng, rest, year, month)
    roles.received = _received(rng, roles, codes, year, month, deadline_day, ZoneInfo(tz))
    return roles


def _team_plans(rng: random.Random, candidates: list[str], year: int, month: int) -> dict[str, dict[int, TeamPlan]]:
    """The quarterly-rule cases, each in its own unit, each on that unit's 支队 number 1 or 2."""
    current = quarter_of(date(year, month, 1))
    plans: dict[str, dict[int, TeamPlan]] = {}
    picks = iter(rng.sample(candidates, k=5))
    plans[next(picks)] = {2: TeamPlan(skip_quarters={current}, expected={current: "待开展"}, reason="本季度尚未开展活动")}
    plans[next(picks)] = {
        1: TeamPlan(child_only_quarter=current, expected={current: "达标"}, reason="本季度只有下属分队开展了活动，计入支队")
    }
    if current > 1:
        prev = current - 1
        prev_start, prev_end = quarter_span(year, prev)
        plans[next(picks)] = {
            2: TeamPlan(skip_quarters={prev}, expected={prev: "未达标", current: "达标"}, reason="上季度没有开展活动")
        }
        late_found = date(prev_end.year, prev_end.month, 10)
        plans[next(picks)] = {
            1: TeamPlan(
                founded=late_found,
                skip_quarters={prev},
                expected={prev: "豁免", current: "达标"},
                reason="上季度最后一个月成立，当季豁免",
            )
        }
        dissolved = prev_start + timedelta(days=14)
        plans[next(picks)] = {
            2: TeamPlan(dissolved=dissolved, expected={prev: "达标", current: "豁免"}, reason="上季度已撤销，此后豁免")
        }
    return plans


def _received(
    rng: random.Random, roles: Roles, codes: list[str], year: int, month: int, deadline_day: int, tz: ZoneInfo
) -> dict[str, list[datetime]]:
    deadline = date(year, month, deadline_day)

    def at(day: date, hour: int | None = None, minute: int | None = None) -> datetime:
        clock = time(rng.randint(8, 21) if hour is None else hour, rng.randint(0, 59) if minute is None else minute)
        return datetime.combine(day, clock, tzinfo=tz)

    def before_deadline(latest: int) -> date:
        return date(year, month, rng.randint(min(8, latest), latest))

    out: dict[str, list[datetime]] = {}
    for code in codes:
        if code == roles.missing:
            continue
        if code in roles.late:
            out[code] = [at(deadline + timedelta(days=rng.randint(1, 4)))]
        elif code == roles.deadline_exact:
            out[code] = [at(deadline, 23, 10)]
        elif code == roles.resubmit:
            first = at(before_deadline(deadline_day - 2))
            out[code] = [first, first + timedelta(days=1, hours=2)]
        else:
            out[code] = [at(before_deadline(deadline_day))]
    return out
