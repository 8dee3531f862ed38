"""Stage ⑥: write-to-temp-then-rename, so a crash never leaves a half-written file and sources are never overwritten."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import re
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import OutputError, OutputExists, OutputLocked

TEMP_PREFIX = ".~kexie-"
"""Every temp file starts with this, then `<pid>-<host tag>-`, so a later run can tell whose it was."""

_TEMP_NAME = re.compile(r"\.~kexie-(\d+)-([0-9a-f]{6})-")
_STALE_AGE = 24 * 3600  # seconds: no write takes a day, so an older temp is left over whoever wrote it
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}  # Windows maps ERROR_DISK_FULL to ENOSPC
_POSIX = os.name != "nt"


# Write


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename.

    A new file gets the user's usual permissions (0o666 less the umask); a replaced file keeps its mode (and,
    where allowed, its group), so colleagues on a shared folder can still open it.

    Raises:
        OutputExists: `target` exists and `overwrite` is false.
        OutputLocked: `target` cannot be replaced (on Windows: the file is open in Excel or WPS).
        OutputError: the folder cannot be written (no permission, a file in the way), `target` is a folder,
            or the disk is full. In every case `target` is unchanged and no temp file is left behind.
    """
    target = Path(target)
    if os.path.isdir(target):
        raise OutputError(f"「{target}」是一个文件夹，不能作为输出文件。请在路径末尾写上文件名，或换一个输出路径（-o）。")
    if os.path.exists(target) and not overwrite:
        raise OutputExists(f"文件「{target}」已存在；如需覆盖请加 --force。")
    tmp = _make_temp(target)
    try:
        try:
            yield tmp
        except OSError as exc:
            if exc.errno in _DISK_FULL:
                raise _output_error(exc, target) from exc
            raise
        _match_mode(tmp, target)
        try:
            os.replace(tmp, target)
        except PermissionError:
            raise OutputLocked(f"无法写入「{target}」：文件可能正在 Excel/WPS 中打开，请关闭后重试。") from None
        except OSError as exc:
            raise _output_error(exc, target) from exc
    finally:
        with contextlib.suppress(OSError):  # never hide the real error; remove_stale_temps sweeps what stays
            tmp.unlink(missing_ok=True)


def save_atomic(target: str | os.PathLike[str], write: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """Call `write(tmp_path)` and move the result onto `target` atomically (errors as in `atomic_path`)."""
    with atomic_path(target, overwrite=overwrite) as tmp:
        write(tmp)
    return Path(target)


def _make_temp(target: Path) -> Path:
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{_host_tag()}-", suffix=target.suffix, dir=folder)
    except OSError as exc:
        raise _output_error(exc, target) from exc
    os.close(fd)
    return Path(name)


def _match_mode(tmp: Path, target: Path) -> None:
    """Give `tmp` the mode `target` has (or a new file would get); mkstemp made it 0600."""
    if not _POSIX:  # Windows: chmod only toggles read-only, and files take the folder's ACL anyway
        return
    try:
        old = os.stat(target)
    except OSError:
        mode = 0o666 & ~_umask()
    else:
        mode = stat.S_IMODE(old.st_mode)
        with contextlib.suppress(OSError):  # allowed only for a group the user is in
            os.chown(tmp, -1, old.st_gid)
    with contextlib.suppress(OSError):  # some shared mounts (CIFS, FAT) refuse chmod and fix modes themselves
        os.chmod(tmp, mode)


@functools.cache
def _umask() -> int:
    """The process umask, read once: it can only be read by setting it, so set a strict one briefly and restore."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _output_error(exc: OSError, target: Path) -> OutputError:
    """One Chinese sentence for an OSError met while writing `target`: what happened and what to do."""
    folder = target.parent
    if exc.errno in _DISK_FULL:
        kept = "；原有文件保持不变" if os.path.exists(target) else ""
        return OutputError(f"磁盘空间不足（或超出配额），「{target}」未写入{kept}。请清理磁盘后重试。")
    blocker = _file_in_the_way(folder)
    if blocker is not None:
        return OutputError(f"无法在「{folder}」中写入文件：「{blocker}」是一个文件，不是文件夹。请换一个输出目录（-o）。")
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return OutputError(f"无法在「{folder}」中写入文件：没有写入权限。请换一个输出目录（-o）或请管理员开放权限。")
    return OutputError(f"无法写入「{target}」：{exc.strerror or exc}。原有文件保持不变；请换一个输出目录（-o）后重试。")


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing ancestor of `folder` (or `folder` itself) if it is not a folder."""
    for path in (folder, *folder.parents):
        if os.path.lexists(path):
            return None if os.path.isdir(path) else path
    return None


# Clean up


def remove_stale_temps(folder: Path) -> int:
    """Delete the `.~kexie-*` temp files in `folder` whose writer is gone, and return how many were removed.

    A temp is stale when a process on this computer wrote it and no longer runs (POSIX), or when it is older
    than a day (Windows, where probing a pid with os.kill would stop it; temps from other computers on a shared
    folder; names without a pid). Files that cannot be removed are skipped.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    removed, now = 0, time.time()
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or not _is_stale(entry.name, info.st_mtime, now):
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed += 1
    return removed


def _is_stale(name: str, mtime: float, now: float) -> bool:
    if now - mtime > _STALE_AGE:
        return True
    match = _TEMP_NAME.match(name)
    if not _POSIX or match is None or match[2] != _host_tag():
        return False
    return not _pid_alive(int(match[1]))


def _pid_alive(pid: int) -> bool:
    """POSIX only: signal 0 checks that a process exists without touching it."""
    if pid <= 0 or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


@functools.cache
def _host_tag() -> str:
    """Six hex digits naming this computer, so a pid is only judged on the computer that owns it."""
    return hashlib.blake2s(socket.gethostname().encode(), digest_size=3).hexdigest()


# Convert


def normalize_zip(path: str | os.PathLike[str], stamp: tuple[int, int, int, int, int, int]) -> None:
    """Rewrite an .xlsx so every member carries the same timestamp: same content → same bytes (stable in git).

    openpyxl stamps docProps/core.xml with the time of saving; that stamp is set to `stamp` too.
    """
    import zipfile

    iso = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*stamp).encode()

    path = Path(path)
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    tmp = path.with_name(path.name + ".norm")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info, data in members:
                if info.filename == "docProps/core.xml":
                    data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", lambda m: m.group(1) + iso, data)
                fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = info.external_attr
                dst.writestr(fixed, data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):  # e.g. the disk filled up half-way
            tmp.unlink(missing_ok=True)
