"""Edge adapter (mail): messages → archived raw, attachments kept in the archive, workbooks as intake Inputs.

Archive first: each message is saved unchanged under the archive folder (by month) before anything reads its
attachments; every attachment is kept by its content (two attachments with the same name are two objects).
Workbooks (also inside .zip attachments and inside attached or forwarded messages) become Inputs carrying the
sender and the message's time; photos join the photo pool; a message with no workbook is listed with its sender
and the reason (no attachment, a 超大附件 link that will expire, an attachment over the size cap), so the unit
can be told. A message that cannot be processed is listed with the reason and never stops the run.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from ..consolidate.intake import Collector, Intake, Other, Receipt
from ..schema.city import BY_MAIL_DATE, BY_MAIL_FILE, BY_SERVER
from .parse import SERVER, MailMessage, is_mail, messages_in, parse_eml, parse_msg

log = logging.getLogger("kexie_xl")
CLOCK_SLACK = timedelta(minutes=15)  # a sender's clock may run a little fast
SERVER_TIMES = ".server-times.json"  # beside fetched messages: sha256 → the server's INTERNALDATE (imap.py)
FEEDBACK_ID = "<kexie-"  # Message-ID prefix of kexie_xl's own feedback drafts
_ENVIRONMENT = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
MAX_DEPTH = 3  # messages attached to messages


class MailIntake:
    """Adds messages to an Intake; one per consolidation run."""

    def __init__(self, archive_root: Path, month: str, tz: str):
        self.folder = archive_root / month
        self.tz = tz
        self.messages = 0
        self._server_times: dict[Path, dict[str, str]] = {}

    @staticmethod
    def is_mail(path: Path) -> bool:
        return is_mail(path)

    def add_source(self, collector: Collector, path: Path) -> None:
        """Every message in a .eml/.msg file, mbox or Maildir; one that fails is listed, the rest go on."""
        try:
            found = list(messages_in(path))
        except Exception as exc:  # an unreadable mailbox file: listed, the run goes on
            collector.intake.other.append(Other(path.name, "邮件", f"无法读取邮件文件（{type(exc).__name__}: {exc}）"))
            return
        for label, raw, fallback, kind in found:
            try:
                message = parse_msg(raw) if isinstance(raw, Path) else parse_eml(raw)
                self.add(collector, message, label, self._fallback(path, message, fallback, kind))
            except OSError as exc:
                if exc.errno in _ENVIRONMENT:
                    raise  # disk full, read-only archive: the run cannot go on, and says why
                self._failed(collector.intake, label, exc)
            except Exception as exc:
                self._failed(collector.intake, label, exc)

    def _failed(self, intake: Intake, label: str, exc: Exception) -> None:
        log.exception("message %s could not be processed", label)
        intake.other.append(Other(label, "邮件", f"邮件无法处理（{type(exc).__name__}: {str(exc)[:120]}）"))

    def _fallback(self, source: Path, message: MailMessage, time: datetime | None, kind: str) -> Receipt | None:
        """The time to use when the Date header is missing or not believable, with what it is. A message the
        IMAP fetch archived carries the server's INTERNALDATE (kept beside it); a saved file only its own time."""
        if kind == SERVER and time is not None:
            return Receipt(time, BY_SERVER)
        folder = source if source.is_dir() else source.parent
        if folder not in self._server_times:
            import json

            sidecar = folder / SERVER_TIMES
            try:
                self._server_times[folder] = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
            except (OSError, ValueError):
                self._server_times[folder] = {}
        internal = self._server_times[folder].get(hashlib.sha256(message.raw).hexdigest())
        if internal:
            return Receipt(datetime.fromisoformat(internal), BY_SERVER)
        return Receipt(time, BY_MAIL_FILE) if time is not None else None

    def add(self, collector: Collector, message: MailMessage, label: str, fallback: Receipt | None) -> None:
        intake = collector.intake
        self.messages += 1
        received, note = self.receipt(message, fallback)
        digest = hashlib.sha256(message.raw).hexdigest()
        raw_path = self._archive(message, received.at, digest)
        source = f"邮件 {message.subject or label}（{message.sender or '无发件人'}）"
        sender = ", ".join(message.senders) or None
        if message.message_id.startswith(FEEDBACK_ID):
            intake.other.append(Other(raw_path.name, source, "kexie_xl 生成的反馈邮件，已跳过", ours=True))
            return
        if len(message.senders) > 1:
            note = (note + "；" if note else "") + f"发件人一栏有 {len(message.senders)} 个地址"
        workbooks = self._attachments(collector, message, source, received, sender, note, 0)
        for name in message.oversized:
            intake.other.append(Other(name, source, "附件超过大小上限，未读取", sender, received))
        if workbooks == 0:
            if message.links:
                reason = "附件为链接（超大附件会过期），请下载后以普通附件重新发送：" + message.links[0]
            elif message.attachments:
                reason = "邮件中没有月报工作簿"
            else:
                reason = "邮件没有附件"
            intake.other.append(Other(raw_path.name, source, reason, sender, received, digest))

    def _attachments(
        self,
        collector: Collector,
        message: MailMessage,
        source: str,
        received: Receipt,
        sender: str | None,
        note: str,
        depth: int,
    ) -> int:
        workbooks = 0
        for att in message.attachments:
            suffix = PurePosixPath(att.name.replace("\\", "/")).suffix.lower()
            if suffix in (".eml", ".msg") and depth < MAX_DEPTH:
                workbooks += self._nested(collector, att.name, att.data, source, received, sender, note, depth)
                continue
            digest, kept = collector.archive.put_bytes(att.data, att.name)
            if suffix == ".zip":
                workbooks += collector.add_zip(kept, att.name, source, received, sender, note)
            else:
                workbooks += collector.add_kept(kept, att.name, source, received, digest, sender, note)
        return workbooks

    def _nested(
        self,
        collector: Collector,
        name: str,
        data: bytes,
        source: str,
        received: Receipt,
        sender: str | None,
        note: str,
        depth: int,
    ) -> int:
        """A message attached to the message (forwarded as an attachment): its attachments count as sent by
        whoever mailed the outer message, at the outer message's time."""
        collector.archive.put_bytes(data, name)
        if name.lower().endswith(".msg"):
            tmp = collector.archive.tmp / f"nested-{hashlib.sha256(data).hexdigest()[:16]}.msg"
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            try:
                inner = parse_msg(tmp)
            finally:
                tmp.unlink()
        else:
            inner = parse_eml(data)
        return self._attachments(collector, inner, f"{source} 内附邮件 {name}", received, sender, note, depth + 1)

    def receipt(self, message: MailMessage, fallback: Receipt | None) -> tuple[Receipt, str]:
        """When the message was received (and what says so), and a note when its Date header cannot be trusted.

        The Date header is the sender's clock; the receipt time (INTERNALDATE, or the saved file's time) bounds
        it: a Date later than the receipt is not believed.
        """
        zone = ZoneInfo(self.tz)
        if message.sent is None:
            if fallback is None:
                return Receipt(datetime.now(zone), BY_MAIL_FILE), ""
            return Receipt(fallback.at.astimezone(zone), fallback.by), ""
        if fallback is not None and message.sent > fallback.at + CLOCK_SLACK:
            note = (
                f"邮件日期 {message.sent.astimezone(zone):%Y-%m-%d %H:%M} 晚于收到时间 "
                f"{fallback.at.astimezone(zone):%Y-%m-%d %H:%M}，按收到时间计"
            )
            return Receipt(fallback.at.astimezone(zone), fallback.by), note
        return Receipt(message.sent.astimezone(zone), BY_MAIL_DATE), ""

    def _archive(self, message: MailMessage, received: datetime, digest: str) -> Path:
        folder = self.folder / "邮件"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".msg" if message.raw[:4] == b"\xd0\xcf\x11\xe0" else ".eml"  # Outlook .msg is kept as it came
        existing = sorted(folder.glob(f"*_{digest[:12]}{suffix}"))
        if existing:  # the same message again is archived once
            return existing[0]
        path = folder / f"{received:%Y%m%d-%H%M%S}_{digest[:12]}{suffix}"
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(message.raw)
        tmp.replace(path)
        return path
