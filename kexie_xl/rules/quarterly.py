"""Stage ④: the quarterly minimum — 原则上各科技志愿服务支队每季度服务活动不少于 1 次.

It runs over rows (teams and activities), not over a file, so one workbook and the city's store of many months
use the same function. Its parameters come from configuration ([quarterly]); the rule checks them first.

Status of a counted team in a quarter, as of a date:
- 达标: activities in the quarter ≥ minimum;
- 未达标: the quarter is over and the count is below the minimum;
- 待开展: the quarter is still open and the count is below the minimum (with the days left, today included);
- 豁免: the team did not exist yet, was founded in the quarter's last month (grace), or was dissolved in an
  earlier quarter.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ..config import QuarterlyRule
from ..findings import Finding, Severity, make
from ..read.submission import Submission
from ..schema.codelists import TEAM_LEVEL
from ..schema.rows import split_multi
from .context import RuleContext

MET, MISSED, PENDING, EXEMPT = "达标", "未达标", "待开展", "豁免"


@dataclass(frozen=True)
class TeamRow:
    team_id: str
    name: str = ""
    level: str = ""
    parent_id: str | None = None
    founded: date | None = None
    dissolved: date | None = None
    unit: str = ""  # unit code, when rows of many units are judged together
    row: int | None = None  # Excel row in 服务队, for marks


@dataclass(frozen=True)
class ActivityRow:
    day: date
    team_ids: tuple[str, ...]
    unit: str = ""
    count: int = 1  # activities it stands for (the city's year ledger is grouped by month and teams)


@dataclass(frozen=True)
class QuarterStatus:
    unit: str
    team_id: str
    team_name: str
    level: str
    quarter: str  # 2026Q4
    start: date
    end: date
    count: int
    minimum: int
    status: str
    days_left: int | None
    reason: str
    as_of: date
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "as_of"):
            data[key] = data[key].isoformat()
        data.pop("row")
        return data


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = 3 * quarter - 2
    return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])


def parse_quarter(text: str) -> tuple[int, int]:
    """'2026Q4' (also '2026-Q4', '2026q4') → (2026, 4); ValueError with a Chinese message otherwise."""
    cleaned = text.strip().upper().replace("-", "")
    try:
        year_s, quarter_s = cleaned.split("Q")
        year, quarter = int(year_s), int(quarter_s)
    except ValueError:
        raise ValueError(f"季度「{text}」格式不对，应为如 2026Q4") from None
    if not 1 <= quarter <= 4:
        raise ValueError(f"季度「{text}」不存在，应为 Q1 到 Q4")
    return year, quarter


def check_parameters(rule: QuarterlyRule) -> list[str]:
    """Levels in the configuration that are not team levels of the template (the rule ignores them)."""
    return [level for level in rule.levels if level not in TEAM_LEVEL.items]


def quarterly_status(
    teams: Iterable[TeamRow],
    activities: Iterable[ActivityRow],
    rule: QuarterlyRule,
    as_of: date,
    year: int | None = None,
    quarters: Sequence[int] | None = None,
) -> list[QuarterStatus]:
    """Every counted team's status in each quarter of `year` that has started by `as_of`."""
    year = year or as_of.year
    roster: dict[tuple[str, str], TeamRow] = {}
    for team in teams:
        roster.setdefault((team.unit, team.team_id), team)  # a team listed twice counts once
    children: dict[tuple[str, str], list[str]] = {}
    for team in roster.values():
        if team.parent_id:
            for parent in split_multi(team.parent_id):
                children.setdefault((team.unit, parent), []).append(team.team_id)
    happened = [a for a in activities if a.day <= as_of]  # what is dated after as_of has not happened yet
    by_team: dict[tuple[str, str], set[int]] = {}
    for n, activity in enumerate(happened):
        for team_id in activity.team_ids:
            by_team.setdefault((activity.unit, team_id), set()).add(n)
    wanted = quarters or [q for q in (1, 2, 3, 4) if quarter_bounds(year, q)[0] <= as_of]
    out = []
    for key, team in roster.items():
        if team.level not in rule.levels:
            continue
        members = _descendants(key, children) if rule.child_counts_for_parent else [key[1]]
        # An activity of the team and of its 分队 together counts once.
        done = set().union(*(by_team.get((team.unit, m), set()) for m in members))
        days = [(happened[i].day, happened[i].count) for i in done]
        out += [_judge(team, quarter, year, days, rule, as_of) for quarter in wanted]
    return out


def _descendants(key: tuple[str, str], children: dict[tuple[str, str], list[str]]) -> list[str]:
    unit, team_id = key
    out, todo = [team_id], [team_id]
    while todo:
        for child in children.get((unit, todo.pop()), []):
            if child not in out:
                out.append(child)
                todo.append(child)
    return out


def _judge(
    team: TeamRow, quarter: int, year: int, days: list[tuple[date, int]], rule: QuarterlyRule, as_of: date
) -> QuarterStatus:
    start, end = quarter_bounds(year, quarter)
    label = f"{year}Q{quarter}"

    def status(kind: str, count: int = 0, left: int | None = None, reason: str = "") -> QuarterStatus:
        return QuarterStatus(
            team.unit,
            team.team_id,
            team.name,
            team.level,
            label,
            start,
            end,
            count,
            rule.minimum,
            kind,
            left,
            reason,
            as_of,
            team.row,
        )

    if team.founded and team.founded > end:
        return status(EXEMPT, reason=f"{label} 时尚未成立（{team.founded.isoformat()} 成立）")
    if team.dissolved and team.dissolved < start:
        return status(EXEMPT, reason=f"已于 {team.dissolved.isoformat()} 撤销")
    if rule.grace_last_month and team.founded and team.founded >= date(year, 3 * quarter, 1):
        return status(EXEMPT, reason=f"季度最后一个月成立（{team.founded.isoformat()}），当季豁免")
    count = sum(n for d, n in days if start <= d <= end)
    if count >= rule.minimum:
        return status(MET, count)
    if as_of > end:
        return status(MISSED, count, reason=f"{label} 开展 {count} 次，少于 {rule.minimum} 次（该季度已结束）")
    left = (end - as_of).days + 1
    return status(PENDING, count, left, f"本季度已开展 {count} 次，还剩 {left} 天（含今天）")


# The rule in a workbook's validation


def submission_rows(sub: Submission, unit: str = "") -> tuple[list[TeamRow], list[ActivityRow]]:
    """A submission's teams and dated activities as the rule's rows — the activities grouped by day and team ids
    (`ActivityRow.count`, as the city's year ledger is): a ledger names a few teams on a few hundred days, so a
    10,000-row ledger is a few thousand rows for the rule, and every figure is the same (activities with the same
    day and the same teams are counted, or not, together)."""
    teams = []
    for record in sub.rows("teams"):
        v = record.values
        if not v.get("team_id"):
            continue
        dissolved = v.get("dissolved") if v.get("status") == "撤销" else None
        teams.append(
            TeamRow(
                v["team_id"],
                v.get("name") or "",
                v.get("level") or "",
                v.get("parent_id"),
                v.get("founded") if isinstance(v.get("founded"), date) else None,
                dissolved if isinstance(dissolved, date) else None,
                unit,
                record.row,
            )
        )
    named: dict[str, tuple[str, ...]] = {}  # a cell's team ids, split once (a ledger names a few teams, many times)
    activities = []
    for (day, ids), n in Counter((r.values.get("date"), r.values.get("team_ids")) for r in sub.rows("activities")).items():
        if isinstance(day, date) and ids:
            if ids not in named:
                named[ids] = tuple(split_multi(ids))
            activities.append(ActivityRow(day, named[ids], unit, n))
    return teams, activities


def submission_statuses(
    sub: Submission,
    rule: QuarterlyRule,
    as_of: date,
    quarters: Sequence[int] | None = None,
    year: int | None = None,
    *,
    on_report_date: bool = True,
) -> list[QuarterStatus]:
    """The one place a workbook's quarter statuses are built — for its findings, its 季度达标 sheet and
    `kexie-xl quarterly`. Judged as of the report's own date (`on_report_date`), so a report's findings do not
    change with the calendar; `kexie-xl quarterly --as-of` judges exactly as of the date asked."""
    teams, activities = submission_rows(sub, sub.unit_code or "")
    day = judgement_day(sub, as_of) if on_report_date else as_of
    year = year or (sub.month[0] if sub.month else day.year)
    return quarterly_status(teams, activities, rule, day, year, quarters)


def judgement_day(sub: Submission, as_of: date) -> date:
    """A report is judged as of the day it was filled in, so its findings do not change with the calendar."""
    return min(sub.report_date, as_of) if sub.report_date else as_of


def quarterly_rule(sub: Submission, ctx: RuleContext) -> Iterator[Finding]:
    rule = ctx.settings.quarterly
    for level in check_parameters(rule):
        yield make("config.rule-parameter", value=level, setting="quarterly.levels", allowed="、".join(TEAM_LEVEL.items))
    teams_table = sub.tables.get("teams")
    if teams_table is None or sub.month is None:
        return
    severity = Severity.ERROR if rule.severity == "错误" else Severity.WARNING
    column = teams_table.sheet.column("team_id")
    letter = sub.rows("teams")[0].cols.get("team_id", "A") if sub.rows("teams") else "A"
    for s in submission_statuses(sub, rule, ctx.as_of):
        if s.status not in (MISSED, PENDING):
            continue
        code = "rule.quarterly-minimum" if s.status == MISSED else "rule.quarterly-pending"
        yield make(
            code,
            sheet=teams_table.name,
            row=s.row,
            column=letter,
            label=column.label,
            value=s.team_id,
            team=s.team_name,
            level=s.level,
            quarter=s.quarter,
            count=s.count,
            minimum=s.minimum,
            days=s.days_left,
            severity=severity,
        )
