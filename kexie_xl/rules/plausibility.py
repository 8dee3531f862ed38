"""Stage ④: plausible activities — dates in the reporting year and not after the report date, hours in range,
受益人数 outliers, 重点节点 that does not fit the date (the key-date calendar comes from configuration)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..findings import Finding
from ..read.submission import Submission, at
from .context import RuleContext

NO_WINDOW_EVENTS = {"无", "其他", "梦想驿站", "文化科技卫生三下乡"}  # programmes or seasons, not dates


def plausible_activities(sub: Submission, ctx: RuleContext) -> Iterator[Finding]:
    table = sub.tables.get("activities")
    if table is None:
        return
    year = sub.month[0] if sub.month else (sub.report_date or ctx.as_of).year
    limit = sub.report_date or ctx.as_of
    max_hours = ctx.settings.validation.max_hours
    outlier = ctx.settings.validation.beneficiaries_warn
    windows: dict[str, list[tuple[date, date]]] = {}
    for k in ctx.settings.key_dates:
        windows.setdefault(k.event, []).append((k.start, k.end))
    for record in table.records:
        v = record.values
        day = v.get("date")
        if isinstance(day, date) and "date" not in record.bad:
            if day.year != year:
                yield at(record, table, "date", "cell.date-year", value=day.isoformat(), year=year)
            elif day > limit:
                yield at(record, table, "date", "cell.date-future", value=day.isoformat(), report_date=limit.isoformat())
        hours = v.get("hours")
        if isinstance(hours, float | int) and "hours" not in record.bad and not 0 < hours <= max_hours:
            yield at(record, table, "hours", "cell.number-range", value=f"{hours:g}", bounds=f"大于 0、不超过 {max_hours:g}")
        people = v.get("beneficiaries")
        if isinstance(people, int) and "beneficiaries" not in record.bad and people > outlier:
            yield at(record, table, "beneficiaries", "cell.beneficiaries-outlier", value=people)
        event = v.get("key_event")
        if event and event not in NO_WINDOW_EVENTS and isinstance(day, date) and "key_event" not in record.bad:
            spans = [w for w in windows.get(event, []) if w[0].year == day.year]
            if spans and not any(start <= day <= end for start, end in spans):
                yield at(record, table, "key_event", "cell.key-event-mismatch", value=event, date=day.isoformat())
