"""Stage ④: 注册情况 — 本月新增 ≤ 累计 (negatives are caught by the row model as out of range)."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from ..read.submission import Submission, at
from .context import RuleContext


def registration_totals(sub: Submission, ctx: RuleContext) -> Iterator[Finding]:
    table = sub.tables.get("registration")
    if table is None:
        return
    for record in table.records:
        total, new = record.values.get("total"), record.values.get("new")
        if record.bad & {"total", "new"}:
            continue  # a cell already reported wrong is not compared again
        if isinstance(total, int) and isinstance(new, int) and new > total:
            yield at(record, table, "new", "reg.new-exceeds-total", value=new, total=total)
