"""The import graph: a ribbon click starts a fresh Python, so the entry points must not load heavy libraries."""

from __future__ import annotations

import os
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


def test_the_command_line_loads_only_what_the_command_uses() -> None:
    """kexie_xl.api loads each verb on first use: `kexie-xl --help` and every command's start pay for no add-in
    builder, mail, web page or pydantic settings; the verb a command calls brings its own modules."""
    never = ("kexie_xl.addin.build", "kexie_xl.addin.install", "kexie_xl.api.desk", "kexie_xl.mail", "kexie_xl.config")
    code = (
        "import sys, kexie_xl.cli, kexie_xl.api; before = set(sys.modules); kexie_xl.api.load_context; "
        "after = set(sys.modules); "
        f"print(','.join(m for m in {never!r} if m in before)); print('kexie_xl.config' in after - before)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, config_on_use = done.stdout.splitlines()
    assert loaded == "", f"kexie_xl.cli loads {loaded} at start"
    assert config_on_use == "True"


def test_validating_one_file_loads_no_consolidation_mail_or_web_module(tmp_path) -> None:
    """What `kexie-xl validate FILE` loads in its own process (the check runs in a worker): the store only when
    there is one to compare with, the intake's folder rules only for a folder."""
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "templates" / "科技志愿服务月报模板.xlsx"
    code = (  # the command ends the process (cli._end): what it loaded is listed by an atexit handler
        "import atexit, sys\nfrom kexie_xl.cli import main\n"
        f"sys.argv = ['kexie-xl', 'validate', {str(template)!r}, '--no-mark', '--format', 'json']\n"
        "atexit.register(lambda: print('|' + ','.join(sorted(m for m in sys.modules if m.startswith(("
        "'kexie_xl.consolidate', 'kexie_xl.mail', 'kexie_xl.web', 'kexie_xl.addin'))))))\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KEXIE_XL_CONFIG"}  # the built-in defaults (no kexie.toml here)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert '"readable": true' in done.stdout, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("|"), done.stdout.splitlines()[-1]


@pytest.mark.parametrize(("bad", "pydantic"), [(False, False), (True, True)])
def test_a_ribbon_click_on_a_clean_ledger_needs_no_pydantic(tmp_path, bad: bool, pydantic: bool) -> None:
    """「校验本表」 in a fresh Python, as the add-in runs it: the settings, the registry and a table proven clean are
    read without pydantic (~0.15–0.25 s of a click, sections.py); a table that needs its row model loads it."""
    from pathlib import Path

    from kexie_xl.api import load_context

    from .builders import changed, clean_filling, write

    root = Path(__file__).resolve().parents[1]
    filling = changed(clean_filling(), "activities", 2, beneficiaries=-5) if bad else clean_filling()  # below 0
    path = write(tmp_path / "2026-11_万州区科协.xlsx", load_context(None).template, filling)
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r})\n"
        "import kexie_xl.xl.lean\nfrom tests.fake_xlwings import Book\nfrom kexie_xl.xl import buttons\n"
        "from pathlib import Path\nbook = Book(Path(sys.argv[1]))\nbuttons.dispatch('kx_validate', book)\n"
        "print(book.app.alerts[-1]); print('pydantic' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KEXIE_XL_CONFIG"}
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=tmp_path, env=env)
    alert, loaded = done.stdout.splitlines()[-2:]
    assert alert.startswith("校验完成：错误 1 处" if bad else "校验完成：错误 0 处"), done.stdout + done.stderr
    assert loaded == str(pydantic)


def test_every_exported_api_name_loads_on_first_use() -> None:
    """kexie_xl.api lists each name three times (the imports type checkers read, the lazy map, __all__): a name in
    one list and not in another would fail only when an adapter first uses it."""
    import ast
    import inspect as source

    import kexie_xl.api as api

    tree = ast.parse(source.getsource(api))
    checked = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if node.module not in ("__future__", "typing", "importlib")
    }
    assert set(api._WHERE) == set(api.__all__) == checked
    for name in api.__all__:
        assert getattr(api, name) is not None, name
