"""Verbs: a unit's own upload link — its report entering the month like an email from that unit (#13, part 4).

The office issues each unit a secret link (`kexie-xl office link 单位`); only a SHA-256 of the token is kept, in
`upload-links.json` beside the store (a token is 192 random bits: a plain hash is enough, no password stretching).
Issuing a new link for a unit revokes its old one; `--revoke` removes it.

A workbook uploaded through the link is checked like the clerk page's (same limits, guard and isolation), then
kept in the `uploads` folder beside the store with a small sidecar (`….upload.json`: the name as sent, the unit of
the link, the time received). The month's intake reads that folder like a mailbox: the time is evidence
(上传时间), the sender is the link's unit (`上传链接:<code>`), so a workbook naming another unit is 退回 exactly as a
mail from another unit's address would be, and the reply goes to the unit's registered address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, OutputError

if TYPE_CHECKING:
    from ..context import Context
    from ..schema.units import Unit

LINKS_FILE = "upload-links.json"
UPLOADS_FOLDER = "uploads"


def store_folder(ctx: Context) -> Path:
    """The folder of the store in use: the links and the uploads live beside it (they travel with the store)."""
    return Path(os.path.abspath(ctx.settings.paths.store)).parent


def uploads_folder(ctx: Context) -> Path:
    return store_folder(ctx) / UPLOADS_FOLDER


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _links(ctx: Context) -> dict[str, dict[str, str]]:
    path = store_folder(ctx) / LINKS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"上传链接记录「{path}」无法读取（{exc}）；可删除它后重新发放链接。") from None
    return {str(k): v for k, v in data.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)}


def _save_links(ctx: Context, links: dict[str, dict[str, str]]) -> None:
    path = store_folder(ctx) / LINKS_FILE
    tmp = path.with_name(f".~kexie-{os.getpid()}-{LINKS_FILE}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(links, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"无法写入上传链接记录「{path}」（{exc.strerror or exc}）。") from None


def _unit(ctx: Context, text: str) -> Unit:
    found = ctx.registry.lookup(text) or ctx.registry.by_code(text)
    if found is None:
        raise ConfigError(f"单位名录中没有「{text}」：请写单位全称、简称或编码（kexie-xl units 可列出）。")
    return found


def issue_link(ctx: Context, unit_text: str) -> tuple[Unit, str]:
    """A new secret token for the unit (its previous link stops working); only the token's hash is kept."""
    unit = _unit(ctx, unit_text)
    token = secrets.token_urlsafe(24)
    links = _links(ctx)
    links[unit.code] = {"sha256": _digest(token), "issued": datetime.now().isoformat(timespec="seconds")}
    _save_links(ctx, links)
    return unit, token


def revoke_link(ctx: Context, unit_text: str) -> tuple[Unit, bool]:
    """Remove the unit's link; False when it had none."""
    unit = _unit(ctx, unit_text)
    links = _links(ctx)
    had = links.pop(unit.code, None) is not None
    if had:
        _save_links(ctx, links)
    return unit, had


def unit_for_token(ctx: Context, token: str) -> Unit | None:
    """The unit whose current link this token is, or None (compared in constant time)."""
    if not token or len(token) > 128:
        return None
    digest = _digest(token)
    found = None
    for code, link in _links(ctx).items():
        if hmac.compare_digest(link["sha256"], digest):
            found = code
    return ctx.registry.by_code(found) if found else None


def keep_upload(ctx: Context, unit: Unit, data: bytes, name: str, at: datetime, month: str | None) -> Path:
    """The uploaded workbook kept for the intake of `month` (the month it reports; else the month it arrived in),
    under a name of our own (never the sent name), with its sidecar written last: a file without one is never
    half-taken as an upload. kexie-xl run / the office desk read `uploads/<month>` with the month's mail."""
    from pathlib import PurePosixPath

    from ..consolidate.intake import UPLOAD_SIDECAR

    folder = uploads_folder(ctx) / (month or f"{at:%Y-%m}")
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    target = folder / f"{at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}{suffix if suffix.isascii() else ''}"
    meta = {"name": PurePosixPath(name.replace("\\", "/")).name, "unit": unit.code, "at": at.isoformat()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(".~" + target.name)
        tmp.write_bytes(data)
        os.replace(tmp, target)
        Path(str(target) + UPLOAD_SIDECAR).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"无法保存上传的文件（{exc.strerror or exc}），请稍后再试或改用邮件报送。") from None
    return target
