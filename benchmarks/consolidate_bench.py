"""Benchmark: `kexie-xl consolidate` on 41 × 500 and 200 × 1,000 ledger rows, against a naive loop.

Run on demand (not part of the tests):  python benchmarks/consolidate_bench.py [--tiers 41x500 200x1000]

Timed as whole processes in the same run, with peak memory (max RSS of the process), beside the floor
(benchmarks/floor.py: start, calamine reading every input across the cores, xlsxwriter writing as many cells as
the city workbook holds):
- kexie_xl, first run into an empty store (every workbook read, checked, stored; city workbook written);
- kexie_xl, re-run after one unit resubmits (only the new file is read);
- naive: pandas.read_excel(engine="openpyxl") of 活动台账, 服务队 and 注册情况 for each file → concat → to_excel.
Workbooks are generated once per tier under the temp folder (units are synthetic, from a registry file).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAIVE = r"""
import sys, glob, pandas as pd
frames = {"活动台账": [], "服务队": [], "注册情况": []}
for path in sorted(glob.glob(sys.argv[1] + "/*.xlsx")):
    sheets = pd.read_excel(path, sheet_name=list(frames), engine="openpyxl")
    for name, frame in sheets.items():
        frame["来源"] = path
        frames[name].append(frame)
with pd.ExcelWriter(sys.argv[2], engine="openpyxl") as writer:
    for name, parts in frames.items():
        pd.concat(parts).to_excel(writer, sheet_name=name, index=False)
"""


def make_tier(folder: Path, units: int, rows: int) -> Path:
    """`units` workbooks of `rows` ledger rows each, plus a registry and a config naming them."""
    from kexie_xl.api import load_context
    from kexie_xl.write.template import write_template
    from tests.builders import CONTACT, clean_filling

    config = folder / "kexie.toml"
    lines = []
    for n in range(units):
        lines += ["[[unit]]", f'code = "B{n:03d}"', f'name = "测试单位{n:03d}科协"', 'type = "其他"', ""]
    (folder / "units.toml").write_text("\n".join(lines), encoding="utf-8")
    config.write_text('[registry]\nfile = "units.toml"\n[paths]\nstore = "store.sqlite"\n', encoding="utf-8")
    ctx = load_context(config)
    template = ctx.template
    if rows > template.sheet("activities").entry_rows:
        sheets = tuple(replace(s, entry_rows=rows) if s.key == "activities" else s for s in template.sheets)
        template = replace(template, sheets=sheets)
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    for n in range(units):
        filling = clean_filling()
        base = filling.rows["activities"][0]
        extra = [
            {
                **base,
                "activity_id": f"B{i:05d}",
                "date": date(2026, 1, 1) + timedelta(days=i % 325),
                "team_ids": "T01",
                "name": f"科普活动{i}",
            }
            for i in range(rows - 8)
        ]
        filling.rows["activities"] = [*filling.rows["activities"], *extra]  # type: ignore[index]
        filling.basic["unit"] = f"测试单位{n:03d}科协"  # type: ignore[index]
        filling.meta = {}  # type: ignore[misc]
        write_template(inbox / f"2026-11_测试单位{n:03d}科协.xlsx", template, CONTACT, filling, overwrite=True)
    return config


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process and its workers (benchmarks/measure.py)."""
    from benchmarks.measure import measured

    wall, peak, code, err = measured(cmd)
    if code != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiers", nargs="+", default=["41x500", "200x1000"])
    args = parser.parse_args()
    py = sys.executable
    root = Path(tempfile.mkdtemp(prefix="kexie-consolidate-"))
    from benchmarks.floor import floor

    print("| 规模 | 首次汇总 | 峰值内存 | 下限 | 对下限 | 重报后再汇总 | 重报下限 | 朴素做法 | 朴素峰值内存 | 对朴素 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tier in args.tiers:
        units, rows = (int(x) for x in tier.split("x"))
        folder = root / tier
        folder.mkdir()
        config = make_tier(folder, units, rows)
        base = [
            py,
            "-m",
            "kexie_xl",
            "--config",
            str(config),
            "consolidate",
            str(folder / "inbox"),
            "--month",
            "2026-11",
            "-o",
            str(folder / "city.xlsx"),
            "--force",
        ]
        first, first_mb = run(base)
        resubmitted = folder / "inbox" / "2026-11_测试单位000科协（更正）.xlsx"
        resubmitted.write_bytes((folder / "inbox" / "2026-11_测试单位000科协.xlsx").read_bytes() + b"")
        os.utime(resubmitted)
        _touch_content(resubmitted)
        again, _ = run(base)
        naive, naive_mb = run([py, "-c", NAIVE, str(folder / "inbox"), str(folder / "naive.xlsx")])
        output_cells = _cells(folder / "city.xlsx")  # the floor writes as many cells as the city workbook holds
        low = floor([folder / "inbox"], output_cells, folder / "floor.xlsx")
        one = floor([resubmitted], output_cells, folder / "floor.xlsx")
        print(
            f"| {units} × {rows:,} | {first:.2f} s | {first_mb:.0f} MB | {low['floor']:.2f} s | {first / low['floor']:.1f}× | "
            f"{again:.2f} s | {one['floor']:.2f} s | {naive:.2f} s | {naive_mb:.0f} MB | {naive / first:.1f}× |",
            flush=True,
        )


def _cells(path: Path) -> int:
    """The non-empty cells of a workbook (python-calamine)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return sum(1 for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python() for v in row if v != "")


def _touch_content(path: Path) -> None:
    """Make the resubmission different content (a new sha256) without changing what it says."""
    import zipfile

    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("docProps/custom-resubmitted.txt", "更正版")


if __name__ == "__main__":
    main()
