"""Wall time and peak memory of one command, measured from a small launcher process.

A child forked from the benchmark process starts with the benchmark's own peak resident size on its account (Linux
records the pre-exec memory's high-water mark): after the benchmark has generated a 50,000-row workbook in-process,
every command it starts would seem to need as much. The launcher is a fresh, small interpreter; the command is its
child, and wait4 gives the command's own peak (and its workers'), in MB.

Bytecode: an installed kexie_xl has its .pyc files (pip compiles a wheel's modules at install), and xlwings'
RunPython starts Python with -B, which reads them but never writes any. This checkout is an editable install, and
PYTHONDONTWRITEBYTECODE may be set where the benchmark runs: every command would then compile kexie_xl's ~60
modules from source (~0.1–0.15 s a process, measured) — a cost no installed copy pays. So the sources are compiled
once, as pip does, before the first command is timed.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_compiled = False

LAUNCH = r"""
import os, subprocess, sys, time
t0 = time.perf_counter()
with open(sys.argv[1], "wb") as err:
    proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err)
    _pid, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - t0, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measured(cmd: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB, exit code, stderr) of `cmd`."""
    _compile_once()
    with tempfile.NamedTemporaryFile(suffix=".err") as err:
        done = subprocess.run([sys.executable, "-c", LAUNCH, err.name, *cmd], capture_output=True, text=True, check=True)
        wall, kb, code = done.stdout.split()
        return float(wall), int(kb) / 1024, int(code), open(err.name, encoding="utf-8", errors="replace").read()


def _compile_once() -> None:
    """The .pyc files of kexie_xl (and of the tests' stand-ins the benchmarks import), as an install writes them."""
    global _compiled
    if not _compiled:
        for folder in ("kexie_xl", "tests", "benchmarks"):
            compileall.compile_dir(ROOT / folder, quiet=1)
        _compiled = True


def interleaved(commands: dict[str, list[str]], repeat: int) -> list[dict[str, tuple[float, float]]]:
    """Every command once per round, in an order rotated each round: (wall seconds, peak MB) by name, per round.
    This VM's speed drifts 2–3× within a day; commands timed in blocks one after the other would each meet a
    different machine, while within a round they meet the same one — so ratios are taken round by round."""
    names = list(commands)
    rounds = []
    for r in range(repeat):
        turn = r % len(names)
        found = {}
        for name in names[turn:] + names[:turn]:
            wall, mb, _code, _err = measured(commands[name])  # validate exits 1 when a ledger has errors: timed alike
            found[name] = (wall, mb)
        rounds.append(found)
    return rounds


def median(rounds: list[dict[str, tuple[float, float]]], value: Callable[[dict[str, float]], float]) -> float:
    """The median over rounds of `value` (of one round's wall seconds by name): ratios taken within each round."""
    return statistics.median(value({name: wall for name, (wall, _mb) in found.items()}) for found in rounds)


def peak(rounds: list[dict[str, tuple[float, float]]], name: str) -> float:
    """The largest peak memory (MB) of `name` over the rounds."""
    return max(found[name][1] for found in rounds)
