"""Benchmark: a ribbon click's Python side — a fresh interpreter, the imports, reading a 2,000-row ledger through
the xlwings API (the stand-in of tests/fake_xlwings.py: no Excel here), validating and preparing the marks.

Run on demand:  python benchmarks/button_bench.py [--rows 2000] [--repeat 5]
Target (#17): ≤ 0.5 s for the click's Python side, interpreter start included. The add-in's RunPython imports
kexie_xl.xl.lean before xlwings (no pandas/numpy for the click): that is the import the total counts.
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
book = Book(__import__("pathlib").Path(sys.argv[1]))
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
    py = sys.executable
    from benchmarks.measure import interleaved, median

    rounds = interleaved(
        {
            "bare": [py, "-c", "pass"],
            "xlwings": [py, "-c", "import xlwings"],
            "lean": [py, "-c", "import kexie_xl.xl.lean, xlwings.utils"],  # the add-in's bootstrap
            "layer": [py, "-c", "import kexie_xl.xl.buttons"],
            "both": [py, "-c", "import xlwings, kexie_xl.xl.buttons"],
            "click": [py, "-c", CLICK, str(path), str(ROOT)],
        },
        args.repeat,
    )
    bare, xlwings, lean, layer, both, click = (
        median(rounds, lambda t, k=k: t[k]) for k in ("bare", "xlwings", "lean", "layer", "both", "click")
    )
    total = median(rounds, lambda t: t["click"] + t["lean"] - t["bare"])
    full = median(rounds, lambda t: t["click"] + t["xlwings"] - t["bare"])
    best = min(found["click"][0] + found["lean"][0] - found["bare"][0] for found in rounds)
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
    print(f"| （对照：点击 + 完整的 import xlwings） | {full:.2f} s |")


if __name__ == "__main__":
    main()
