"""Wall time and peak memory of one command, measured from a small launcher process.

A child forked from the benchmark process starts with the benchmark's own peak resident size on its account (Linux
records the pre-exec memory's high-water mark): after the benchmark has generated a 50,000-row workbook in-process,
every command it starts would seem to need as much. The launcher is a fresh, small interpreter; the command is its
child, and wait4 gives the command's own peak (and its workers'), in MB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

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
