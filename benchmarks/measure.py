"""Wall time and peak memory of one command, measured from a small launcher process.

A child forked from the benchmark process starts with the benchmark's own peak resident size on its account (Linux
records the pre-exec memory's high-water mark): after the benchmark has generated a 50,000-row workbook in-process,
every command it starts would seem to need as much. The launcher is a fresh, small interpreter; the command is its
child, and wait4 gives the command's own peak (and its workers'), in MB.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable

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
    with tempfile.NamedTemporaryFile(suffix=".err") as err:
        done = subprocess.run([sys.executable, "-c", LAUNCH, err.name, *cmd], capture_output=True, text=True, check=True)
        wall, kb, code = done.stdout.split()
        return float(wall), int(kb) / 1024, int(code), open(err.name, encoding="utf-8", errors="replace").read()


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
