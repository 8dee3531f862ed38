"""Stage ④: what rules may know besides the submission — settings, the registry, the as-of date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..config import Settings
from ..schema.units import Registry


@dataclass(frozen=True)
class RuleContext:
    settings: Settings
    registry: Registry
    as_of: date  # "today" for the check: dates after it are in the future
