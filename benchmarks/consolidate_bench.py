"""Benchmark: `kexie-xl consolidate` on 41 × 500 and 200 × 1,000 ledger rows, against a naive loop.

Run on demand (not part of the tests):  python benchmarks/consolidate_bench.py [--tiers 41x500 200x1000]

Timed as whole processes in the same run, in rounds (each side once per round, the order rotated: the machine's
speed drifts), with peak memory (max RSS of the process), beside the floor
(benchmarks/floor.py: start, calamine reading every input across the cores, xlsxwriter writing as many cells as
the city workbook holds):
- kexie_xl, first run into an empty store (every workbook read, checked, stored; city workbook written);
- kexie_xl, re-run after one unit resubmits (only the new file is read);
- naive: pandas.read_excel(engine="openpyxl") of 活动台账, 服务队 and 注册情况 for each file → concat → to_excel.
Workbooks are generated once per tier under the temp folder (units are synthetic, from a registry file).

`--without-naive` leaves the naive loop out (four minutes a round at 200 × 1,000), so every tier, the largest too,
is measured in `--repeat` rounds against the floor.

`--months N` (N > 1) times November as the N-th month of the year: the store the first run starts from already
holds months 1..N-1, each unit's report of month m being its November ledger cut to the activities dated up to m
(the 活动台账 is cumulative for the year). Those earlier reports are written into the store directly (SQL, from
what the product stored for November), not generated as workbooks: the run then counts each unit's year ledger
over all its reports and compares each report with the previous month's, as the office's November run does.
"""

from __future__ import annotations

import argparse
import shutil
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
    parser.add_argument("--repeat", type=int, default=3, help="rounds for tiers up to 50,000 rows (larger: one round)")
    parser.add_argument("--months", type=int, default=1, help="the run is for the N-th month: months 1..N-1 already stored")
    parser.add_argument(
        "--without-naive",
        action="store_true",
        help="leave the naive loop out (4 minutes a round at 200 x 1,000): every tier gets --repeat rounds against the floor",
    )
    args = parser.parse_args()
    if not 1 <= args.months <= 11:
        parser.error("--months: 1 to 11 (the runs are for November, months before it are stored)")
    py = sys.executable
    root = Path(tempfile.mkdtemp(prefix="kexie-consolidate-"))
    from benchmarks.measure import median, peak

    print("| 规模 | 首次汇总 | 峰值内存 | 下限 | 对下限 | 重报后再汇总 | 重报下限 | 朴素做法 | 朴素峰值内存 | 对朴素 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tier in args.tiers:
        units, rows = (int(x) for x in tier.split("x"))
        folder = root / tier
        folder.mkdir()
        config = make_tier(folder, units, rows)
        repeat = args.repeat if units * rows <= 50_000 or args.without_naive else 1
        rounds = _rounds(folder, config, py, repeat, args.months, naive=not args.without_naive)
        low = median(rounds, lambda t: t["start"] + t["read"] + t["write"])
        first = median(rounds, lambda t: t["first"])
        print(
            f"| {units} × {rows:,} | {first:.2f} s | {peak(rounds, 'first'):.0f} MB | {low:.2f} s | "
            f"{median(rounds, lambda t: t['first'] / (t['start'] + t['read'] + t['write'])):.1f}× | "
            f"{median(rounds, lambda t: t['again']):.2f} s | "
            f"{median(rounds, lambda t: t['start'] + t['read_one'] + t['write']):.2f} s | "
            + (
                f"{median(rounds, lambda t: t['naive']):.2f} s | {peak(rounds, 'naive'):.0f} MB | "
                f"{median(rounds, lambda t: t['naive'] / t['first']):.1f}× |"
                if not args.without_naive
                else "— | — | — |"
            ),
            flush=True,
        )


def _rounds(
    folder: Path, config: Path, py: str, repeat: int, months: int = 1, *, naive: bool = True
) -> list[dict[str, tuple[float, float]]]:
    """Each round times, in an order rotated every round: kexie_xl (a first run into an empty store, then the re-run
    after one unit resubmits), the naive script, and the floor's parts (the read of all inputs and of the one
    resubmitted file) — so a drift of the machine's speed meets every side alike (measure.py `interleaved`)."""
    from benchmarks.floor import floor_commands
    from benchmarks.measure import measured

    inbox, city = folder / "inbox", folder / "city.xlsx"
    base = [py, "-m", "kexie_xl", "--config", str(config), "consolidate", str(inbox), "--month", "2026-11"]
    base += ["-o", str(city), "--force"]
    kept = folder / "resubmitted" / "2026-11_测试单位000科协（更正）.xlsx"  # outside the inbox until its turn
    kept.parent.mkdir()
    shutil.copyfile(inbox / "2026-11_测试单位000科协.xlsx", kept)
    _touch_content(kept)
    _empty_store(folder)
    run(base)
    output_cells = _cells(city)  # the floor writes as many cells as the city workbook holds
    seed = _earlier_months(folder, months) if months > 1 else None
    floor_all = floor_commands([inbox], output_cells, folder / "floor.xlsx")
    floor_one = floor_commands([kept], output_cells, folder / "floor.xlsx")

    def ours() -> dict[str, tuple[float, float]]:
        _empty_store(folder, seed)
        found = {"first": run(base)}
        resubmitted = inbox / kept.name
        shutil.copyfile(kept, resubmitted)
        try:
            found["again"] = run(base)
        finally:
            resubmitted.unlink()
        return found

    def naive_loop() -> dict[str, tuple[float, float]]:
        return {"naive": run([py, "-c", NAIVE, str(inbox), str(folder / "naive.xlsx")])}

    def low() -> dict[str, tuple[float, float]]:
        found = {part: measured(cmd)[:2] for part, cmd in floor_all.items()}
        found["read_one"] = measured(floor_one["read"])[:2]
        return found

    steps = [ours, naive_loop, low] if naive else [ours, low]
    rounds = []
    for r in range(repeat):
        turn = r % len(steps)
        found: dict[str, tuple[float, float]] = {}
        for step in steps[turn:] + steps[:turn]:
            found.update(step())
        rounds.append(found)
    return rounds


def _empty_store(folder: Path, seed: Path | None = None) -> None:
    """Remove what a run leaves beside the config (store, its lock, the archive), so the next run starts afresh —
    from a copy of `seed` when given (the earlier months, `_earlier_months`)."""
    for name in ("store.sqlite", "store.sqlite.lock", "store.sqlite-journal"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "archive", ignore_errors=True)
    if seed is not None:
        shutil.copyfile(seed, folder / "store.sqlite")


def _earlier_months(folder: Path, months: int) -> Path:
    """A store holding months 1..`months`-1 of 2026 and not November (the month the runs are timed for): made from
    the store of a November run, each unit's report of month m being its November rows cut to the activities
    dated up to the end of m. Returns the seed file (`_empty_store` copies it)."""
    import calendar
    import hashlib
    import sqlite3

    from kexie_xl.consolidate.store import ROW_TABLES

    seed = folder / "seed.sqlite"
    shutil.copyfile(folder / "store.sqlite", seed)
    db = sqlite3.connect(seed)
    with db:
        november = db.execute("SELECT submission_id FROM inputs WHERE month = '2026-11' AND status = '采用'").fetchall()
        for m in range(1, months):
            month, last = f"2026-{m:02d}", f"2026-{m:02d}-{calendar.monthrange(2026, m)[1]:02d}"
            for (sid,) in november:
                (original,) = db.execute("SELECT sha256 FROM submissions WHERE id = ?", (sid,)).fetchone()
                sha = hashlib.sha256(f"{month}:{original}".encode()).hexdigest()  # a content of its own
                new = db.execute(
                    "INSERT INTO submissions (sha256, unit, unit_name, month, report_date, template_version, readable, "
                    "errors, warnings, findings) SELECT ?, unit, unit_name, ?, ?, template_version, readable, errors, "
                    "warnings, findings FROM submissions WHERE id = ?",
                    (sha, month, last, sid),
                ).lastrowid
                for table, columns in ROW_TABLES.items():
                    names = ", ".join(f'"{c}"' for c in columns)
                    cut = " AND date <= ?" if table == "activities" else ""
                    db.execute(
                        f'INSERT INTO "{table}" (submission_id, {names}) SELECT ?, {names} FROM "{table}" '
                        f"WHERE submission_id = ?{cut} ORDER BY rowid",
                        (new, sid, *((last,) if cut else ())),
                    )
                name = db.execute("SELECT name FROM inputs WHERE submission_id = ?", (sid,)).fetchone()[0]
                db.execute(
                    "INSERT INTO inputs (month, name, source, received, sha256, submission_id, status, reason) "
                    "VALUES (?, ?, 'folder', ?, ?, ?, '采用', '')",
                    (month, name.replace("2026-11", month), f"{month}-20T10:00:00", sha, new),
                )
        # November is the month to be run: its reports go, and what was kept from counting or comparing them
        november_ids = "SELECT id FROM submissions WHERE month = '2026-11'"
        for table in ROW_TABLES:
            db.execute(f'DELETE FROM "{table}" WHERE submission_id IN ({november_ids})')
        db.execute("DELETE FROM history_findings")
        db.execute("DELETE FROM ledger_counts")
        db.execute("DELETE FROM inputs WHERE month = '2026-11'")
        db.execute("DELETE FROM submissions WHERE month = '2026-11'")
    db.close()
    return seed


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
