"""Stage ⑤: the archive owns what was received — every file kept once, by its content (sha256).

    archive/
      .kexie-archive            marker: intake never takes this folder in as a source
      objects/ab/abcd….xlsx     every received file (attachment, zip member, folder file, upload), unchanged
      objects/tmp/              files being written (cleared by the next run that holds the store's lock)
      YYYY-MM/邮件/             every received message, unchanged

The original name is data (in the store's `inputs`), never a path: a name of 300 bytes, two attachments with the
same name, or `../../x.xlsx` cannot fail or overwrite anything. The store refers to content by hash; re-checks,
marked copies, photos and feedback are built from here, so a run gives the same outputs from any working folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..formats import sniff

MARKER = ".kexie-archive"
KNOWN_SUFFIXES = (
    ".xlsx",
    ".xlsm",
    ".xls",
    ".xlsb",
    ".ods",
    ".et",
    ".ett",
    ".csv",
    ".zip",
    ".eml",
    ".msg",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".bmp",
    ".heic",
    ".webp",
    ".doc",
    ".docx",
    ".pdf",
    ".wps",
    ".txt",
)


def suffix_of(name: str) -> str:
    """The lower-case extension of a received name if it is one we know, else '.bin' (never from the name's
    path parts)."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return suffix if suffix in KNOWN_SUFFIXES else ".bin"


class Archive:
    """Content-addressed storage under one root folder (the configured [paths] archive)."""

    def __init__(self, root: Path):
        self.root = Path(os.path.abspath(root))

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @property
    def tmp(self) -> Path:
        return self.objects / "tmp"

    def ensure(self) -> None:
        """Create the folders and the marker (an unwritable place fails here, before any long work)."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        marker = self.root / MARKER
        if not marker.exists():
            marker.write_text("kexie_xl archive: received files by content; do not edit.\n", encoding="utf-8")

    def clear_tmp(self) -> int:
        """Remove what a killed run left half-written (call only while holding the store's lock)."""
        removed = 0
        if self.tmp.is_dir():
            for leftover in self.tmp.iterdir():
                if leftover.is_file():
                    leftover.unlink()
                    removed += 1
        return removed

    # Write

    def put_bytes(self, data: bytes, name: str) -> tuple[str, Path]:
        """Keep `data` (received under `name`); returns its sha256 and the object's path."""
        digest = hashlib.sha256(data).hexdigest()
        found = self.find(digest)
        if found is not None:
            return digest, found
        return digest, self._write(digest, name, lambda fh: fh.write(data))

    def put_file(self, source: Path, name: str | None = None) -> tuple[str, Path]:
        """Keep a copy of a file on disk (the source is only read)."""
        digest = sha256_of(source)
        found = self.find(digest)
        if found is not None:
            return digest, found
        with source.open("rb") as src:
            return digest, self._write(digest, name or source.name, lambda fh: shutil.copyfileobj(src, fh, 1 << 20))

    def _object(self, digest: str, suffix: str) -> Path:
        return self.objects / digest[:2] / f"{digest}{suffix}"

    def _write(self, digest: str, name: str, fill: Callable[[BinaryIO], object]) -> Path:
        """Write to a temporary file, then move it to its object path. A spreadsheet is named by what its content
        is (an .ods that arrived as 「x.xlsx」 is kept as .ods), so the reader always gets the right format."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp / f"{digest}.{os.getpid()}.part"
        try:
            with tmp.open("wb") as fh:
                fill(fh)
            found = sniff(tmp)
            target = self._object(digest, found.suffix if found.readable else suffix_of(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return target
        finally:
            if tmp.exists():
                tmp.unlink()

    # Read

    def find(self, digest: str) -> Path | None:
        """The object holding content `digest`, or None."""
        folder = self.objects / digest[:2]
        try:
            names = sorted(os.listdir(folder))  # not Path.glob: it compiles a pattern per digest (~1 ms a file)
        except OSError:
            return None
        for name in names:
            if name.startswith(f"{digest}.") and not name.endswith(".part"):
                return folder / name
        return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_archive(folder: Path) -> bool:
    """A kexie_xl archive (also one written before the marker existed: YYYY-MM/邮件 or objects/)."""
    if (folder / MARKER).is_file():
        return True
    try:
        return (folder / "objects").is_dir() and any(p.name[:4].isdigit() for p in folder.iterdir() if p.is_dir())
    except OSError:  # a folder we may not list is no archive of ours; the walk reports what it cannot read
        return False
