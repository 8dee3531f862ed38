"""Sample data: a series of demo months sharing one store — each unit's report carried from month to month, with
cross-month problems planted from the second month on.

Layout: `out/YYYY-MM/` is a full demo month (config, workbooks, photos, mail, manifest.json with its "history"
plants); every month's config points at the one store `out/kexie_store.sqlite`; `out/manifest.json` lists the
months. The first month is exactly the single-month demo of that month and seed.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import parse_month
from ..context import Context
from ..errors import KexieError
from .demo import MANIFEST, DemoResult, Progress, _prepare, write_demo
from .month import UnitMonth

SERIES_SCHEMA = "kexie_xl/demo-series"
MAX_MONTHS = 12


def month_range(text: str) -> list[str]:
    """「2026-09..2026-11」 → ["2026-09", "2026-10", "2026-11"] (a single month is a series of one)."""
    first, _, last = text.partition("..")
    try:
        (y1, m1), (y2, m2) = parse_month(first), parse_month(last or first)
    except ValueError as exc:
        raise KexieError(f"--months：{exc}；写成 2026-09..2026-11") from None
    months = []
    year, month = y1, m1
    while (year, month) <= (y2, m2):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not months or len(months) > MAX_MONTHS:
        raise KexieError(f"--months「{text}」：请给出 1 到 {MAX_MONTHS} 个月，从早到晚，如 2026-09..2026-11。")
    return months


def write_series(out_dir: Path, ctx: Context, months: list[str], seed: int, progress: Progress | None = None) -> list[DemoResult]:
    """Write the months in order; each unit's last report goes on into the next month it reports in."""
    _prepare(out_dir)
    (out_dir / MANIFEST).write_text(json.dumps({"schema": SERIES_SCHEMA, "months": []}), encoding="utf-8")
    carry: dict[str, UnitMonth] = {}
    results = []
    for month in months:
        result = write_demo(out_dir / month, ctx, month, seed, progress, carry=carry, store="../../kexie_store.sqlite")
        carry = {**carry, **result.data}
        results.append(result)
    manifest = {
        "schema": SERIES_SCHEMA,
        "seed": seed,
        "months": [
            {"month": r.month, "path": r.month, "manifest": f"{r.month}/{MANIFEST}", "history": r.history} for r in results
        ],
        "store": "kexie_store.sqlite",
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return results
