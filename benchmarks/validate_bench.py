"""Benchmark: `kexie-xl validate --format json` on 1k / 10k / 50k ledger rows, against a naive baseline.

Run on demand (not part of the tests):  python benchmarks/validate_bench.py [--sizes 1000 10000] [--repeat 5]

Both sides are timed as whole processes (interpreter start and imports included), with peak memory (the process or
its largest worker), in the same run:
- kexie_xl: `python -m kexie_xl validate FILE --format json --as-of 2026-11-30` (with and without the marked copy);
- naive:    openpyxl normal mode (load_workbook, data_only) + one pydantic row model per row, the obvious script.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

NAIVE = r"""
import sys, openpyxl
from kexie_xl.api import load_context
from kexie_xl.schema.rows import row_model
ctx = load_context(sys.argv[2])
model = row_model(ctx.template, "activities")
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
ws = wb["活动台账"]
rows = ws.iter_rows(values_only=True)
header = next(rows)
ok = bad = 0
for row in rows:
    if all(v is None for v in row):
        continue
    try:
        model.model_validate(dict(zip(header, row)))
        ok += 1
    except Exception:
        bad += 1
print(ok, bad)
"""


def make_workbook(path: Path, rows: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from kexie_xl.api import load_context
    from kexie_xl.schema.standard import ACTIVITIES
    from kexie_xl.write.template import write_template
    from tests.builders import CONTACT, clean_filling

    ctx = load_context(EMPTY)
    filling = clean_filling()
    base = filling.rows["activities"][0]
    start = date(2026, 1, 1)
    activities = list(filling.rows["activities"])  # the clean ledger (every quarter, November), then more rows
    for n in range(rows - len(activities)):
        day = start + timedelta(days=n % 300)
        activities.append(
            {**base, "activity_id": f"B2026-{n + 1:05d}", "date": day, "team_ids": "T01", "name": f"科普活动{n + 1}"}
        )
    filling.rows["activities"] = activities  # type: ignore[index]
    sheet = ctx.template.sheet("activities")
    template = ctx.template
    if rows > ACTIVITIES.entry_rows:
        from dataclasses import replace

        sheets = tuple(replace(s, entry_rows=rows) if s.key == "activities" else s for s in template.sheets)
        template = replace(template, sheets=sheets)
    del sheet
    write_template(path, template, CONTACT, filling, overwrite=True)


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median wall seconds, and the peak RSS (MB) of the process or the largest of its workers (measure.py)."""
    from benchmarks.measure import measured

    times, peak = [], 0.0
    for _ in range(repeat):
        wall, mb, _code, _err = measured(cmd)  # validate exits 1 when a ledger has errors: timed all the same
        times.append(wall)
        peak = max(peak, mb)
    return statistics.median(times), peak


EMPTY = str(Path(__file__).resolve().parents[1] / "tests" / "data" / "empty.toml")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    out = Path(tempfile.mkdtemp(prefix="kexie-bench-"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.floor import floor

    print(
        "| 台账行数 | validate（含标注副本） | 仅校验（--no-mark） | 峰值内存 | 行/秒 | 下限（启动+读取） | 对下限 "
        "| 朴素基线 | 朴素峰值内存 | 对朴素 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.sizes:
        path = out / f"ledger-{rows}.xlsx"
        make_workbook(path, rows)
        base = [
            py,
            "-m",
            "kexie_xl",
            "--config",
            EMPTY,
            "validate",
            str(path),
            "--format",
            "json",
            "--as-of",
            "2026-11-30",
            "--out",
            str(out / "marked"),
        ]
        repeat = args.repeat if rows <= 10000 else max(1, args.repeat // 2)
        marked, _ = timed(base, repeat)
        plain, plain_mb = timed([*base, "--no-mark"], repeat)
        naive, naive_mb = timed([py, "-c", NAIVE, str(path), EMPTY], repeat)
        low = floor([path], 0, out / "floor.xlsx", repeat)["floor"]
        print(
            f"| {rows:,} | {marked:.2f} s | {plain:.2f} s | {plain_mb:.0f} MB | {rows / plain:,.0f} | {low:.2f} s | "
            f"{plain / low:.1f}× | {naive:.2f} s | {naive_mb:.0f} MB | {naive / plain:.1f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
