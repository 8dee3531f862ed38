"""Verbs: the office password of kexie-xl serve — a salted scrypt hash in kexie.toml, never the password itself.

The hash is written into the `[web]` section as `login_hash` by a small text edit, so the rest of the file —
comments, order, the office's own notes — stays exactly as it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from ..errors import ConfigError

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~50 ms and 16 MB per try — cheap for a login, costly for a guesser
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64) for `password`, with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by hash_password (in constant time); False for anything malformed."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def set_office_password(config_file: Path, password: str) -> Path:
    """Store the hash of `password` as `[web] login_hash` in `config_file` (created when missing); the file is
    replaced atomically and must still load afterwards."""
    from ..config import load_settings

    if len(password) < MIN_LENGTH:
        raise ConfigError(f"密码太短：至少 {MIN_LENGTH} 个字符。")
    text = config_file.read_text(encoding="utf-8") if config_file.is_file() else ""
    new = with_login_hash(text, hash_password(password))
    tmp = config_file.with_name(f".~kexie-{os.getpid()}-{config_file.name}")
    try:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, config_file)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"无法写入配置文件「{config_file}」（{exc.strerror or exc}）。") from None
    load_settings(config_file)  # a ConfigError here names what is wrong with the file
    return config_file


_SECTION = re.compile(r"^[ \t]*\[[ \t]*web[ \t]*\][ \t]*(#.*)?$", re.M)
_ANY_SECTION = re.compile(r"^[ \t]*\[", re.M)
_KEY = re.compile(r"^[ \t]*login_hash[ \t]*=.*$", re.M)


def with_login_hash(text: str, value: str) -> str:
    """The TOML text with `[web] login_hash = "<value>"` set: replaced in place, added to an existing [web]
    section, or a new section appended."""
    line = f'login_hash = "{value}"'
    section = _SECTION.search(text)
    if section is None:
        return (text.rstrip("\n") + "\n\n" if text.strip() else "") + f"[web]\n{line}\n"
    start = section.end()
    following = _ANY_SECTION.search(text, start + 1)
    end = following.start() if following else len(text)
    body = text[start:end]
    body = _KEY.sub(lambda _m: line, body, count=1) if _KEY.search(body) else f"\n{line}" + body
    return text[:start] + body + text[end:]
