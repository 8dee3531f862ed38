"""The floor a benchmark is measured against (#17): what the job cannot go below on this machine with these
libraries — measured in the same run as the benchmark, as whole processes.

- start: the interpreter plus the imports the command needs (`import kexie_xl.cli` and the check modules);
- read: python-calamine reading every cell of every input, the files split across the cores (a process pool);
- write: xlsxwriter writing the same number of output cells (constant-memory mode).

    python benchmarks/floor.py FILE_OR_FOLDER… [--write-cells N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

READ = r"""
import sys, os
from concurrent.futures import ProcessPoolExecutor
from python_calamine import CalamineWorkbook

def cells(path):
    wb = CalamineWorkbook.from_path(path)
    n = 0
    for name in wb.sheet_names:
        n += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    return n

paths = sys.argv[1:]
if len(paths) == 1:
    print(cells(paths[0]))
else:
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        print(sum(pool.map(cells, paths, chunksize=max(1, len(paths) // (4 * (os.cpu_count() or 1))))))
"""

WRITE = r"""
import sys, xlsxwriter
n, out = int(sys.argv[1]), sys.argv[2]
wb = xlsxwriter.Workbook(out, {"constant_memory": True})
ws = wb.add_worksheet("明细")
width = 20
for i in range(n // width + 1):
    ws.write_row(i, 0, [f"单元格{i}-{j}" if j % 3 == 0 else i * j for j in range(width)])
wb.close()
"""

# No pydantic: a check of a clean workbook with the embedded defaults does not import it (kexie_xl/sections.py)
START = "import kexie_xl.cli, kexie_xl.api, kexie_xl.checks, kexie_xl.read.submission, python_calamine"


def _run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, done.stdout.strip()


def floor_commands(inputs: list[Path], write_cells: int, out: Path) -> dict[str, list[str]]:
    """The floor's parts as commands (start, read, and write when there are cells to write), to be timed beside a
    benchmark's own commands (measure.py `interleaved`)."""
    py = sys.executable
    files = [str(p) for i in inputs for p in (sorted(i.glob("*.xlsx")) if i.is_dir() else [i])]
    commands = {"start": [py, "-c", START], "read": [py, "-c", READ, *files]}
    if write_cells:
        commands["write"] = [py, "-c", WRITE, str(write_cells), str(out)]
    return commands


def floor(inputs: list[Path], write_cells: int, out: Path, repeat: int = 3) -> dict[str, float]:
    """Median seconds of each part and their sum (`floor`); `cells` is how many cells the inputs hold."""
    commands = floor_commands(inputs, write_cells, out)
    parts: dict[str, list[float]] = {"start": [], "read": [], "write": []}
    cells = 0
    for _ in range(repeat):
        for part, cmd in commands.items():
            seconds, text = _run(cmd)
            parts[part].append(seconds)
            if part == "read":
                cells = int(text)
    result = {k: sorted(v)[len(v) // 2] if v else 0.0 for k, v in parts.items()}
    result["floor"] = result["start"] + result["read"] + result["write"]
    result["cells"] = cells
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--write-cells", type=int, default=0)
    args = parser.parse_args()
    found = floor(args.inputs, args.write_cells, Path(os.devnull) if not args.write_cells else Path("/tmp/kexie-floor.xlsx"))
    print({k: round(v, 3) for k, v in found.items()})


if __name__ == "__main__":
    main()
