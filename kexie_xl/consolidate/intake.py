"""Stage ⑤: what was received — workbooks from files, folders and .zip archives, each with a received time.

Every file found is accounted for: a workbook becomes an Input, a photo joins the photo pool, anything else is
listed as not a report. Zip members are extracted safely (no paths outside the work folder, size caps, names
written in GBK by Chinese Windows decoded) into a work folder; the sources themselves are never changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from zoneinfo import ZoneInfo

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".heic", ".webp")
MAX_MEMBER_BYTES = 60 * 1024 * 1024
MAX_ZIP_TOTAL = 2 * 1024 * 1024 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
TOOL_COPY = re.compile(r"（(已校验|季度达标|校验前备份\d*)）$")  # files kexie_xl itself wrote next to a source
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class Input:
    """One workbook received."""

    name: str  # the file name as received
    source: str  # where it came from, for the intake ledger
    path: Path  # a file on disk to read
    received: datetime  # time-zone aware
    sha256: str
    sender: str | None = None


@dataclass
class Intake:
    inputs: list[Input] = field(default_factory=list)
    photos: dict[str, Path] = field(default_factory=dict)  # file name → a copy on disk
    other: list[tuple[str, str, str]] = field(default_factory=list)  # (name, source, reason) of non-reports


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder or upset Windows: no directories, no '..', no reserved names."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    stem = base.split(".")[0].upper()
    if not base or stem in RESERVED:
        base = f"_{base or '未命名'}"
    return base[:180]


class MailReader(Protocol):
    """What the mail adapter provides: a test for message files/mailboxes, and reading one into the intake."""

    def is_mail(self, path: Path) -> bool: ...

    def add_source(self, intake: Intake, path: Path, workdir: Path) -> None: ...


def collect(sources: list[Path], workdir: Path, tz: str, mail: MailReader | None = None) -> Intake:
    """Walk the sources in order; raise FileNotFoundError for a source that does not exist.

    Message files and mailboxes (.eml, .msg, mbox, Maildir), also inside folders, go to `mail` when given.
    """
    zone = ZoneInfo(tz)
    intake = Intake()
    for source in sources:
        if not source.exists():
            raise FileNotFoundError(source)
        if mail is not None and mail.is_mail(source):
            mail.add_source(intake, source, workdir)
        elif source.is_dir():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                if mail is not None and mail.is_mail(path) and "/cur/" not in path.as_posix() \
                        and "/new/" not in path.as_posix():
                    mail.add_source(intake, path, workdir)
                else:
                    _add_file(intake, path, f"文件夹 {source.name}", zone)
        elif source.suffix.lower() == ".zip":
            add_zip(intake, source, workdir, zone)
        else:
            _add_file(intake, source, "文件", zone)
    return intake


def _add_file(intake: Intake, path: Path, source: str, zone: ZoneInfo) -> None:
    name = path.name
    suffix = path.suffix.lower()
    if name.startswith(("~$", ".~")):
        intake.other.append((name, source, "Excel/WPS 的临时锁定文件，已忽略"))
    elif TOOL_COPY.search(path.stem):
        intake.other.append((name, source, "kexie_xl 生成的标注副本或备份，已忽略（以原件为准）"))
    elif suffix in WORKBOOK_SUFFIXES:
        received = datetime.fromtimestamp(path.stat().st_mtime, zone)
        intake.inputs.append(Input(name, source, path, received, sha256_of(path)))
    elif suffix in PHOTO_SUFFIXES:
        intake.photos.setdefault(name, path)
    elif suffix == ".zip":
        intake.other.append((name, source, "压缩包请直接作为来源传入"))
    else:
        intake.other.append((name, source, "不是月报工作簿或图片"))


def _member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:  # UTF-8 flag set
        return info.filename
    try:  # Chinese Windows writes GBK without the flag; zipfile decoded it as cp437
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def add_zip(intake: Intake, archive: Path, workdir: Path, zone: Any, source: str | None = None) -> None:
    """Extract a .zip safely into `workdir` and take in its members."""
    source = source or f"压缩包 {archive.name}"
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
                intake.other.append((archive.name, "文件", "压缩包解压后过大，疑似压缩炸弹，未处理"))
                return
            target = workdir / hashlib.sha256(str(archive).encode()).hexdigest()[:12]
            target.mkdir(parents=True, exist_ok=True)
            for info in infos:
                name = _member_name(info)
                if info.file_size > MAX_MEMBER_BYTES:
                    intake.other.append((name, source, "文件过大，未解压"))
                    continue
                try:
                    data = zf.read(info)
                except (RuntimeError, zipfile.BadZipFile, OSError) as exc:  # an encrypted or damaged member
                    intake.other.append((name, source, f"无法解压（{exc}）"))
                    continue
                clean = safe_name(name)
                out = target / clean
                n = 1
                while out.exists():
                    n += 1
                    out = target / f"{Path(clean).stem}({n}){Path(clean).suffix}"
                out.write_bytes(data)
                stamp = datetime(*info.date_time, tzinfo=zone).timestamp()
                os.utime(out, (stamp, stamp))
                _add_file(intake, out, source, zone)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # RuntimeError: encrypted member
        intake.other.append((archive.name, "文件", f"压缩包无法打开（{exc}）"))
