"""Atomic writes: an output appears whole or not at all, and nothing existing is overwritten unasked."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kexie_xl.errors import KexieError, OutputError, OutputExists, OutputLocked
from kexie_xl.write import save
from kexie_xl.write.save import atomic_path, remove_stale_temps, save_atomic

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".~kexie-"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_existing_output_is_kept_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(OutputExists, match="--force"):
        save_atomic(target, lambda p: p.write_bytes(b"new"))
    assert target.read_bytes() == b"old"
    save_atomic(target, lambda p: p.write_bytes(b"new"), overwrite=True)
    assert target.read_bytes() == b"new"


def test_a_crash_while_writing_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.xlsx"

    def explode(p: Path) -> None:
        p.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_atomic(target, explode)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_temp_files_carry_the_process_id(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "out.xlsx") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(f".~kexie-{os.getpid()}-") and tmp.suffix == ".xlsx"
        tmp.write_bytes(b"x")
    assert leftovers(tmp_path) == []


# Permissions


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set the process umask for one test; the module reads it once, so forget its cached value too."""
    before = os.umask(0o022)
    os.umask(before)

    def set_umask(value: int) -> None:
        os.umask(value)
        save._umask.cache_clear()

    yield set_umask
    os.umask(before)
    save._umask.cache_clear()


@posix_only
@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_the_users_usual_mode(tmp_path: Path, umask, mask: int) -> None:
    umask(mask)
    target = save_atomic(tmp_path / "全市月报.xlsx", lambda p: p.write_bytes(b"new"))
    assert mode(target) == 0o666 & ~mask


@posix_only
@pytest.mark.parametrize("old_mode", [0o640, 0o664, 0o600])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask, old_mode: int) -> None:
    umask(0o022)
    target = tmp_path / "全市月报.xlsx"
    target.write_bytes(b"old")
    target.chmod(old_mode)
    save_atomic(target, lambda p: p.write_bytes(b"new"), overwrite=True)
    assert target.read_bytes() == b"new" and mode(target) == old_mode


# Errors a user can fix


def test_output_errors_have_their_own_exit_code() -> None:
    assert issubclass(OutputError, KexieError)
    assert KexieError.exit_code == 1 and OutputError.exit_code == 2


@posix_only
def test_an_unwritable_folder_is_a_chinese_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "只读"
    folder.mkdir()
    target = folder / "out.xlsx"
    target.write_bytes(b"old")
    if os.geteuid() == 0:  # root (CI) ignores folder permissions: let creating the temp fail as it would

        def denied(*_args: object, **_kwargs: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(save.tempfile, "mkstemp", denied)
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match=f"无法在「{folder}」中写入文件：没有写入权限。请换一个输出目录"):
            save_atomic(target, lambda p: p.write_bytes(b"new"), overwrite=True)
    finally:
        folder.chmod(0o700)
    assert target.read_bytes() == b"old" and leftovers(folder) == []


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_file_where_the_folder_should_be_is_a_chinese_error(tmp_path: Path, below: str) -> None:
    blocker = tmp_path / "报表"
    blocker.write_bytes(b"old")
    target = blocker / below / "out.xlsx" if below else blocker / "out.xlsx"
    with pytest.raises(OutputError, match=f"「{blocker}」是一个文件，不是文件夹") as caught:
        save_atomic(target, lambda p: p.write_bytes(b"new"))
    assert caught.value.exit_code == 2
    assert blocker.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_a_folder_as_output_is_a_chinese_error(tmp_path: Path) -> None:
    (tmp_path / "out.xlsx").mkdir()
    with pytest.raises(OutputError, match="是一个文件夹，不能作为输出文件"):
        save_atomic(tmp_path / "out.xlsx", lambda p: p.write_bytes(b"new"), overwrite=True)
    assert (tmp_path / "out.xlsx").is_dir() and leftovers(tmp_path) == []


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["mkstemp", "write", "replace"])
def test_a_full_disk_keeps_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    target = tmp_path / "全市月报.xlsx"
    target.write_bytes(b"old")

    def write(p: Path) -> None:
        p.write_bytes(b"half")
        if where == "write":
            _disk_full()

    if where == "mkstemp":
        monkeypatch.setattr(save.tempfile, "mkstemp", _disk_full)
    elif where == "replace":
        monkeypatch.setattr(save.os, "replace", _disk_full)
    with pytest.raises(OutputError, match=r"磁盘空间不足.*原有文件保持不变。请清理磁盘后重试") as caught:
        save_atomic(target, write, overwrite=True)
    assert isinstance(caught.value.__cause__, OSError)
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_a_full_disk_for_a_new_file_says_nothing_about_an_old_one(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="磁盘空间不足") as caught:
        save_atomic(tmp_path / "new.xlsx", lambda p: _disk_full())
    assert "原有文件" not in str(caught.value) and list(tmp_path.iterdir()) == []


def test_a_file_open_in_excel_is_reported_as_locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "全市月报.xlsx"
    target.write_bytes(b"old")

    def locked(*_args: object) -> None:
        raise PermissionError(errno.EACCES, "Access is denied")  # what Windows says while Excel has it open

    monkeypatch.setattr(save.os, "replace", locked)
    with pytest.raises(OutputLocked, match="Excel/WPS 中打开"):
        save_atomic(target, lambda p: p.write_bytes(b"new"), overwrite=True)
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


# Stale temps


def _temp_of_a_dead_process(folder: Path) -> Path:
    """A real temp left behind by a process that died while writing."""
    code = (
        "import os, sys; from kexie_xl.write.save import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n    tmp.write_bytes(b'half'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(folder / "out.xlsx")], check=True)
    (temp,) = (p for p in folder.iterdir() if p.name.startswith(".~kexie-"))
    return temp


@posix_only
def test_stale_temps_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = _temp_of_a_dead_process(tmp_path)
    (tmp_path / "out.xlsx").write_bytes(b"old")
    with atomic_path(tmp_path / "out.xlsx", overwrite=True) as ours:
        ours.write_bytes(b"new")
        assert remove_stale_temps(tmp_path) == 1
        assert not dead.exists() and ours.exists()
    assert (tmp_path / "out.xlsx").read_bytes() == b"new" and leftovers(tmp_path) == []
    assert remove_stale_temps(tmp_path) == 0


def test_without_a_live_pid_check_only_day_old_temps_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = _temp_of_a_dead_process(tmp_path)
    old = tmp_path / ".~kexie-abc123.xlsx"  # no pid: named by an older version, or by another computer
    old.write_bytes(b"x")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    (tmp_path / "keep.xlsx").write_bytes(b"x")

    def no_kill(*_args: object) -> None:
        raise AssertionError("os.kill(pid, 0) sends CTRL_C on Windows")

    monkeypatch.setattr(save, "_POSIX", False)
    monkeypatch.setattr(save.os, "kill", no_kill)
    assert remove_stale_temps(tmp_path) == 1
    assert dead.exists() and not old.exists() and (tmp_path / "keep.xlsx").exists()
    assert remove_stale_temps(tmp_path / "missing") == 0
