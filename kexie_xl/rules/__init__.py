"""Stage ④: business rules with their parameters from configuration.

RULES is the tuple the validator (kexie_xl.checks) runs with the sheet checks, in any order: each rule takes the
submission and a RuleContext and yields findings, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..findings import Finding
from ..read.submission import Submission
from .context import RuleContext
from .plausibility import plausible_activities
from .quarterly import quarterly_rule
from .registration import registration_totals
from .report import report_level

Rule = Callable[[Submission, RuleContext], Iterator[Finding]]

RULES: tuple[Rule, ...] = (registration_totals, plausible_activities, report_level, quarterly_rule)

__all__ = ["RULES", "Rule", "RuleContext"]
