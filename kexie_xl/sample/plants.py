"""Sample data: the problems the demo plants on purpose, each recorded with its finding code and cell.

Activity plants append a modified copy of one of the month's activities (a new row), so the clean rows — and
with them every team's quarterly count — stay as they were. The copy's name is changed, so it is not also a
duplicate of its source unless that is the plant.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..config import Settings
from ..findings import CATALOGUE
from ..schema.types import Template
from .month import UnitMonth, next_activity_number


@dataclass(frozen=True)
class Planted:
    """A finding the checks must report, exactly here."""

    code: str
    severity: str
    sheet: str
    cell: str
    row: int
    column: str
    label: str
    value: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Planter:
    def __init__(self, template: Template, settings: Settings, rng: random.Random):
        self.template, self.settings, self.rng = template, settings, rng

    def apply(self, data: UnitMonth, kind: str) -> Planted:
        return PLANTS[kind](self, data)

    # Helpers

    def _record(self, code: str, sheet_key: str, column_key: str, index: int, value: Any, note: str) -> Planted:
        sheet = self.template.sheet(sheet_key)
        letter, row = sheet.address(column_key, index)
        entry = CATALOGUE[code]
        return Planted(
            code,
            entry.severity.value,
            sheet.name,
            f"{letter}{row}",
            row,
            letter,
            sheet.column(column_key).label,
            "" if value is None else str(value),
            note,
        )

    def _clone(self, data: UnitMonth, rename: bool = True, **changes: Any) -> tuple[int, dict[str, Any]]:
        source = self.rng.choice(_clean(data))
        row = copy.deepcopy(source)
        row["_planted"] = True
        row["activity_id"] = f"A{data.year}-{next_activity_number(data.activities):03d}"
        row["photos"] = None
        row["key_event"] = None  # a moved date must not also become a 重点节点 mismatch
        if rename:  # unique per copy, so two copies of one activity are not duplicates of each other
            row["name"] = f"{row['name']}（补充场次{len(data.activities) + 1}）"
        row.update(changes)
        data.activities.append(row)
        return len(data.activities) - 1, row


def _clean(d: UnitMonth) -> list[dict[str, Any]]:
    return [a for a in d.month_activities if not a.get("_planted")]


def _required(p: Planter, d: UnitMonth) -> Planted:
    i, _ = p._clone(d, name=None)
    return p._record("cell.required", "activities", "name", i, None, "活动名称留空")


def _code_list(p: Planter, d: UnitMonth) -> Planted:
    i, _ = p._clone(d, kind="进校区")
    return p._record("cell.code-list", "activities", "kind", i, "进校区", "活动类别写错")


def _date_invalid(p: Planter, d: UnitMonth) -> Planted:
    value = f"{d.year}.13.5"
    i, _ = p._clone(d, date=value)
    return p._record("cell.date-invalid", "activities", "date", i, value, "不存在的日期（13 月）")


def _date_future(p: Planter, d: UnitMonth) -> Planted:
    day = min(d.report_date + timedelta(days=5), date(d.year, 12, 31))
    i, _ = p._clone(d, date=day)
    return p._record("cell.date-future", "activities", "date", i, day.isoformat(), "活动日期晚于填报日期")


def _negative(p: Planter, d: UnitMonth) -> Planted:
    i, _ = p._clone(d, volunteers=-3)
    return p._record("cell.number-range", "activities", "volunteers", i, -3, "志愿者人数为负数")


def _team_unknown(p: Planter, d: UnitMonth) -> Planted:
    i, _ = p._clone(d, rename=False, team_ids="T99")
    return p._record("ref.team-unknown", "activities", "team_ids", i, "T99", "服务队编号不在名册中")


def _duplicate_id(p: Planter, d: UnitMonth) -> Planted:
    taken = p.rng.choice(_clean(d))["activity_id"]
    i, _ = p._clone(d, activity_id=taken)
    return p._record("row.duplicate-id", "activities", "activity_id", i, taken, "活动编号与前面一行重复")


def _duplicate_activity(p: Planter, d: UnitMonth) -> Planted:
    i, row = p._clone(d, rename=False)
    return p._record(
        "row.duplicate-activity", "activities", "activity_id", i, row["activity_id"], "与另一行服务队、日期、名称相同"
    )


def _outlier(p: Planter, d: UnitMonth) -> Planted:
    i, _ = p._clone(d, beneficiaries=50000)
    return p._record("cell.beneficiaries-outlier", "activities", "beneficiaries", i, 50000, "受益人数多填了位数")


def _key_event(p: Planter, d: UnitMonth) -> Planted:
    i, row = p._clone(d)
    day = row["date"]
    for event in ("全国科技工作者日", "国际志愿者日", "学雷锋纪念日", "全国科普月"):
        windows = [k for k in p.settings.key_dates if k.event == event]
        if windows and not any(k.start <= day <= k.end for k in windows):
            row["key_event"] = event
            return p._record("cell.key-event-mismatch", "activities", "key_event", i, event, "重点节点与日期不符")
    raise RuntimeError("no key event outside the activity's date")  # pragma: no cover - calendar covers this


def _phone(p: Planter, d: UnitMonth) -> Planted:
    d.basic["phone"] = "1380023"
    return p._record("cell.phone", "basic", "phone", 0, "1380023", "电话少了位数")


def _email(p: Planter, d: UnitMonth) -> Planted:
    d.basic["email"] = "kexie@qq"
    return p._record("cell.email", "basic", "email", 0, "kexie@qq", "邮箱缺少域名后缀")


def _registration(p: Planter, d: UnitMonth) -> Planted:
    i = p.rng.randrange(len(d.registration))
    row = d.registration[i]
    row["new"] = row["total"] + 5
    return p._record("reg.new-exceeds-total", "registration", "new", i, row["new"], "本月新增大于累计")


def quarterly_findings(p: Planter, d: UnitMonth) -> list[Planted]:
    """The findings the quarterly rule must raise for this unit's planted 支队 (未达标 / 待开展)."""
    codes = {"未达标": "rule.quarterly-minimum", "待开展": "rule.quarterly-pending"}
    out = []
    for team_id, plan in d.team_plans.items():
        index = next(i for i, t in enumerate(d.teams) if t["team_id"] == team_id)
        for quarter, status in sorted(plan.expected.items()):
            if status in codes:
                out.append(
                    p._record(codes[status], "teams", "team_id", index, team_id, f"{d.year}Q{quarter} {status}：{plan.reason}")
                )
    return out


PLANTS: dict[str, Callable[[Planter, UnitMonth], Planted]] = {
    "required": _required,
    "code_list": _code_list,
    "date_invalid": _date_invalid,
    "date_future": _date_future,
    "negative": _negative,
    "team_unknown": _team_unknown,
    "duplicate_id": _duplicate_id,
    "duplicate_activity": _duplicate_activity,
    "outlier": _outlier,
    "key_event": _key_event,
    "phone": _phone,
    "email": _email,
    "registration": _registration,
}
