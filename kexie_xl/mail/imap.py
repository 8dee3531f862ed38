"""Edge adapter (mail): fetch a month's messages from an IMAP mailbox into the archive — read-only, resumable.

The mailbox is opened read-only (EXAMINE) and bodies are fetched with BODY.PEEK, so nothing is deleted, moved
or flagged. A checkpoint per mailbox and month (UIDVALIDITY + the last UID fetched) makes a re-run fetch only
new mail; if the server's UIDVALIDITY changes, the month is fetched again (the archive keeps one copy anyway).
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import MailServer
from .account import open_imap

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(rb"^Date:\s*(.+?)\r?\n(?![ \t])", re.IGNORECASE | re.MULTILINE | re.DOTALL)


@dataclass
class Fetched:
    new: int
    seen: int  # messages of the month on the server
    uidvalidity: int


def imap_date(day: date) -> str:
    """IMAP dates are English whatever the locale: 01-Nov-2026."""
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"


def fetch_month(server: MailServer, mailbox: str, month: str, folder: Path, checkpoints: Path, tz: str) -> Fetched:
    """Save the month's new messages (received from the 1st of the month to the end of the next) into `folder`."""
    year, mon = (int(p) for p in month.split("-"))
    since = date(year, mon, 1)
    before = date(year + (mon + 1) // 12, (mon + 1) % 12 + 1, 1)
    key = f"{server.user}@{server.host}/{mailbox}/{month}"
    state = json.loads(checkpoints.read_text(encoding="utf-8")) if checkpoints.is_file() else {}
    conn = open_imap(server)
    try:
        conn.select(_quoted(mailbox), readonly=True)
        uidvalidity = int((conn.response("UIDVALIDITY")[1] or [b"0"])[0])
        mark = state.get(key, {})
        last = mark.get("last_uid", 0) if mark.get("uidvalidity") == uidvalidity else 0
        _typ, data = conn.uid("SEARCH", "SINCE", imap_date(since), "BEFORE", imap_date(before))
        uids = sorted(int(u) for u in (data[0] or b"").split())
        new = [u for u in uids if u > last]
        folder.mkdir(parents=True, exist_ok=True)
        for uid in new:
            raw, internal = _fetch(conn, uid)
            _save(folder, raw, internal, tz)
            state[key] = {"uidvalidity": uidvalidity, "last_uid": uid}
            _write_state(checkpoints, state)  # after each message: an interrupted run resumes where it stopped
        if not new:
            state.setdefault(key, {"uidvalidity": uidvalidity, "last_uid": last})
            _write_state(checkpoints, state)
        return Fetched(len(new), len(uids), uidvalidity)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch(conn: imaplib.IMAP4, uid: int) -> tuple[bytes, datetime | None]:
    _typ, data = conn.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple):
            stamp = imaplib.Internaldate2tuple(item[0])
            internal = datetime(*stamp[:6]).astimezone() if stamp else None
            return item[1], internal
    raise OSError(f"IMAP 服务器没有返回 UID {uid} 的邮件")


def _save(folder: Path, raw: bytes, internal: datetime | None, tz: str) -> Path:
    """Archive the message unchanged; named by its time and content so the same message is kept once."""
    received = internal or datetime.now().astimezone()
    match = _DATE.search(raw[:65536])
    if match:
        with contextlib.suppress(TypeError, ValueError):
            received = parsedate_to_datetime(match.group(1).decode("ascii", "replace").strip())
    if received.tzinfo is None:
        received = received.replace(tzinfo=ZoneInfo(tz))
    received = received.astimezone(ZoneInfo(tz))
    path = folder / f"{received:%Y%m%d-%H%M%S}_{hashlib.sha256(raw).hexdigest()[:12]}.eml"
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    if internal is not None:
        os.utime(path, (internal.timestamp(), internal.timestamp()))
        _remember_server_time(folder, hashlib.sha256(raw).hexdigest(), internal)
    return path


def _remember_server_time(folder: Path, digest: str, internal: datetime) -> None:
    """Keep the server's receipt time beside the archived message (intake.SERVER_TIMES): a file's own time
    is not evidence of when a unit sent it, INTERNALDATE is."""
    sidecar = folder / ".server-times.json"
    known = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    if known.get(digest) != internal.isoformat():
        known[digest] = internal.isoformat()
        _write_state(sidecar, known)


def _write_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
