"""Reading across months: the period report workbook and the monthly 工作简报 draft (kexie_xl.report)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context, load_context

if TYPE_CHECKING:
    from ..consolidate.merge import CityMonth


def period_report(
    period: str,
    config: str | Path | None = None,
    *,
    store_path: Path | None = None,
    output: Path | None = None,
    force: bool = False,
) -> str:
    """Write the report of a quarter (2026Q4), a year (2026) or a range (2026-09..2026-11); returns a Chinese summary."""
    from ..consolidate.store import store_lock
    from ..errors import InputMissing
    from ..report.months import city_months, open_store, parse_period
    from ..report.period import report_name, write_report

    ctx = load_context(config)
    chosen = parse_period(period)
    path = Path(os.path.abspath(store_path or ctx.settings.paths.store))
    target = Path(os.path.abspath(output or report_name(chosen)))
    with store_lock(path):  # a store being migrated or written by a run is read after it
        store = open_store(path)
        try:
            cities = city_months(store, ctx.settings, ctx.registry, chosen.months)
        finally:
            store.close()
    if not cities:
        raise InputMissing(f"汇总库「{path}」中没有 {chosen.label} 的数据（{chosen.months[0]}–{chosen.months[-1]}）。")
    write_report(target, chosen, cities, ctx.settings, overwrite=force)
    held = "、".join(c.month for c in cities)
    return f"已生成 {chosen.label} 统计报告：{target}\n  包含月份：{held}"


def write_brief(ctx: Context, city: CityMonth, output: Path) -> Path:
    """The month's 工作简报 draft (.docx) beside the city workbook `output`."""
    from ..report.brief import brief_name
    from ..report.brief import write_brief as _write

    return _write(output.with_name(brief_name(city.month)), city, ctx)
