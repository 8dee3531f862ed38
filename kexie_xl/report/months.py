"""The months of a period as the city workbook saw them: one CityMonth per month the store holds.

Every reader across months (frames, the period report, the 简报) goes through here, so a figure means the same
everywhere: activities dated in the month from the unit's adopted report, statuses by the deadline rule, the
quarter status of every counted team.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..consolidate.merge import CityMonth, merge_month
from ..consolidate.store import Store
from ..errors import ConfigError, InputMissing
from ..schema.units import Registry

PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(\d{2})\.\.(\d{4})-(\d{2}))?$")


@dataclass(frozen=True)
class Period:
    """A span of months: a quarter (2026Q4), a year (2026) or an explicit range (2026-09..2026-11)."""

    label: str  # how the report names it: 2026年第四季度 / 2026年 / 2026-09至2026-11
    months: tuple[str, ...]


QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")


def parse_period(text: str) -> Period:
    """2026Q4, 2026 or 2026-09..2026-11 → Period; ConfigError in Chinese otherwise."""
    match = PERIOD.match(text.strip().upper())
    if not match:
        raise ConfigError(f"时间范围「{text}」无法识别：请写 2026Q4（季度）、2026（全年）或 2026-09..2026-11。")
    year = int(match.group(1))
    if match.group(2):
        q = int(match.group(2))
        months = tuple(f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1))
        return Period(f"{year}年{QUARTER_NAMES[q - 1]}", months)
    if match.group(3):
        first, last = (year, int(match.group(3))), (int(match.group(4)), int(match.group(5)))
        if not (1 <= first[1] <= 12 and 1 <= last[1] <= 12) or last < first:
            raise ConfigError(f"时间范围「{text}」无效：起止月份应在 01–12 之间，且结束不早于开始。")
        months_list = []
        y, m = first
        while (y, m) <= last:
            months_list.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return Period(f"{months_list[0]}至{months_list[-1]}", tuple(months_list))
    return Period(f"{year}年", tuple(f"{year}-{m:02d}" for m in range(1, 13)))


def stored_months(store: Store) -> list[str]:
    """The months the store has received anything for, in order."""
    return [r[0] for r in store.db.execute("SELECT DISTINCT month FROM inputs ORDER BY month").fetchall()]


def open_store(path: Path) -> Store:
    if not Path(path).is_file():
        raise InputMissing(f"找不到汇总库「{path}」：请先用 kexie-xl consolidate 或 kexie-xl run 汇总至少一个月。")
    return Store(Path(path))


def city_months(store: Store, settings: Settings, registry: Registry, months: Iterable[str]) -> list[CityMonth]:
    """One CityMonth per requested month that the store holds (months without any input are left out)."""
    held = set(stored_months(store))
    out = []
    for month in months:
        if month not in held:
            continue
        year, mon = (int(p) for p in month.split("-"))
        out.append(merge_month(store, settings, registry.active_in_month(year, mon), month))
    return out
