"""Edge adapter (mail): messages → archived raw, attachments saved and decoded, workbooks as intake Inputs.

Archive first: each message is saved unchanged under the archive folder (by month) before anything reads its
attachments. Workbooks (also inside .zip attachments) become Inputs carrying the sender and the message's time;
photos join the photo pool; a message with no workbook is listed with the reason (no attachment, a 超大附件
link that will expire, an attachment over the size cap).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from pathlib import Path

from ..consolidate.intake import PHOTO_SUFFIXES, WORKBOOK_SUFFIXES, Input, Intake, add_zip, safe_name, sha256_of
from .parse import MailMessage, is_mail, messages_in, parse_eml, parse_msg


class MailIntake:
    """Adds messages to an Intake; one per consolidation run."""

    def __init__(self, archive: Path, month: str, tz: str):
        self.folder = archive / month
        self.tz = tz
        self.messages = 0

    @staticmethod
    def is_mail(path: Path) -> bool:
        return is_mail(path)

    def add_source(self, intake: Intake, path: Path, workdir: Path) -> None:
        """Every message in a .eml/.msg file, mbox or Maildir."""
        for label, raw, server_time in messages_in(path):
            message = parse_msg(raw) if isinstance(raw, Path) else parse_eml(raw)
            self.add(intake, message, label, server_time or datetime.now().astimezone(), workdir)

    def add(self, intake: Intake, message: MailMessage, label: str, server_time: datetime, workdir: Path) -> None:
        self.messages += 1
        received = message.received(server_time, self.tz)
        digest = hashlib.sha256(message.raw).hexdigest()
        raw_path = self._archive(message, received, digest)
        source = f"邮件 {message.subject or label}（{message.sender or '无发件人'}）"
        folder = self.folder / "附件" / digest[:12]
        workbooks = 0
        for att in message.attachments:
            name = safe_name(att.name)
            suffix = Path(name).suffix.lower()
            if suffix not in (*WORKBOOK_SUFFIXES, *PHOTO_SUFFIXES, ".zip"):
                intake.other.append((att.name, source, "不是月报工作簿或图片"))
                continue
            path = folder / name
            if not path.exists():
                folder.mkdir(parents=True, exist_ok=True)
                path.write_bytes(att.data)
            if suffix in WORKBOOK_SUFFIXES:
                intake.inputs.append(_input(path, att.name, source, received, message.sender))
                workbooks += 1
            elif suffix == ".zip":
                before = len(intake.inputs)
                add_zip(intake, path, workdir, received.tzinfo, source=f"{source} 压缩包 {att.name}")
                for i in range(before, len(intake.inputs)):
                    intake.inputs[i] = dataclasses.replace(intake.inputs[i], sender=message.sender, received=received)
                workbooks += len(intake.inputs) - before
            else:
                intake.photos.setdefault(name, path)
        for name in message.oversized:
            intake.other.append((name, source, "附件超过大小上限，未读取"))
        if workbooks == 0:
            if message.links:
                reason = "附件为链接（超大附件会过期），请下载后以普通附件重新发送：" + message.links[0]
            elif message.attachments:
                reason = "邮件中没有月报工作簿"
            else:
                reason = "邮件没有附件"
            intake.other.append((raw_path.name, source, reason))

    def _archive(self, message: MailMessage, received: datetime, digest: str) -> Path:
        folder = self.folder / "邮件"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".msg" if message.raw[:4] == b"\xd0\xcf\x11\xe0" else ".eml"  # Outlook .msg is kept as it came
        path = folder / f"{received:%Y%m%d-%H%M%S}_{digest[:12]}{suffix}"
        if not path.exists():  # the same message again is archived once
            path.write_bytes(message.raw)
        return path


def _input(path: Path, name: str, source: str, received: datetime, sender: str) -> Input:
    return Input(name, source, path, received, sha256_of(path), sender or None)
