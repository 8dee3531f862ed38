"""The import graph: a ribbon click starts a fresh Python, so the entry points must not load heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "openpyxl", "xlwings", "numpy", "python_calamine")


@pytest.mark.parametrize("module", ["kexie_xl", "kexie_xl.api", "kexie_xl.cli", "kexie_xl.findings", "kexie_xl.xl.buttons"])
def test_importing_entry_points_stays_light(module: str) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"{module} imports {done.stdout.strip()} at import time"


def test_import_contracts_hold() -> None:
    """import-linter: layers (cli → api → … → schema → config), xlwings only in the Excel layer, click/rich only in cli."""
    done = subprocess.run([sys.executable, "-m", "importlinter.cli", "--no-cache"], capture_output=True, text=True)
    if "No module named" in done.stderr:
        done = subprocess.run(["lint-imports", "--no-cache"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
