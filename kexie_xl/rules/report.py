"""Stage ④: the report as a whole — unit known and due that month, activities or 「本月无活动」, template version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from ..findings import Finding, make
from ..read.submission import Submission
from .context import RuleContext


def report_level(sub: Submission, ctx: RuleContext) -> Iterator[Finding]:
    basic = sub.basic
    sheet = sub.template.sheet("basic").name
    unit_name = basic.values.get("unit")
    month = sub.month
    if unit_name and month:
        unit = ctx.registry.lookup(unit_name, date(*month, 1)) or ctx.registry.lookup(unit_name)
        if unit is None or not unit.active_in_month(*month):
            yield _basic(sub, "unit", "report.unit-unknown", sheet, value=unit_name)
    if month:
        activities = sub.rows("activities")
        in_month = [r for r in activities if isinstance(d := r.values.get("date"), date) and (d.year, d.month) == month]
        if not in_month and basic.values.get("no_activity") != "是":
            yield _basic(sub, "no_activity", "report.no-activity", sheet, month=f"{month[0]}-{month[1]:02d}")
    version = sub.template_version
    if version and version not in sub.template.supported_versions:
        yield make(
            "file.template-version",
            sheet=sub.template.sheet("meta").name,
            value=version,
            supported="、".join(sub.template.supported_versions),
        )


def _basic(sub: Submission, key: str, code: str, sheet: str, **fields: Any) -> Finding:
    address = sub.basic.cols.get(key, "")
    letters = address.rstrip("0123456789")
    row = int(address[len(letters) :]) if address else None
    label = sub.template.sheet("basic").column(key).label
    return make(code, sheet=sheet, row=row, column=letters, label=label, **fields)
