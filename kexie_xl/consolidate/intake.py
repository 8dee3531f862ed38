"""Stage ⑤: what was received — workbooks from files, folders and .zip archives, each kept in the archive.

Every file found is accounted for: it is kept once in the archive by its content, then a workbook becomes an
Input, a photo joins the photo pool, anything else is listed with the reason. Zip members are read one by one
(size caps, names written in GBK by Chinese Windows decoded); nothing is ever extracted to a path taken from a
name. The sources themselves are never changed. What kexie_xl wrote itself (its archive, stores, city
workbooks, feedback drafts, marked copies) is skipped and listed, so a run never takes in its own outputs.
"""

from __future__ import annotations

import errno
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Protocol
from zoneinfo import ZoneInfo

from ..formats import CONTAINERS, mismatch, refusal, sniff
from ..schema.city import BY_FILE_TIME, BY_GIVEN, BY_UPLOAD, BY_ZIP_TIME, EVIDENCE
from .archive import Archive, is_archive, sha256_of

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")  # checked like .xlsx
SPREADSHEET_SUFFIXES = (*WORKBOOK_SUFFIXES, ".et", ".ett", ".numbers", ".csv")  # taken in: the check says why not
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".heic", ".webp")
MAX_MEMBER_BYTES = 60 * 1024 * 1024
MAX_ZIP_TOTAL = 2 * 1024 * 1024 * 1024
MAX_NAME_BYTES = 200  # a file name written to disk: ext4/NTFS allow 255 bytes/characters; room for "(2)"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
TOOL_COPY = re.compile(r"（(已校验|季度达标|校验前备份\d*)）$")  # files kexie_xl itself wrote next to a source
OWN_FOLDER = re.compile(r"^重庆市科技志愿服务月报_\d{4}-\d{2}_图片$")  # the city workbook's photos, copied beside it
OWN_BRIEF = re.compile(r"^重庆市科技志愿服务工作简报_\d{4}-\d{2}（草稿）\.docx$")
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
SQLITE_MAGIC = b"SQLite format 3\x00"
ARCHIVE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}  # the archive cannot take files: the run stops, saying why
UPLOAD_SIDECAR = ".upload.json"  # beside a workbook sent through a unit's upload link (api/uploads.py)
UPLOAD_SENDER = "上传链接:"  # an upload's sender: this and the link's unit code
QUIET = {".server-times.json", ".kexie-archive"}  # kexie_xl's own bookkeeping beside archived mail: not listed


@dataclass(frozen=True)
class Receipt:
    """When something was received, and what says so (schema.city BY_…; only EVIDENCE decides 按时/逾期)."""

    at: datetime  # time-zone aware
    by: str

    @property
    def evidence(self) -> bool:
        return self.by in EVIDENCE


@dataclass(frozen=True)
class Input:
    """One workbook received, kept in the archive."""

    name: str  # the file name as received (data, never a path)
    source: str  # where it came from, for the intake ledger
    path: Path  # the archived object to read
    receipt: Receipt
    sha256: str
    sender: str | None = None
    note: str = ""  # what the intake noticed about it (e.g. a Date header in the future)

    @property
    def received(self) -> datetime:
        return self.receipt.at


@dataclass(frozen=True)
class Other:
    """Something received that is not a workbook to check: why it was set aside, and who sent it."""

    name: str
    source: str
    reason: str
    sender: str | None = None
    receipt: Receipt | None = None
    sha256: str = ""
    ours: bool = False  # kexie_xl's own file (store, archive, marked copy…): listed as 已跳过, not counted as received


@dataclass
class Intake:
    inputs: list[Input] = field(default_factory=list)
    photos: dict[str, Path] = field(default_factory=dict)  # file name → archived object
    other: list[Other] = field(default_factory=list)


def safe_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """A file name that cannot leave its folder or upset Windows: no directories, no '..', no reserved names,
    at most `limit` bytes in UTF-8 with the extension kept."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    stem = base.split(".")[0].upper()
    if not base or stem in RESERVED:
        base = f"_{base or '未命名'}"
    return fit_bytes(base, limit)


def fit_bytes(name: str, limit: int) -> str:
    """Shorten the stem of `name` until the whole name is at most `limit` UTF-8 bytes; the extension stays."""
    if len(name.encode("utf-8")) <= limit:
        return name
    path = PurePosixPath(name)
    suffix = path.suffix if len(path.suffix.encode("utf-8")) <= 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    budget = limit - len(suffix.encode("utf-8")) - len("…".encode())
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return f"{stem}…{suffix}"


class MailReader(Protocol):
    """What the mail adapter provides: a test for message files/mailboxes, and reading one into the intake."""

    def is_mail(self, path: Path) -> bool: ...

    def add_source(self, collector: Collector, path: Path) -> None: ...


@dataclass
class Collector:
    """Walks the sources into an Intake, keeping every file in the archive."""

    archive: Archive
    tz: str
    mail: MailReader | None = None
    own: tuple[Path, ...] = ()  # the store, the output and other files kexie_xl writes in this run
    intake: Intake = field(default_factory=Intake)

    def collect(self, sources: Iterable[Path]) -> Intake:
        """Raise FileNotFoundError for a source that does not exist."""
        own = {p.resolve() for p in self.own}
        for source in sources:
            if not source.exists():
                raise FileNotFoundError(source)
            if source.is_dir() and (source.resolve() == self.archive.root or is_archive(source)):
                self._skip(
                    source.name + "/",
                    "文件夹",
                    "kexie_xl 的归档目录，已跳过（其中的邮件和附件由 kexie-xl run 按邮件处理，含发件人核对）",
                )
            elif self.mail is not None and self.mail.is_mail(source):
                self.mail.add_source(self, source)
            elif source.is_dir():
                self._folder(source, own)
            else:
                self.add_file(source, "文件")
        return self.intake

    def _folder(self, folder: Path, own: set[Path]) -> None:
        label = f"文件夹 {folder.name}"
        skipped: list[Path] = []
        for path in sorted(folder.rglob("*")):
            if any(path.is_relative_to(s) for s in skipped):
                continue
            if path.is_dir():
                if OWN_FOLDER.match(path.name):
                    skipped.append(path)
                    self._skip(path.name + "/", label, "kexie_xl 为全市月报复制的图片文件夹，已跳过")
                elif path.resolve() == self.archive.root or is_archive(path):
                    skipped.append(path)
                    self._skip(
                        path.name + "/",
                        label,
                        "kexie_xl 的归档目录，已跳过（其中的邮件和附件由 kexie-xl run 按邮件处理，含发件人核对）",
                    )
                elif self.mail is not None and self.mail.is_mail(path):
                    skipped.append(path)
                    self.mail.add_source(self, path)
                continue
            if path.name in QUIET or path.name.endswith(UPLOAD_SIDECAR):
                continue
            if path.resolve() in own:
                self._skip(path.name, label, "本次运行自己的输出文件（汇总库或全市月报），已跳过")
            elif self.mail is not None and self.mail.is_mail(path):
                self.mail.add_source(self, path)
            else:
                self.add_file(path, label)

    def _skip(self, name: str, source: str, reason: str, *, ours: bool = True) -> None:
        self.intake.other.append(Other(name, source, reason, ours=ours))

    def add_file(self, path: Path, source: str) -> None:
        zone = ZoneInfo(self.tz)
        name = path.name
        reason = own_output(path)
        if reason:
            self._skip(name, source, reason)
            return
        try:
            mtime = path.stat().st_mtime
            digest, kept = self.archive.put_file(path, name)
        except OSError as exc:
            if exc.errno in ARCHIVE_FULL:
                raise  # the archive cannot be written (disk full, read-only): the run stops and says why
            self._skip(name, source, f"无法读取（{exc.strerror or exc}），请检查文件是否被占用或损坏", ours=False)
            return
        received = Receipt(datetime.fromtimestamp(mtime, zone), BY_FILE_TIME)
        upload = _upload(path)
        if upload is not None:  # sent through a unit's upload link: its time is evidence, its sender the link's unit
            name, at, unit = upload
            self.add_kept(kept, name, "上传链接", Receipt(at.astimezone(zone), BY_UPLOAD), digest, f"{UPLOAD_SENDER}{unit}")
        elif path.suffix.lower() == ".zip":
            self.add_zip(kept, name, source, None, None)  # each member keeps its own time
        else:
            self.add_kept(kept, name, source, received, digest, None)

    def add_kept(
        self, kept: Path, name: str, source: str, received: Receipt, digest: str, sender: str | None, note: str = ""
    ) -> bool:
        """Sort one archived file into the intake; True if it is a workbook.

        A file named as a spreadsheet is checked if its content is that format (a renamed one is refused, saying
        what it is); a photo joins the photos by its name. Any other file is sorted by its content: a workbook under
        a name that lost its suffix on the way (「ATT00001.bin」 from some mail clients, 「月报.xlsx.1」, no suffix at
        all) is checked like any workbook — refusing it would tell the unit its report is not a workbook; a
        container the workbook may be in (RAR, 7z, winmail.dat) says what to send instead."""
        suffix = PurePosixPath(name).suffix.lower()
        if suffix in PHOTO_SUFFIXES:
            self.intake.photos.setdefault(name, kept)
            return False
        found = sniff(kept)
        if suffix in SPREADSHEET_SUFFIXES:
            renamed = mismatch(name, found)
            if renamed:  # decided here, by name and content: a check is kept by content and must not depend on the name
                self.intake.other.append(Other(name, source, renamed, sender, received, digest))
                return False
            self.intake.inputs.append(Input(name, source, kept, received, digest, sender, note))
            return True
        if found.readable:  # the archive keeps it under its content's suffix, so the reader gets the right format
            told = "；".join(x for x in (note, f"文件名不是表格的扩展名，按内容作为 {found.label}读取") if x)
            self.intake.inputs.append(Input(name, source, kept, received, digest, sender, told))
            return True
        reason = refusal(found) if found.key in CONTAINERS else "不是月报工作簿或图片"
        self.intake.other.append(Other(name, source, reason, sender, received, digest))
        return False

    def add_zip(self, kept: Path, name: str, source: str, received: Receipt | None, sender: str | None, note: str = "") -> int:
        """Take in the members of an archived .zip; returns how many workbooks it held."""
        source = f"{source} 压缩包 {name}" if source.startswith("邮件") else f"压缩包 {name}"
        workbooks = 0
        try:
            with zipfile.ZipFile(kept) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
                    self.intake.other.append(Other(name, source, "压缩包解压后过大，疑似压缩炸弹，未处理", sender, received))
                    return 0
                for info in infos:
                    workbooks += self._member(zf, info, source, received, sender, note)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
            self.intake.other.append(Other(name, source, f"压缩包无法打开（{exc}）", sender, received))
        return workbooks

    def _member(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, received: Receipt | None, sender: str | None, note: str
    ) -> int:
        name = PurePosixPath(member_name(info).replace("\\", "/")).name or "未命名"
        if name.startswith(("~$", ".~")) or name in ("Thumbs.db", ".DS_Store"):
            return 0
        if info.file_size > MAX_MEMBER_BYTES:
            self.intake.other.append(Other(name, source, "文件过大，未解压", sender, received))
            return 0
        try:
            data = zf.read(info)
        except (RuntimeError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            self.intake.other.append(Other(name, source, f"无法解压（{exc}）", sender, received))
            return 0
        digest, kept = self.archive.put_bytes(data, name)
        when = received or Receipt(datetime(*info.date_time, tzinfo=ZoneInfo(self.tz)), BY_ZIP_TIME)
        if PurePosixPath(name).suffix.lower() == ".zip":
            return self.add_zip(kept, name, source, when, sender, note)
        return int(self.add_kept(kept, name, source, when, digest, sender, note))


def supply_evidence(intake: Intake, received_at: datetime | None = None, times: dict[str, datetime] | None = None) -> Intake:
    """Give inputs that have only a file time the best evidence there is: the same content mailed in this intake
    (the message's time), a time listed for the file name or sha256 in `times`, or `received_at` for all."""
    mailed = {i.sha256: i.receipt for i in intake.inputs if i.receipt.evidence}
    times = times or {}
    fixed = []
    for item in intake.inputs:
        receipt = item.receipt
        if not receipt.evidence:
            given = times.get(item.sha256) or times.get(item.name)
            if item.sha256 in mailed:
                receipt = mailed[item.sha256]
            elif given is not None:
                receipt = Receipt(given, BY_GIVEN)
            elif received_at is not None:
                receipt = Receipt(received_at, BY_GIVEN)
        fixed.append(item if receipt is item.receipt else replace(item, receipt=receipt))
    intake.inputs = fixed
    return intake


def member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:  # UTF-8 flag set
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for codec in ("utf-8", "gb18030"):  # Chinese Windows writes GBK without the flag; zipfile decoded it as cp437
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _upload(path: Path) -> tuple[str, datetime, str] | None:
    """(name as sent, time received, unit code) from an upload's sidecar, or None (no sidecar, or not readable:
    then the file is an ordinary folder file, its time no evidence)."""
    import json

    sidecar = path.with_name(path.name + UPLOAD_SIDECAR)
    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(meta["at"])
        name, unit = str(meta["name"]), str(meta["unit"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if at.tzinfo is None or not name or not unit:
        return None
    return safe_name(name), at, unit


def own_output(path: Path) -> str:
    """Why a file found in a source folder is kexie_xl's own output (and is not taken in), or ''."""
    name = path.name
    if name.startswith(("~$", ".~")):
        return "Excel/WPS 的临时锁定文件，已忽略"
    if OWN_BRIEF.match(name):
        return "kexie_xl 生成的工作简报草稿，已跳过"
    if TOOL_COPY.search(path.stem):
        return "kexie_xl 生成的标注副本或备份，已忽略（以原件为准）"
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return ""
    if head == SQLITE_MAGIC or name.endswith(("-journal", "-wal", "-shm")):
        return "数据库文件（kexie_xl 汇总库等），已跳过"
    if name.endswith(".sqlite.lock") or name == ".kexie-archive":
        return "kexie_xl 的锁文件或标记文件，已跳过"
    if path.suffix.lower() == ".xlsx" and head.startswith(b"PK") and _is_city_workbook(path):
        return "kexie_xl 生成的全市月报，已跳过"
    return ""


def _is_city_workbook(path: Path) -> bool:
    from ..schema.city import CITY_TITLE

    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml")[:4096].decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, EOFError):
        return False
    return ">kexie_xl<" in core and f"<dc:title>{CITY_TITLE}" in core


__all__ = [
    "MAX_NAME_BYTES",
    "PHOTO_SUFFIXES",
    "SPREADSHEET_SUFFIXES",
    "WORKBOOK_SUFFIXES",
    "Collector",
    "Input",
    "Intake",
    "MailReader",
    "Other",
    "Receipt",
    "fit_bytes",
    "member_name",
    "own_output",
    "safe_name",
    "sha256_of",
    "supply_evidence",
]
