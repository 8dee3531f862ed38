"""The month run against real servers on loopback: Dovecot (IMAP) loaded with the demo's messages, aiosmtpd."""

from __future__ import annotations

import email
import email.policy
import imaplib
import io
from email.utils import parsedate_to_datetime
from pathlib import Path

import openpyxl
import pytest

from kexie_xl.api import consolidate_month, load_context, run_month
from kexie_xl.consolidate.store import Store
from kexie_xl.schema import city as C

from .mailservers import dovecot, smtp_server
from .test_consolidate import received_times


@pytest.fixture(scope="module")
def servers():
    with dovecot() as imap, smtp_server() as smtp:
        yield imap, smtp


def _load(imap, raws: list[bytes], mailbox: str = "INBOX") -> None:
    conn = imaplib.IMAP4(imap.host, imap.port)
    conn.login(imap.user, imap.password)
    for raw in raws:
        msg = email.message_from_bytes(raw)
        when = parsedate_to_datetime(msg["Date"])
        conn.append(mailbox, None, imaplib.Time2Internaldate(when), raw)
    conn.logout()


def _config(tmp: Path, demo_config: Path, imap, smtp) -> Path:
    units = (demo_config.parent / "units.toml").resolve()
    path = tmp / "kexie.toml"
    path.write_text(
        f'[registry]\nfile = "{units.as_posix()}"\n[paths]\nstore = "store.sqlite"\narchive = "archive"\n'
        f'[mail]\nreply_from = "kx@example.cn"\n'
        f'[mail.imap]\nhost = "{imap.host}"\nport = {imap.port}\nsecurity = "none"\nuser = "{imap.user}"\n'
        f'[mail.smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\nuser = "kx@example.cn"\n',
        encoding="utf-8",
    )
    return path


def _values(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True))


def test_run_against_loopback_servers(demo, servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, manifest = demo
    imap, smtp = servers
    raws = [(out / m["path"]).read_bytes() for m in manifest["messages"]]
    _load(imap, raws)
    monkeypatch.setenv("KEXIE_XL_MAIL_PASSWORD", imap.password)
    ctx = load_context(_config(tmp_path, out / manifest["config"], imap, smtp))

    first = run_month(ctx, "2026-11", send=True, output=tmp_path / "city.xlsx")
    assert first.fetched == len(raws)

    # exactly the consolidation the same workbooks give as files
    demo_ctx = load_context(out / manifest["config"])
    files = consolidate_month(
        [out / "workbooks", out / "photos"],
        demo_ctx,
        "2026-11",
        output=tmp_path / "files.xlsx",
        store_path=tmp_path / "files.db",
        received_times=received_times(manifest, demo_ctx, tmp_path),
    )
    for sheet in (C.SUMMARY, C.DETAIL, C.QUARTERLY, C.EXPERIENCE):
        assert _values(tmp_path / "city.xlsx", sheet) == _values(tmp_path / "files.xlsx", sheet), sheet
    assert first.consolidation.counts.by_status == files.counts.by_status

    # every message is in the intake ledger with its fate; the mailbox is untouched (read-only, no \\Seen)
    ledger = _values(tmp_path / "city.xlsx", C.INTAKE)[1:]
    assert len(ledger) == len(raws) and all(r[7] in (C.ADOPTED, C.SUPERSEDED) and r[6] == C.BY_MAIL_DATE for r in ledger)
    conn = imaplib.IMAP4(imap.host, imap.port)
    conn.login(imap.user, imap.password)
    conn.select("INBOX", readonly=True)
    _typ, data = conn.search(None, "UNSEEN")
    assert len(data[0].split()) == len(raws)
    conn.logout()

    # feedback drafts reached the SMTP server and parse back with their marked workbooks
    assert first.drafts and len(smtp.received) == len(first.drafts) and all(d.sent for d in first.drafts)
    for _from, to, raw in smtp.received:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["To"] == to[0] and "校验结果" in msg["Subject"]
        parts = list(msg.iter_attachments())
        assert len(parts) == 1 and parts[0].get_filename().endswith("（已校验）.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(parts[0].get_content()))
        assert "校验结果" in book.sheetnames
        assert "经校验，发现错误" in msg.get_body(("plain",)).get_content()

    # a second run fetches nothing new and changes nothing
    store = Store(tmp_path / "store.sqlite")
    before = store.fingerprint()
    store.close()
    city = (tmp_path / "city.xlsx").read_bytes()
    second = run_month(ctx, "2026-11", output=tmp_path / "city.xlsx")
    assert second.fetched == 0 and second.consolidation.counts.checked == 0 and second.consolidation.unchanged
    store = Store(tmp_path / "store.sqlite")
    assert store.fingerprint() == before
    store.close()
    assert (tmp_path / "city.xlsx").read_bytes() == city
    archived = list((tmp_path / "archive" / "2026-11" / "邮件").glob("*.eml"))
    assert len(archived) == len(raws)


def test_missing_password_is_explained(demo, servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexie_xl.errors import ConfigError

    out, manifest = demo
    imap, smtp = servers
    monkeypatch.delenv("KEXIE_XL_MAIL_PASSWORD", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    ctx = load_context(_config(tmp_path, out / manifest["config"], imap, smtp))
    with pytest.raises(ConfigError, match="KEXIE_XL_MAIL_PASSWORD"):
        run_month(ctx, "2026-11", output=tmp_path / "c.xlsx")


def test_every_kind_of_message_through_imap(servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_mail_intake import check_fates, crafted_messages, registry_ctx

    imap, smtp = servers
    extra = (
        f'[mail]\nmailbox = "Crafted"\nreply_from = "kx@example.cn"\n'
        f'[mail.imap]\nhost = "{imap.host}"\nport = {imap.port}\nsecurity = "none"\nuser = "{imap.user}"\n'
        f'[mail.smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\nuser = "kx@example.cn"\n'
    )
    ctx = registry_ctx(tmp_path, extra)
    messages = crafted_messages(ctx, tmp_path)
    conn = imaplib.IMAP4(imap.host, imap.port)
    conn.login(imap.user, imap.password)
    conn.create("Crafted")
    conn.logout()
    monkeypatch.setenv("KEXIE_XL_MAIL_PASSWORD", imap.password)
    _load(imap, list(messages.values()), "Crafted")
    result = run_month(ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert result.fetched == len(messages)  # the server holds both copies of the message sent twice
    check_fates(tmp_path / "c.xlsx", messages)
    # the clean adopted reports get no mail; the address that sent another unit's workbook is told why it was refused
    assert [(d.unit, d.to) for d in result.drafts] == [("500101", "fl@units.example")]
    body = email.message_from_bytes(result.drafts[0].raw, policy=email.policy.default).get_body(("plain",))
    assert "退回（发件地址 fl@units.example 登记为「涪陵区科协」" in body.get_content()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_connections_verify_the_certificate(servers, tmp_path: Path, security: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexie_xl.config import MailServer
    from kexie_xl.errors import ConfigError
    from kexie_xl.mail.imap import fetch_month

    imap, _smtp = servers
    monkeypatch.setenv("KEXIE_XL_MAIL_PASSWORD", imap.password)
    port = imap.ssl_port if security == "ssl" else imap.port
    trusted = MailServer(host="127.0.0.1", port=port, security=security, user=imap.user, ca_file=imap.ca_file)
    got = fetch_month(trusted, "INBOX", "2026-11", tmp_path / "mail", tmp_path / "cp.json", "Asia/Shanghai")
    assert got.uidvalidity > 0 and got.new == got.seen
    untrusted = MailServer(host="127.0.0.1", port=port, security=security, user=imap.user)
    with pytest.raises(ConfigError, match=r"certificate verify failed|CERTIFICATE_VERIFY_FAILED"):
        fetch_month(untrusted, "INBOX", "2026-11", tmp_path / "mail2", tmp_path / "cp2.json", "Asia/Shanghai")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_feedback_over_tls(servers, tmp_path: Path, security: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    from kexie_xl.config import MailServer, MailSettings, Settings
    from kexie_xl.mail.reply import Received, build_draft, send

    from .mailservers import smtp_server

    imap, _plain = servers
    monkeypatch.setenv("KEXIE_XL_MAIL_PASSWORD", imap.password)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(imap.ca_file, imap.ca_file.parent / "key.pem")
    kwargs = {"ssl_context": context} if security == "ssl" else {"tls_context": context}
    with smtp_server(**kwargs) as box:
        smtp = MailServer(host=box.host, port=box.port, security=security, user="kx@example.cn", ca_file=imap.ca_file)
        settings = Settings(mail=MailSettings(smtp=smtp))
        draft = build_draft(
            unit="500101",
            unit_name="万州区科协",
            to="wz@units.example",
            month="2026-11",
            received=[Received("a.xlsx", "2026-11-15 10:00", "采用", "")],
            findings=[],
            attachment=None,
            settings=settings,
            sender="kx@example.cn",
            in_reply_to="",
            folder=tmp_path,
        )
        send([draft], settings, "kx@example.cn")
        assert draft.sent and [r[1] for r in box.received] == [["wz@units.example"]]
