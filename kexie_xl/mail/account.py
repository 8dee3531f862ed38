"""Edge adapter (mail): connect to the configured IMAP/SMTP servers; secrets from the environment or the keyring."""

from __future__ import annotations

import imaplib
import os
import smtplib
import ssl

from ..config import MailServer
from ..errors import ConfigError

DEFAULT_PORTS = {
    ("imap", "ssl"): 993,
    ("imap", "starttls"): 143,
    ("imap", "none"): 143,
    ("smtp", "ssl"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "none"): 25,
}


def password(server: MailServer) -> str:
    """The password or authorisation code: $password_env, else the OS keyring; never a file."""
    value = os.environ.get(server.password_env)
    if value:
        return value
    try:
        import keyring  # optional: only needed when the password is kept in the OS keyring
    except ImportError:
        keyring = None  # type: ignore[assignment]
    if keyring is not None:
        try:
            found = keyring.get_password(server.keyring_service, server.user)
        except Exception:  # no usable keyring backend on this machine
            found = None
        if found:
            return found
    raise ConfigError(
        f"没有找到邮箱 {server.user} 的密码（授权码）：请设置环境变量 {server.password_env}，"
        f"或用 `keyring set {server.keyring_service} {server.user}` 存入系统钥匙串。"
    )


def tls(server: MailServer) -> ssl.SSLContext:
    """Certificates are always verified: against the system's CAs, or the configured CA file of an in-house server."""
    return ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)


def port(server: MailServer, kind: str) -> int:
    return server.port or DEFAULT_PORTS[(kind, server.security)]


def open_imap(server: MailServer) -> imaplib.IMAP4:
    """A logged-in IMAP connection (SSL, STARTTLS or plain on loopback)."""
    try:
        if server.security == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                server.host, port(server, "imap"), ssl_context=tls(server), timeout=server.timeout
            )
        else:
            conn = imaplib.IMAP4(server.host, port(server, "imap"), timeout=server.timeout)
            if server.security == "starttls":
                conn.starttls(tls(server))
        conn.login(server.user, password(server))
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ConfigError(
            f"无法登录收件邮箱 {server.user}@{server.host}：{exc}。QQ 邮箱请使用授权码而不是 QQ 密码，"
            "并在邮箱设置中开启 IMAP 服务。"
        ) from None
    return conn


def open_smtp(server: MailServer) -> smtplib.SMTP:
    try:
        if server.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(server.host, port(server, "smtp"), timeout=server.timeout, context=tls(server))
        else:
            conn = smtplib.SMTP(server.host, port(server, "smtp"), timeout=server.timeout)
            if server.security == "starttls":
                conn.starttls(context=tls(server))
        conn.ehlo_or_helo_if_needed()
        if conn.has_extn("auth"):  # a relay without AUTH (a loopback test server) takes mail as it is
            conn.login(server.user, password(server))
    except (OSError, smtplib.SMTPException) as exc:
        raise ConfigError(f"无法登录发件服务器 {server.host}：{exc}") from None
    return conn
