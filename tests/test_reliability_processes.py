"""Runs as processes: a killed run leaves no worker behind and the rerun equals a clean run; two runs on one
store at once never corrupt it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kexie_xl.consolidate.store import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def many_workbooks(demo, folder: Path, copies: int) -> Path:
    """The demo month's workbooks, each in `copies` versions that differ in content (a zip comment) but not in
    what they say: 41 × copies distinct files, as a month of resubmissions would bring."""
    out, manifest = demo
    folder.mkdir(parents=True, exist_ok=True)
    for f in manifest["files"]:
        source = out / f["path"]
        for n in range(copies):
            target = folder / f"{n:02d}_{source.name}"
            target.write_bytes(source.read_bytes())
            with zipfile.ZipFile(target, "a") as zf:
                zf.comment = f"copy {n}".encode()
    return folder


def consolidate_cmd(config: Path, folder: Path, output: Path, store: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kexie_xl",
        "--config",
        str(config),
        "consolidate",
        str(folder),
        "--month",
        "2026-11",
        "-o",
        str(output),
        "--store",
        str(store),
        "--force",
    ]


def tagged(tag: str) -> list[int]:
    """Pids of the processes whose environment carries `tag` (the run and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if tag.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


@pytest.mark.slow
def test_a_killed_run_leaves_no_process_and_the_rerun_equals_a_clean_run(demo, tmp_path: Path) -> None:
    out, manifest = demo
    config = out / manifest["config"]
    folder = many_workbooks(demo, tmp_path / "in", 5)
    assert len(list(folder.iterdir())) >= 200
    tag = f"KEXIE_KILL_TEST={uuid.uuid4().hex}"
    env = {**os.environ, "KEXIE_KILL_TEST": tag.split("=", 1)[1]}
    run = subprocess.Popen(
        consolidate_cmd(config, folder, tmp_path / "killed.xlsx", tmp_path / "s.db"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(tagged(tag)) < 3 and time.monotonic() < deadline and run.poll() is None:  # the run and 2 workers
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be killed"
    time.sleep(0.5)
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 5
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tagged(tag) == [], "worker processes outlived the killed run"

    rerun = subprocess.run(
        consolidate_cmd(config, folder, tmp_path / "killed.xlsx", tmp_path / "s.db"), capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr
    clean = subprocess.run(
        consolidate_cmd(config, folder, tmp_path / "clean.xlsx", tmp_path / "clean.db"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert clean.returncode == 0, clean.stderr
    assert cells(tmp_path / "killed.xlsx") == cells(tmp_path / "clean.xlsx")
    assert not list(tmp_path.glob(".~kexie-*")) and not list((tmp_path / "archive" / "objects" / "tmp").glob("*"))


@pytest.mark.slow
def test_two_runs_on_one_store_at_once(demo, tmp_path: Path) -> None:
    out, manifest = demo
    config = out / manifest["config"]
    folder = many_workbooks(demo, tmp_path / "in", 1)
    store = tmp_path / "s.db"
    runs = [
        subprocess.Popen(
            consolidate_cmd(config, folder, tmp_path / f"c{n}.xlsx", store),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    results = [(r.wait(timeout=600), r.stderr.read() if r.stderr else "") for r in runs]
    codes = sorted(code for code, _err in results)
    assert codes in ([0, 0], [0, 2]), results
    assert any("另一个 kexie-xl 正在使用汇总库" in err for _code, err in results)  # the second one said so
    assert all("Traceback" not in err for _code, err in results)
    alone = tmp_path / "alone.db"
    subprocess.run(consolidate_cmd(config, folder, tmp_path / "alone.xlsx", alone), check=True, capture_output=True)
    kept, fresh = Store(store), Store(alone)
    try:
        assert [r[1:] for r in kept.db.execute("SELECT * FROM inputs ORDER BY name")] == [
            r[1:] for r in fresh.db.execute("SELECT * FROM inputs ORDER BY name")
        ]
    finally:
        kept.close()
        fresh.close()
