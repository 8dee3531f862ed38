"""Edge adapter (mail): messages from .eml, Outlook .msg, mbox and Maildir → sender, time, attachments, links.

Attachment names are decoded whatever the client did: RFC 2231 (`filename*=utf-8''…`), RFC 2047 encoded words
inside quoted parameters (QQ Mail writes `filename="=?gb18030?B?…?="`), and raw GBK bytes. 超大附件 / 文件中转站
links in the body are found and reported: they expire, so the workbook must be downloaded and sent again.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

MAX_ATTACHMENT = 60 * 1024 * 1024
# QQ Mail 超大附件 and 文件中转站 links, and other big-file link services seen in practice.
LINK = re.compile(
    r"https?://(?:mail\.qq\.com/cgi-bin/ftnExs_download|wx\.mail\.qq\.com/ftn/download|"
    r"[a-z0-9.-]*ftn\.qq\.com|mail\.163\.com/large-attachment|pan\.baidu\.com/s/)[^\s\"'<>]*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes


@dataclass
class MailMessage:
    """One received message, as the intake needs it."""

    raw: bytes
    sender: str  # lower-case address (the first one)
    sender_name: str
    subject: str
    sent: datetime | None  # Date header, time-zone aware
    message_id: str
    attachments: list[Attachment] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)  # attachment names over the size cap
    senders: list[str] = field(default_factory=list)  # every distinct address in From (more than one: suspicious)


def parse_eml(raw: bytes) -> MailMessage:
    # compat32 keeps undecodable header bytes as surrogates, so raw GBK names can still be recovered
    msg = email.message_from_bytes(raw)
    from_ = _text(msg.get("From", ""))
    name, address = parseaddr(from_)
    senders = list(dict.fromkeys(a.strip().lower() for _n, a in getaddresses([from_]) if "@" in a))
    try:
        sent = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
        if sent is not None and sent.tzinfo is None:
            sent = sent.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    except (TypeError, ValueError):
        sent = None
    out = MailMessage(
        raw,
        address.strip().lower(),
        name,
        _text(msg.get("Subject", "")),
        sent,
        str(msg.get("Message-ID", "")).strip(),
        senders=senders or [address.strip().lower()],
    )
    _collect(msg, out)
    out.links = list(dict.fromkeys(out.links))
    return out


def _collect(part: Message, out: MailMessage) -> None:
    """Attachments and links of a part and everything below it. A message attached as a base64-encoded
    message/rfc822 part (which the parser cannot open) becomes an .eml attachment, read in turn by the intake."""
    if part.get_content_type() == "message/rfc822" and str(part.get("Content-Transfer-Encoding", "")).strip().lower() in (
        "base64",
        "quoted-printable",
    ):
        data = _encoded_message(part)
        name = attachment_name(part) or "附件邮件.eml"
        out.attachments.append(Attachment(name if name.lower().endswith((".eml", ".msg")) else f"{name}.eml", data))
        return
    if part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                _collect(child, out)
        return
    filename = attachment_name(part)
    if filename:
        data = _bytes(part.get_payload(decode=True))
        if len(data) > MAX_ATTACHMENT:
            out.oversized.append(filename)
        else:
            out.attachments.append(Attachment(filename, data))
    elif part.get_content_maintype() == "text":
        out.links += LINK.findall(_body(part))


def _encoded_message(part: Message) -> bytes:
    import base64
    import quopri

    inner = part.get_payload()
    text = inner[0].as_string() if isinstance(inner, list) and inner and isinstance(inner[0], Message) else str(inner)
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        return base64.b64decode("".join(text.split()), validate=False)
    return quopri.decodestring(text.encode("ascii", "replace"))


def attachment_name(part: Message) -> str:
    """The decoded file name of a MIME part, or '' for a body part."""
    name = part.get_filename() or part.get_param("name", header="content-type") or ""
    if isinstance(name, tuple):  # RFC 2231 left undecoded by a compat32 message
        name = email.utils.collapse_rfc2231_value(name)
    name = str(name).strip().strip('"')
    if "=?" in name:  # an encoded word inside a quoted parameter (QQ Mail)
        name = _text(name)
    if "\ufffd" in name:  # raw 8-bit bytes (GBK from older Chinese clients): read them from the raw header
        name = _raw_param_name(part) or name
    return name


_RAW_NAME = re.compile(r'(?:file)?name="?([^";]+)', re.IGNORECASE)


def _raw_param_name(part: Message) -> str:
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type") and isinstance(value, str):
            match = _RAW_NAME.search(value)
            if match:
                return decode_raw(match.group(1).encode("utf-8", "surrogateescape")).strip()
    return ""


def decode_raw(data: bytes) -> str:
    """Raw 8-bit bytes in a header: UTF-8 when they decode strictly as UTF-8, else GB18030 (older Chinese clients)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _text(value: object) -> str:
    """A header's text. Raw 8-bit bytes (older Chinese clients write a subject or a name unencoded; the parser
    hands them over as a Header of unknown-8bit) and encoded words in a charset Python does not know
    (=?x-gbk?B?…?=) are read as UTF-8 when they decode strictly as UTF-8, else GB18030 (`decode_raw`) — never
    shown as 「���」 or left encoded."""
    text = _joined(decode_header(value)) if isinstance(value, Header) else str(value)
    try:
        return str(make_header(decode_header(text)))
    except LookupError:
        return _joined(decode_header(text))
    except (UnicodeDecodeError, ValueError):
        return text


def _joined(chunks: list[tuple[Any, Any]]) -> str:
    """Header chunks as one text, each chunk's bytes read by `decode_raw` (decode_header gives bytes for every chunk
    of a Header and of a text holding an encoded word)."""
    return "".join(decode_raw(chunk) if isinstance(chunk, bytes) else chunk for chunk, _charset in chunks)


def _bytes(payload: object) -> bytes:
    """A decoded payload: bytes for a leaf part (a multipart part has none)."""
    return payload if isinstance(payload, bytes) else b""


def _body(part: Message) -> str:
    payload = _bytes(part.get_payload(decode=True))
    try:
        return payload.decode(part.get_content_charset() or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return payload.decode("gb18030", errors="replace")


def parse_msg(path: Path) -> MailMessage:
    """An Outlook .msg file (extract-msg), turned into the same MailMessage."""
    import extract_msg

    item: Any = extract_msg.openMsg(str(path))  # a Message (its properties are not in the library's types)
    try:
        name, address = parseaddr(item.sender or "")
        sent = item.date if isinstance(item.date, datetime) else None
        header_date = item.header.get("Date") if item.header is not None else None
        if sent is None and header_date:  # no submit time property: the transport headers' Date
            try:
                sent = parsedate_to_datetime(str(header_date))
            except (TypeError, ValueError):
                sent = None
        out = MailMessage(
            path.read_bytes(),
            address.lower(),
            name,
            item.subject or "",
            sent,
            item.messageId or "",
            senders=[address.lower()] if address else [],
        )
        for att in item.attachments:
            data = getattr(att, "data", None)
            filename = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or ""
            if isinstance(data, bytes) and filename:
                out.attachments.append(Attachment(filename, data))
        out.links = list(dict.fromkeys(LINK.findall(item.body or "")))
        return out
    finally:
        item.close()


SERVER, FILE = "server", "file"  # what a message's fallback time is: the mail server's delivery, or a file's time


def messages_in(path: Path) -> Iterator[tuple[str, bytes | Path, datetime | None, str]]:
    """(label, raw bytes or a .msg path, fallback time, SERVER or FILE) for every message in a file, mbox or
    Maildir. A Maildir file's time is when the server delivered it; a saved .eml/.msg's is when it was saved."""
    if is_maildir(path):
        for file in sorted([*(path / "new").iterdir(), *(path / "cur").iterdir()], key=lambda p: p.name):
            if file.is_file():
                mtime = datetime.fromtimestamp(file.stat().st_mtime).astimezone()
                yield f"Maildir {path.name}/{file.name}", file.read_bytes(), mtime, SERVER
    elif path.suffix.lower() == ".eml":
        yield path.name, path.read_bytes(), datetime.fromtimestamp(path.stat().st_mtime).astimezone(), FILE
    elif path.suffix.lower() == ".msg":
        yield path.name, path, datetime.fromtimestamp(path.stat().st_mtime).astimezone(), FILE
    elif path.suffix.lower() in (".mbox", ".mbx") or _looks_like_mbox(path):
        import mailbox  # here: a folder of workbooks, the common case, needs no mailbox module (~10 ms to import)

        box = mailbox.mbox(str(path), create=False)
        for n, key in enumerate(box.keys(), start=1):
            yield f"{path.name}#{n}", box.get_bytes(key), None, FILE


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def is_mail(path: Path) -> bool:
    """Is this a message file or mailbox the mail intake reads?"""
    return is_maildir(path) or path.suffix.lower() in (".eml", ".msg", ".mbox", ".mbx") or _looks_like_mbox(path)


def _looks_like_mbox(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        return fh.read(5) == b"From "
