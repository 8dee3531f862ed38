"""Schema ①: the effective-dated unit registry (单位名录) — who reports, under which name, from which addresses.

The shipped registry is `kexie_xl/data/units.toml`; a user file (config `[registry] file`) adds units or
replaces every version of a unit with the same `code`. Lookups take a date: 江北区科协 is a unit in 2025 and
not in 2026-03.
"""

from __future__ import annotations

import calendar
import sys
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cached_property
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..sections import Section, in_chinese, section, setting

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

UNIT_TYPES = ("区县科协", "经开区/新区/高新区", "市级学会", "企事业科协", "其他")
REFORM = "reform"


def _type(value: str) -> str:
    if value not in UNIT_TYPES:
        raise ValueError(f"单位类型「{value}」不在 {'、'.join(UNIT_TYPES)} 之中")
    return value


def _senders(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s.strip().lower() for s in value if s.strip())


@section
class Unit(Section):
    """One version of a reporting unit (a frozen dataclass: the shipped registry is built without pydantic, a
    user's registry file is validated by pydantic against it — see sections.py)."""

    code: str = setting(min_length=1)
    name: str = setting(min_length=1)
    type: str = setting(default="其他", check=_type)
    region: str = ""
    division_code: str | None = None
    aliases: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None
    senders: tuple[str, ...] = setting(default=(), check=_senders)
    note: str = ""

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def active_in_month(self, year: int, month: int) -> bool:
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        return (self.valid_from is None or self.valid_from <= last) and (self.valid_to is None or first <= self.valid_to)

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling that identifies this unit version: name, aliases and derived forms."""
        out = [self.name, *self.aliases]
        if self.region:
            out += [self.region, f"{self.region}科协", f"{self.region}科学技术协会"]
        for alias in self.aliases:
            if alias.endswith("科协"):
                out.append(alias[: -len("科协")])
        return tuple(dict.fromkeys(out))


def name_key(text: str) -> str:
    """How names are compared: NFKC (full-width → half-width), no spaces, no brackets variance."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).replace("(", "（").replace(")", "）")


class Registry:
    """The units, with lookups by name, alias, code or sender address as of a date."""

    def __init__(self, units: Iterable[Unit]):
        self.units: tuple[Unit, ...] = tuple(units)
        self._check()

    # Lookup

    def lookup(self, text: str, on: date | None = None) -> Unit | None:
        """The unit version called `text` (name, alias or code) valid on `on`; the latest version if `on` is None."""
        return self._pick(self._by_name.get(name_key(text), []), on)

    @cached_property
    def _by_name(self) -> dict[str, list[Unit]]:
        """Unit versions by every key `lookup` accepts (code, name, aliases, derived forms), in registry order —
        built once: a check looks units up for every file, and the units never change."""
        out: dict[str, list[Unit]] = {}
        for unit in self.units:
            for key in dict.fromkeys([name_key(unit.code), *(name_key(n) for n in unit.names)]):
                out.setdefault(key, []).append(unit)
        return out

    def by_code(self, code: str, on: date | None = None) -> Unit | None:
        return self._pick([u for u in self.units if u.code == code], on)

    def by_sender(self, address: str, on: date | None = None) -> Unit | None:
        address = address.strip().lower()
        return self._pick([u for u in self.units if address in u.senders], on)

    def active_on(self, day: date) -> list[Unit]:
        return [u for u in self.units if u.active_on(day)]

    def active_in_month(self, year: int, month: int) -> list[Unit]:
        """Units that report for that month; a code changing name mid-month counts once, with its later version."""
        found: dict[str, Unit] = {}
        for unit in self.units:
            if unit.active_in_month(year, month):
                found[unit.code] = unit
        return list(found.values())

    def names_current(self, on: date) -> tuple[str, ...]:
        """Unit names for the template dropdown: every unit active on `on` or later, in registry order."""
        seen: dict[str, None] = {}
        for unit in self.units:
            if unit.valid_to is None or unit.valid_to >= on:
                seen.setdefault(unit.name, None)
        return tuple(seen)

    # Internals

    @staticmethod
    def _pick(matches: list[Unit], on: date | None) -> Unit | None:
        if on is not None:
            matches = [u for u in matches if u.active_on(on)]
        if not matches:
            return None
        return max(matches, key=lambda u: u.valid_from or date.min)

    def _check(self) -> None:
        by_code: dict[str, list[Unit]] = {}
        for unit in self.units:
            by_code.setdefault(unit.code, []).append(unit)
        for code, versions in by_code.items():
            versions.sort(key=lambda u: u.valid_from or date.min)
            for a, b in pairwise(versions):
                if a.valid_to is None or b.valid_from is None or a.valid_to >= b.valid_from:
                    raise ConfigError(f"单位名录中编码「{code}」的两个版本有效期重叠，请检查 valid_from/valid_to。")
        codes = set(by_code)
        for unit in self.units:
            if unit.successor and unit.successor not in codes:
                raise ConfigError(f"单位「{unit.name}」的继承单位编码「{unit.successor}」不在名录中。")


# Loading


def _resolve_dates(raw: dict[str, object], reform_month: str) -> dict[str, object]:
    year, month = (int(p) for p in reform_month.split("-"))
    first = date(year, month, 1)
    out = dict(raw)
    if out.get("valid_from") == REFORM:
        out["valid_from"] = first
    if out.get("valid_to") == REFORM:
        out["valid_to"] = first - timedelta(days=1)
    return out


def _read_units(text: str, source: str, reform_month: str, *, trusted: bool = False) -> list[Unit]:
    """The units of a registry file; `trusted` (the shipped registry) builds them without pydantic."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"单位名录「{source}」格式有误：{exc}") from None
    raws = [_resolve_dates(raw, reform_month) for raw in data.get("unit", [])]
    if trusted:
        return [Unit.trusted(raw) for raw in raws]
    from ..validcache import validated_once

    def validate(items: list[dict[str, Any]]) -> list[Unit]:
        from pydantic import ValidationError

        units = []
        for i, raw in enumerate(items, start=1):
            try:
                units.append(Unit.validated(raw))
            except ValidationError as exc:
                detail = "；".join(f"{'.'.join(map(str, e['loc']))}：{in_chinese(dict(e))}" for e in exc.errors())
                raise ConfigError(f"单位名录「{source}」第 {i} 个单位有误：{detail}") from None
        return units

    return validated_once(Unit, raws, validate)  # pydantic only when this file is new to this code


def builtin_units(reform_month: str, *, trusted: bool = True) -> list[Unit]:
    """The shipped registry (tests/test_units.py: the same units whether trusted or validated by pydantic)."""
    text = resources.files("kexie_xl.data").joinpath("units.toml").read_text(encoding="utf-8")
    return _read_units(text, "内置名录", reform_month, trusted=trusted)


def load_registry(reform_month: str = "2026-02", user_file: Path | None = None) -> Registry:
    """The shipped registry, with the user's file applied on top (same code → replaced, new code → added)."""
    units = builtin_units(reform_month)
    if user_file is not None:
        try:
            text = Path(user_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"读不到单位名录文件「{user_file}」：{exc.strerror}") from None
        extra = _read_units(text, str(user_file), reform_month)
        replaced = {u.code for u in extra}
        units = [u for u in units if u.code not in replaced] + extra
    return Registry(units)
