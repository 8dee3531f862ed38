"""Benchmark: `kexie-xl validate --format json` on 1k / 10k / 50k ledger rows, against a naive baseline.

Run on demand (not part of the tests):  python benchmarks/validate_bench.py [--sizes 1000 10000] [--repeat 5]

Both sides are timed as whole processes (interpreter start and imports included), with peak memory (the process or
its largest worker), in the same run — every command once per round, rounds repeated, ratios taken within a round
(benchmarks/measure.py `interleaved`: this VM's speed drifts within a day):
- kexie_xl: `python -m kexie_xl validate FILE --format json --as-of 2026-11-30` (with and without the marked copy),
  as a clerk runs it: no configuration file (the embedded defaults need no pydantic, kexie_xl/sections.py);
- naive:    openpyxl normal mode (load_workbook, data_only) + one pydantic row model per row, the obvious script.
"""

from __future__ import annotations

import argparse
import os
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


EMPTY = str(Path(__file__).resolve().parents[1] / "tests" / "data" / "empty.toml")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    out = Path(tempfile.mkdtemp(prefix="kexie-bench-"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.floor import floor_commands
    from benchmarks.measure import interleaved, median, peak

    os.environ.pop("KEXIE_XL_CONFIG", None)
    os.chdir(out)  # no kexie.toml here: kexie_xl takes the embedded defaults
    print(
        "| 台账行数 | validate（含标注副本） | 仅校验（--no-mark） | 峰值内存 | 行/秒 | 下限（启动+读取） | 对下限 "
        "| 朴素基线 | 朴素峰值内存 | 对朴素 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.sizes:
        path = out / f"ledger-{rows}.xlsx"
        make_workbook(path, rows)
        base = [  # as a clerk runs it: no kexie.toml (the embedded defaults), in a folder without one
            py,
            "-m",
            "kexie_xl",
            "validate",
            str(path),
            "--format",
            "json",
            "--as-of",
            "2026-11-30",
            "--out",
            str(out / "marked"),
        ]
        repeat = args.repeat if rows <= 10000 else max(3, args.repeat // 2)
        commands = {
            "marked": base,
            "plain": [*base, "--no-mark"],
            "naive": [py, "-c", NAIVE, str(path), EMPTY],
            **floor_commands([path], 0, out / "floor.xlsx"),
        }
        rounds = interleaved(commands, repeat)
        low = median(rounds, lambda t: t["start"] + t["read"])
        plain = median(rounds, lambda t: t["plain"])
        naive = median(rounds, lambda t: t["naive"])
        print(
            f"| {rows:,} | {median(rounds, lambda t: t['marked']):.2f} s | {plain:.2f} s | {peak(rounds, 'plain'):.0f} MB | "
            f"{rows / plain:,.0f} | {low:.2f} s | {median(rounds, lambda t: t['plain'] / (t['start'] + t['read'])):.1f}× | "
            f"{naive:.2f} s | {peak(rounds, 'naive'):.0f} MB | {median(rounds, lambda t: t['naive'] / t['plain']):.1f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
