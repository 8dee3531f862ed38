"""Real mail servers on loopback for the mail tests: Dovecot (IMAP, passwd-file user, Maildir) and aiosmtpd.

Dovecot comes from Debian (`dovecot-imapd`, installed by the README's test command) and runs in the foreground
with a configuration written into a temporary folder; it needs root (as CI and the test command run).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

USER, PASSWORD = "kx@example.cn", "loopback-secret"

CONF = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u mail=maildir:{root}/home/%u/Maildir
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Imap:
    host: str
    port: int  # plain and STARTTLS
    ssl_port: int  # implicit TLS
    ca_file: Path  # the self-signed certificate the server presents (for 127.0.0.1 and localhost)
    user: str = USER
    password: str = PASSWORD


@contextmanager
def dovecot() -> Iterator[Imap]:
    exe = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(exe).exists():
        raise RuntimeError("Dovecot is not installed: run the README's test command (apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        raise RuntimeError("the IMAP tests start Dovecot and need root (as CI and the README's test command run)")
    root = Path(tempfile.mkdtemp(prefix="kexie-dovecot-", dir="/tmp"))
    root.chmod(0o755)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    shutil.chown(root / "home", "dovecot", "dovecot")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    port, ssl_port = free_port(), free_port()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    (root / "dovecot.conf").write_text(CONF.format(root=root, port=port, ssl_port=ssl_port), encoding="utf-8")
    proc = subprocess.Popen([exe, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", ssl_port), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"Dovecot did not start: {(root / 'dovecot.log').read_text(errors='replace')}")
        yield Imap("127.0.0.1", port, ssl_port, root / "cert.pem")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Smtp:
    host: str
    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)


@contextmanager
def smtp_server(ssl_context: object = None, tls_context: object = None) -> Iterator[Smtp]:
    """aiosmtpd on loopback: plain, implicit TLS (`ssl_context`) or STARTTLS (`tls_context`)."""
    from aiosmtpd.controller import Controller

    box = Smtp("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            return "250 OK"

    from aiosmtpd.smtp import AuthResult

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = getattr(auth_data, "password", b"") in (PASSWORD.encode(), PASSWORD)
        return AuthResult(success=ok)

    server_kwargs: dict = {"authenticator": authenticate}  # AUTH is offered over TLS only (aiosmtpd's default)
    options: dict = {"ssl_context": ssl_context} if ssl_context else {}
    if tls_context:
        server_kwargs |= {"tls_context": tls_context, "require_starttls": True}
    controller = Controller(Handler(), hostname=box.host, port=box.port, **server_kwargs, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
