"""Edge adapter (mail): build messages — the units' report emails of the demo, later the feedback drafts.

Attachment names are written the ways real clients write them, because intake must decode all of them:
- "rfc2231": `filename*=utf-8''%E4%B8%87…` (standards-conforming clients);
- "qq": `filename="=?gb18030?B?…?="` — an RFC 2047 encoded word inside a quoted parameter, as QQ Mail does.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

NAME_STYLES = ("rfc2231", "qq")


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes


def qq_encoded_word(name: str) -> str:
    """The GB18030 encoded word QQ Mail puts inside quoted filename/name parameters."""
    return f"=?gb18030?B?{base64.b64encode(name.encode('gb18030')).decode('ascii')}?="


def compose(
    *,
    sender: tuple[str, str],
    to: str,
    subject: str,
    body: str,
    sent: datetime,
    message_id: str,
    attachments: Sequence[Attachment] = (),
    name_style: str = "rfc2231",
    in_reply_to: str = "",
) -> bytes:
    """A complete RFC 5322 message as bytes (CRLF line ends), ready to save as .eml or append to a mailbox."""
    if name_style not in NAME_STYLES:
        raise ValueError(name_style)
    msg = MIMEMultipart()
    msg["From"] = formataddr(sender, charset="utf-8")
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]  # compat32 folds a Header object cleanly
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_boundary("=_kexie_" + hashlib.sha256(message_id.encode()).hexdigest()[:24])
    msg.attach(MIMEText(body, "plain", "utf-8"))
    for item in attachments:
        msg.attach(_part(item, name_style))
    # compat32: keep the parameters exactly as written (the default policy would re-encode the QQ-style names).
    return msg.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))


def _part(item: Attachment, name_style: str) -> MIMEBase:
    ctype = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
    if item.name.lower().endswith(".xlsx"):
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    maintype, subtype = ctype.split("/", 1)
    part = MIMEBase(maintype, subtype)
    part.set_payload(base64.encodebytes(item.data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    if name_style == "qq":
        word = qq_encoded_word(item.name)
        part.set_param("name", word)
        part["Content-Disposition"] = f'attachment; filename="{word}"'
    else:
        part.set_param("name", ("utf-8", "", item.name))  # type: ignore[arg-type]  # RFC 2231 triple, as documented
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", item.name))
    return part
