"""Shared fixtures: the default context, a demo month generated once per session, LibreOffice headless."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from kexie_xl.api import Context, load_context
from kexie_xl.sample import write_demo

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_TEMPLATE = ROOT / "templates" / "科技志愿服务月报模板.xlsx"
DEMO_MONTH, DEMO_SEED = "2026-11", 2026

# No wall-clock deadline for property tests: on a loaded 2-core machine one example can take seconds (issue #19).
# scripts/mutation runs them with fewer examples (each mutant runs the tests again).
settings.register_profile("kexie", deadline=None)
settings.register_profile("mutation", deadline=None, max_examples=20)
settings.load_profile(os.environ.get("KEXIE_HYPOTHESIS_PROFILE", "kexie"))


@pytest.fixture(scope="session", autouse=True)
def _cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """kexie_xl's cache (kexie_xl/validcache.py) in the session's temp folder, never the user's: the commands the
    tests start inherit it. Tests of the cache itself set their own."""
    folder = tmp_path_factory.mktemp("kexie-cache")
    before = os.environ.get("KEXIE_XL_CACHE")
    os.environ["KEXIE_XL_CACHE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("KEXIE_XL_CACHE", None)
    else:
        os.environ["KEXIE_XL_CACHE"] = before


@pytest.fixture(scope="session")
def ctx() -> Context:
    """Embedded defaults: no kexie.toml, the shipped registry."""
    return load_context(ROOT / "tests" / "data" / "empty.toml")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, ctx: Context) -> tuple[Path, dict]:
    """The demo month of the README (2026-11, seed 2026): its folder and its manifest."""
    out = tmp_path_factory.mktemp("demo") / "out"
    write_demo(out, ctx, DEMO_MONTH, DEMO_SEED)
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice headless, the independent Excel-format client. The README's test command installs it."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.fail(
            "LibreOffice (soffice) is not installed: run the README's test command, which installs it "
            "(Debian: apt-get install libreoffice-calc-nogui)"
        )
    return exe


def convert(soffice: str, source: Path, out_dir: Path, fmt: str = "xlsx") -> Path:
    """Open `source` in LibreOffice headless and save it as `fmt`; returns the converted file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    cmd = [
        soffice,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(out_dir),
        str(source),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    target = out_dir / f"{source.stem}.{fmt.split(':')[0]}"
    assert target.is_file(), f"LibreOffice did not convert {source.name}: {done.stdout} {done.stderr}"
    return target
