"""The import graph: a ribbon click starts a fresh Python, so the entry points must not load heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "openpyxl", "xlwings", "numpy", "python_calamine")


LIGHT = ["kexie_xl", "kexie_xl.api", "kexie_xl.cli", "kexie_xl.findings"]
LIGHT += [f"kexie_xl.xl.{m}" for m in ("buttons", "live", "ui")]  # every module a ribbon click loads
LIGHT += [f"kexie_xl.api.{m}" for m in ("checking", "consolidation", "month", "demo", "workers")]


@pytest.mark.parametrize("module", LIGHT)
def test_importing_entry_points_stays_light(module: str) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"{module} imports {done.stdout.strip()} at import time"


def test_import_contracts_hold() -> None:
    """import-linter: layers (cli → api → … → schema → config), adapters only through kexie_xl.api, xlwings only in
    the Excel layer, click/rich only in cli."""
    done = subprocess.run([sys.executable, "-m", "importlinter.cli", "--no-cache"], capture_output=True, text=True)
    if "No module named" in done.stderr:
        done = subprocess.run(["lint-imports", "--no-cache"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
