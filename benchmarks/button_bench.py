"""Benchmark: a ribbon click's Python side — a fresh interpreter, the imports, reading a 2,000-row ledger through
the xlwings API (the stand-in of tests/fake_xlwings.py: no Excel here), validating and preparing the marks.

Run on demand:  python benchmarks/button_bench.py [--rows 2000] [--repeat 5]
Target (#17): ≤ 0.5 s for the click's Python side, interpreter start included. The add-in's RunPython imports
kexie_xl.xl.lean before xlwings (no pandas/numpy for the click): that is the import the total counts.

The stand-in loads the workbook from its file when it is made (calamine, every sheet, ~0.1 s): in Excel the book is
already open and that work is Excel's, not the click's Python side. The click times the stand-in's making in its own
process and the table gives the total both with it and without it; reading the values through the stand-in
(`Range.value`, what a COM read does) stays in the click.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLICK = r"""
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[2])
import kexie_xl.xl.lean               # as the add-in's RunPython does first
from tests.fake_xlwings import Book   # stands in for xlwings.Book.caller(): the cost of a real COM read is not here
from kexie_xl.xl import buttons
t1 = time.perf_counter()
book = Book(__import__("pathlib").Path(sys.argv[1]))  # Excel's open book: loaded by the stand-in, timed apart
with open(sys.argv[3], "a") as out:
    out.write(f"{time.perf_counter() - t1}\n")
buttons.dispatch("kx_validate", book)
assert book.app.alerts and book.app.alerts[-1].startswith("校验完成"), book.app.alerts
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from benchmarks.validate_bench import make_workbook

    path = Path(tempfile.mkdtemp(prefix="kexie-button-")) / "ledger.xlsx"
    make_workbook(path, args.rows)
    stand_in = path.with_name("stand-in.txt")  # each click appends how long making the stand-in took
    py = sys.executable
    from benchmarks.measure import interleaved, median

    rounds = interleaved(
        {
            "bare": [py, "-c", "pass"],
            "xlwings": [py, "-c", "import xlwings"],
            "lean": [py, "-c", "import kexie_xl.xl.lean, xlwings.utils"],  # the add-in's bootstrap
            "layer": [py, "-c", "import kexie_xl.xl.buttons"],
            "both": [py, "-c", "import xlwings, kexie_xl.xl.buttons"],
            "click": [py, "-c", CLICK, str(path), str(ROOT), str(stand_in)],
        },
        args.repeat,
    )
    loads = [float(line) for line in stand_in.read_text().split()]  # one click a round, in the rounds' order
    if len(loads) != len(rounds):
        raise SystemExit(f"expected {len(rounds)} stand-in times, found {len(loads)}")
    for found, load in zip(rounds, loads, strict=True):
        found["stand_in"] = (load, 0.0)
    bare, xlwings, lean, layer, both, click = (
        median(rounds, lambda t, k=k: t[k]) for k in ("bare", "xlwings", "lean", "layer", "both", "click")
    )
    total = median(rounds, lambda t: t["click"] + t["lean"] - t["bare"])
    full = median(rounds, lambda t: t["click"] + t["xlwings"] - t["bare"])
    best = min(found["click"][0] + found["lean"][0] - found["bare"][0] for found in rounds)
    load = median(rounds, lambda t: t["stand_in"])
    python_side = median(rounds, lambda t: t["click"] - t["stand_in"] + t["lean"] - t["bare"])
    python_best = min(f["click"][0] - f["stand_in"][0] + f["lean"][0] - f["bare"][0] for f in rounds)
    print("| 测量 | 中位数 |")
    print("|---|---:|")
    print(f"| 空 Python 进程 | {bare:.2f} s |")
    print(f"| import xlwings（本环境装有 pandas，xlwings 会导入它） | {xlwings:.2f} s |")
    print(f"| import kexie_xl.xl.buttons | {layer:.2f} s |")
    print(f"| Excel 层超出 xlwings 的导入成本 | {max(both - xlwings, 0):.2f} s |")
    print(f"| 一次「校验本表」（{args.rows:,} 行台账，读取、校验、准备标注，不含 xlwings 导入） | {click:.2f} s |")
    print(f"| import xlwings，加载项的精简启动（先 import kexie_xl.xl.lean：不导入 pandas/numpy） | {lean:.2f} s |")
    print(f"| 合计估计（点击 + 精简启动的 import xlwings） | {total:.2f} s |")
    print(f"| 　其中最快的一轮（机器没有被别的负载拖慢时） | {best:.2f} s |")
    print(f"| 替身从文件载入工作簿（Excel 里工作簿已打开，这是 Excel 的事，不是点击的 Python 部分） | {load:.2f} s |")
    print(f"| **点击的 Python 部分**（合计减去替身载入：启动、导入、读值、校验、准备标注） | {python_side:.2f} s |")
    print(f"| 　其中最快的一轮 | {python_best:.2f} s |")
    print(f"| （对照：点击 + 完整的 import xlwings） | {full:.2f} s |")


if __name__ == "__main__":
    main()
