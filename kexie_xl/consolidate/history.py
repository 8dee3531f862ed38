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
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

from ..config import Settings
from ..findings import Finding, Severity
from ..read.submission import Submission
from ..rules.months import (
    READS,
    TABLES,
    MonthReport,
    compare_months,
    flagged_rows,
    gaps,
    submission_report,
    submission_where,
    template_where,
)
from ..schema.types import Template
from .store import Store


def severity_of(settings: Settings) -> Severity:
    return Severity.ERROR if settings.cross_month.severity == "错误" else Severity.WARNING


def stored_report(store: Store, sid: int, month: str, template: Template) -> MonthReport:
    """A stored submission's rows as a MonthReport (with the 活动台账 rows its findings pointed at): the columns the
    comparison reads (READS), not every column — a year's reports are read two by two on a new month's run."""
    rows = {table: store.rows(table, [sid], columns=READS[table]) for table in TABLES}
    findings = json.loads(store.submission(sid)["findings"])
    flagged = flagged_rows(findings, template.sheet("activities").names)
    absent, unsure = gaps(findings, template)
    return MonthReport(month, rows["registration"], rows["teams"], rows["activities"], flagged, absent, unsure)


def previous_report(store: Store, unit: str, month: str, template: Template) -> MonthReport | None:
    """The unit's latest adopted report of an earlier month, or None."""
    found = store.previous_adopted(unit, month)
    return stored_report(store, found[1], found[0], template) if found else None


def month_histories(
    store: Store, settings: Settings, template: Template, adopted: dict[str, int], month: str
) -> dict[str, list[dict]]:
    """Per unit that has an earlier adopted report, the history findings (as dicts) of its adopted submission of
    `month` (unit code → submission id), computed once per pair of reports.

    The findings of a pair depend only on the two submissions (content), their months, the [cross_month] settings,
    the template and this code; the store keeps them under exactly that (`history_findings`), so merging a month
    again — every consolidation, every look at the office desk, every month of a year's report — compares only
    the pairs it has not compared before."""
    found, keep = month_histories_to_keep(store, settings, template, adopted, month)
    keep()
    return found


def month_histories_to_keep(
    store: Store, settings: Settings, template: Template, adopted: dict[str, int], month: str
) -> tuple[dict[str, list[dict]], Callable[[], None]]:
    """`month_histories`, and the function that keeps the pairs compared now — for a caller that must not write
    yet (merge_month, while the year ledger is counted on another connection)."""
    if not settings.cross_month.enabled:
        return {}, lambda: None
    fingerprint = _fingerprint(settings, template)
    previous = {unit: found for unit in sorted(adopted) if (found := store.previous_adopted(unit, month)) is not None}
    pairs = {unit: (sid, adopted[unit], f"{before}>{month}") for unit, (before, sid) in previous.items()}
    known = store.kept_histories(list(pairs.values()), fingerprint)
    out, fresh = {}, []
    for unit, key in pairs.items():
        findings = known.get(key)
        if findings is None:
            before, previous_sid = previous[unit]
            earlier = stored_report(store, previous_sid, before, template)
            current = stored_report(store, adopted[unit], month, template)
            found_now = compare_months(earlier, current, template_where(template), severity_of(settings))
            findings = [f.to_dict() for f in found_now]
            fresh.append((*key, findings))
        out[unit] = findings
    return out, lambda: store.keep_histories(fresh, fingerprint)


def _fingerprint(settings: Settings, template: Template) -> str:
    """What a pair's findings depend on besides the two submissions: the settings, the template, the code."""
    import hashlib
    import json

    from ..sections import dump

    rule = json.dumps(dump(settings.cross_month), ensure_ascii=False, separators=(",", ":"))  # as pydantic wrote it
    text = f"{rule}|{template!r}|{_code_version()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _code_version() -> str:
    """This kexie_xl's version and the digest of its sources (any change to the code recomputes kept findings)."""
    import hashlib

    from .._version import __version__

    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        with suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def submission_history(
    store_path: Path, settings: Settings, sub: Submission, unit: str | None, findings: list[Finding]
) -> list[Finding]:
    """The history findings of a checked workbook (with `findings`, its own) against the unit's previous adopted
    report in the store at `store_path` (opened read-only), placed on this workbook's own cells."""
    current = submission_report(sub, findings)
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
