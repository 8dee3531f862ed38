"""Sample data: one unit's filled report for a month — roster, ledger from January, registration, photos.

Everything is drawn from a seeded generator, and the data is clean: every problem in the demo is planted on
purpose (plants.py) and recorded in the manifest, so checks can be compared with it exactly.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..config import Settings
from ..schema.codelists import REGISTRATION_ITEM, TEAM_ITEM
from ..schema.units import Unit
from . import people


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_span(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    last_month = first_month + 2
    return date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])


def month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def next_activity_number(activities: list[dict[str, Any]]) -> int:
    """The number of a new activity's id (A2026-012 → 12): after every id in use, and after the row count (the
    count alone would reuse an id once a row has been removed, as a carried-forward ledger may)."""
    used = [int(a["activity_id"].rsplit("-", 1)[1]) for a in activities if str(a.get("activity_id") or "")[-3:].isdigit()]
    return max([len(activities), *used]) + 1


@dataclass
class TeamPlan:
    """How a 支队 is to behave in the quarters of the year (the quarterly-rule cases the demo plants)."""

    skip_quarters: set[int] = field(default_factory=set)  # no activity at all in these quarters
    founded: date | None = None
    dissolved: date | None = None
    child_only_quarter: int | None = None  # in this quarter only its 分队 is active
    expected: dict[int, str] = field(default_factory=dict)  # quarter → 达标/未达标/待开展/豁免
    reason: str = ""


@dataclass
class UnitMonth:
    """A unit's report for one month, as row dicts keyed by the schema's column keys."""

    unit: Unit
    year: int
    month: int
    report_date: date
    basic: dict[str, Any]
    registration: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    experience: list[dict[str, Any]]
    photos: list[dict[str, Any]]
    team_plans: dict[str, TeamPlan] = field(default_factory=dict)

    @property
    def month_activities(self) -> list[dict[str, Any]]:
        start, end = month_span(self.year, self.month)
        return [a for a in self.activities if isinstance(a["date"], date) and start <= a["date"] <= end]

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "registration": self.registration,
            "teams": self.teams,
            "activities": self.activities,
            "experience": self.experience,
            "photos": self.photos,
        }


class UnitGenerator:
    """Builds one UnitMonth; `plans` maps a 支队's position (1-based) to its planted behaviour."""

    def __init__(
        self,
        rng: random.Random,
        settings: Settings,
        unit: Unit,
        year: int,
        month: int,
        report_date: date,
        plans: dict[int, TeamPlan],
        no_activity: bool = False,
    ):
        self.rng, self.settings, self.unit = rng, settings, unit
        self.year, self.month, self.report_date = year, month, report_date
        self.plans, self.no_activity = plans, no_activity
        self.region = unit.region or unit.name.removesuffix("科协")
        # The ledger runs from January to the report month, and never past the day the report was filled in.
        self.cutoff = min(report_date, month_span(year, month)[1])

    def build(self) -> UnitMonth:
        teams, plans_by_id = self._teams()
        activities = self._activities(teams, plans_by_id)
        month_rows = [a for a in activities if a["date"] >= date(self.year, self.month, 1)]
        photos = self._photos(month_rows)
        return UnitMonth(
            unit=self.unit,
            year=self.year,
            month=self.month,
            report_date=self.report_date,
            basic=self._basic(),
            registration=self._registration(),
            teams=teams,
            activities=activities,
            experience=self._experience(month_rows),
            photos=photos,
            team_plans=plans_by_id,
        )

    # Sheets

    def _basic(self) -> dict[str, Any]:
        return {
            "unit": self.unit.name,
            "report_month": f"{self.year}-{self.month:02d}",
            "reporter": people.person(self.rng),
            "phone": people.mobile(self.rng),
            "email": f"kx{self.unit.code.lower()}@units.example",
            "report_date": self.report_date,
            "no_activity": "是" if self.no_activity else None,
            "remark": "本月因防汛工作未开展活动，下月补足。" if self.no_activity else None,
        }

    def _registration(self) -> list[dict[str, Any]]:
        rows = []
        for platform in self.settings.platform_names:
            for item in REGISTRATION_ITEM.items:
                total = self.rng.randint(2, 40) if item == TEAM_ITEM else self.rng.randint(20, 3000)
                new = self.rng.randint(0, min(total, 3 if item == TEAM_ITEM else 40))
                rows.append({"platform": platform, "item": item, "total": total, "new": new})
        return rows

    def _teams(self) -> tuple[list[dict[str, Any]], dict[str, TeamPlan]]:
        rng = self.rng
        kinds = list(people.FIELDS_BY_KIND)
        n_branches = max(rng.randint(3, 5), max(self.plans, default=0))
        teams = [self._team("T00", f"{self.region}科技志愿服务总队", "总队", None, "综合")]
        plans: dict[str, TeamPlan] = {}
        for i in range(1, n_branches + 1):
            kind = kinds[(i - 1) % len(kinds)]
            field_name = people.FIELDS_BY_KIND[kind]
            plan = self.plans.get(i, TeamPlan())
            tid = f"T{i:02d}"
            team = self._team(tid, f"{self.region}{field_name.split('/')[0]}科技志愿服务支队", "支队", "T00", field_name, plan)
            team["_kind"] = kind
            teams.append(team)
            plans[tid] = plan
            if plan.child_only_quarter or (not plan.dissolved and rng.random() < 0.3):
                child = self._team(f"{tid}-1", f"{team['name']}第一分队", "分队", tid, field_name)
                child["_kind"] = kind
                child["founded"] = max(child["founded"], team["founded"])  # a 分队 never predates its 支队
                teams.append(child)
        return teams, plans

    def _team(
        self, tid: str, name: str, level: str, parent: str | None, field_name: str, plan: TeamPlan | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        founded = (plan and plan.founded) or date(rng.randint(2018, self.year - 1), rng.randint(1, 12), rng.randint(1, 28))
        dissolved = plan.dissolved if plan else None
        role = rng.choice(["学校校长", "医院院长", "农技站站长", "科技工作者", "科协工作人员"])
        return {
            "team_id": tid,
            "name": name,
            "level": level,
            "parent_id": parent,
            "town": rng.choice(people.TOWNS),
            "leader": people.person(rng),
            "leader_role": role,
            "phone": people.mobile(rng),
            "members": rng.randint(8, 60),
            "field": field_name,
            "founded": founded,
            "status": "撤销" if dissolved else "在册",
            "dissolved": dissolved,
            "remark": None,
        }

    def _activities(self, teams: list[dict[str, Any]], plans: dict[str, TeamPlan]) -> list[dict[str, Any]]:
        rng = self.rng
        current_q = quarter_of(self.cutoff)
        month_start = date(self.year, self.month, 1)
        drafts: list[tuple[date, dict[str, Any], str]] = []
        for team in teams:
            if team["level"] == "总队":
                continue
            plan = plans.get(team["team_id"]) or plans.get(team["parent_id"] or "", TeamPlan())
            for q in range(1, current_q + 1):
                window = self._window(team, q, current_q, month_start)
                if window is None or q in plan.skip_quarters:
                    continue
                if team["level"] == "支队" and plan.child_only_quarter == q:
                    continue
                if team["level"] == "分队" and plan.child_only_quarter not in (None, q) and rng.random() < 0.5:
                    continue
                lo, hi = window
                for _ in range(rng.randint(1, 2) if team["level"] == "支队" else 1):
                    drafts.append((lo + timedelta(days=rng.randint(0, (hi - lo).days)), team, team["_kind"]))
        if not self.no_activity and not any(d >= month_start for d, _, _ in drafts):
            branch = next(t for t in teams if t["level"] == "支队" and plans[t["team_id"]] == TeamPlan())
            drafts.append(
                (month_start + timedelta(days=rng.randint(0, (self.cutoff - month_start).days)), branch, branch["_kind"])
            )
        drafts.sort(key=lambda d: (d[0], d[1]["team_id"]))
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, date, str]] = set()
        for n, (day, team, kind) in enumerate(drafts, start=1):
            rows.append(self._activity(n, day, team, kind, seen))
        return rows

    def _window(self, team: dict[str, Any], q: int, current_q: int, month_start: date) -> tuple[date, date] | None:
        lo, hi = quarter_span(self.year, q)
        lo = max(lo, team["founded"] + timedelta(days=1))
        hi = min(hi, self.cutoff)
        if team["dissolved"]:
            hi = min(hi, team["dissolved"] - timedelta(days=1))
        if self.no_activity and q == current_q:
            hi = min(hi, month_start - timedelta(days=1))
        return (lo, hi) if lo <= hi else None

    def _activity(self, n: int, day: date, team: dict[str, Any], kind: str, seen: set) -> dict[str, Any]:
        rng = self.rng
        themes = people.ACTIVITY_THEMES[kind]
        name, form, audience, venue = themes[rng.randrange(len(themes))]
        while (team["team_id"], day, name) in seen:
            name = name + "（第二场）"
        seen.add((team["team_id"], day, name))
        return {
            "activity_id": f"A{self.year}-{n:03d}",
            "date": day,
            "team_ids": team["team_id"],
            "name": name,
            "kind": kind,
            "form": form,
            "audience": audience,
            "venue": venue,
            "place": f"{rng.choice(people.TOWNS)}·{rng.choice(people.COMMUNITIES)}",
            "delivery": rng.choice(["线下", "线下", "线下", "线上线下结合", "线上"]),
            "mode": rng.choice(["订单式服务", "需求式邀课", "自主开展"]),
            "key_event": self._key_event(day),
            "script_no": rng.randint(1, 60) if rng.random() < 0.3 else None,
            "volunteers": rng.randint(3, 25),
            "hours": rng.choice([1, 1.5, 2, 2.5, 3, 4]),
            "beneficiaries": rng.randint(20, 400),
            "photos": None,
            "report_url": None,
            "remark": None,
        }

    def _key_event(self, day: date) -> str | None:
        fitting = [k.event for k in self.settings.key_dates if k.start <= day <= k.end]
        if fitting and self.rng.random() < 0.6:
            return self.rng.choice(fitting)
        return None

    def _experience(self, month_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not month_rows:
            return []
        kinds = [a["kind"] for a in month_rows]
        chosen = self.rng.sample(month_rows, k=min(2, len(month_rows)))
        return [
            {
                "title": self.rng.choice(people.EXPERIENCE_TITLES),
                "text": people.experience_text(self.rng, self.region, kinds),
                "activity_ids": "、".join(a["activity_id"] for a in chosen),
            }
        ]

    def _photos(self, month_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        photos = []
        for activity in month_rows[: self.rng.randint(1, 3)]:
            file = f"{self.unit.code}-{activity['activity_id']}-1.png"
            activity["photos"] = file
            photos.append({"file": file, "activity_id": activity["activity_id"], "caption": f"{activity['name']}活动现场"})
        return photos
