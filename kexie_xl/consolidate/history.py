"""Stage ⑤: across months from the store — a unit's report against its previous adopted report (history.*).

The comparison itself is rules/months.py; this module finds the two reports in the store.

Why the findings are computed here, per (unit, month), whenever the month is merged, replied to or validated,
and never stored with the submission: a submission is its content (SHA-256) and its stored findings are what that
content says — the same file is the same submission, with the same findings, whatever else is in the store. What
it says *against last month* depends on which report of last month was adopted, and that can change after the
fact (a late correction of October changes what November is compared with). Computing from the store each time
keeps one answer for the city workbook, the ledger and the feedback, and re-running a month stays idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..findings import Finding, Severity
from ..read.submission import Submission
from ..rules.months import (
    TABLES,
    MonthReport,
    compare_months,
    flagged_rows,
    submission_report,
    submission_where,
    template_where,
)
from ..schema.types import Template
from .store import Store


def severity_of(settings: Settings) -> Severity:
    return Severity.ERROR if settings.cross_month.severity == "错误" else Severity.WARNING


def stored_report(store: Store, sid: int, month: str, template: Template) -> MonthReport:
    """A stored submission's rows as a MonthReport (with the 活动台账 rows its findings pointed at)."""
    rows = {table: store.rows(table, [sid]) for table in TABLES}
    findings = json.loads(store.submission(sid)["findings"])
    flagged = flagged_rows(findings, template.sheet("activities").names)
    return MonthReport(month, rows["registration"], rows["teams"], rows["activities"], flagged)


def previous_report(store: Store, unit: str, month: str, template: Template) -> MonthReport | None:
    """The unit's latest adopted report of an earlier month, or None."""
    found = store.previous_adopted(unit, month)
    return stored_report(store, found[1], found[0], template) if found else None


def month_history(store: Store, settings: Settings, template: Template, unit: str, month: str, sid: int) -> list[Finding]:
    """The history findings of the unit's adopted submission `sid` of `month` (cells as the template lays them
    out: the store keeps no column letters; a marked copy is placed by `submission_history`)."""
    if not settings.cross_month.enabled:
        return []
    previous = previous_report(store, unit, month, template)
    if previous is None:
        return []
    current = stored_report(store, sid, month, template)
    return compare_months(previous, current, template_where(template), severity_of(settings))


def submission_history(store_path: Path, settings: Settings, sub: Submission, unit: str | None) -> list[Finding]:
    """The history findings of a checked workbook against the unit's previous adopted report in the store at
    `store_path` (opened read-only), placed on this workbook's own cells."""
    current = submission_report(sub)
    if not settings.cross_month.enabled or current is None or not unit:
        return []
    store = Store.reader(store_path)
    try:
        previous = previous_report(store, unit, current.month, sub.template)
    finally:
        store.close()
    if previous is None:
        return []
    return compare_months(previous, current, submission_where(sub), severity_of(settings))
