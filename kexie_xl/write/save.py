"""Stage ⑥: write-to-temp-then-rename, so a crash never leaves a half-written file and sources are never overwritten."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import OutputExists, OutputLocked


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename.

    Raises OutputExists if `target` exists and `overwrite` is false, OutputLocked if it cannot be replaced
    (on Windows: the file is open in Excel or WPS).
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputExists(f"文件「{target}」已存在；如需覆盖请加 --force。")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~kexie-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            os.replace(tmp, target)
        except PermissionError:
            raise OutputLocked(f"无法写入「{target}」：文件可能正在 Excel/WPS 中打开，请关闭后重试。") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def save_atomic(target: str | os.PathLike[str], write: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """Call `write(tmp_path)` and move the result onto `target` atomically."""
    with atomic_path(target, overwrite=overwrite) as tmp:
        write(tmp)
    return Path(target)


def normalize_zip(path: str | os.PathLike[str], stamp: tuple[int, int, int, int, int, int]) -> None:
    """Rewrite an .xlsx so every member carries the same timestamp: same content → same bytes (stable in git).

    openpyxl stamps docProps/core.xml with the time of saving; that stamp is set to `stamp` too.
    """
    import re
    import zipfile

    iso = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*stamp).encode()

    path = Path(path)
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    tmp = path.with_name(path.name + ".norm")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", lambda m: m.group(1) + iso, data)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    os.replace(tmp, path)
