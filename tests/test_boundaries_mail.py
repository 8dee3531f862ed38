"""Mail parsing at its edges (issue #19): attachment names however a client wrote them (a raw GBK name in
Content-Type's name=, RFC 2231, encoded words), the size cap at its limit, dates, senders, links, forwarded mail."""

from __future__ import annotations

import base64
import email
import mailbox
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kexie_xl.mail import parse
from kexie_xl.mail.parse import attachment_name, decode_raw, is_mail, messages_in, parse_eml

NAME = "万州区科协_11月.xlsx"


def _mail(part_headers: bytes, payload: bytes = b"AAAA", head: bytes = b"From: wz@units.example\r\n") -> bytes:
    return (
        head + b"Subject: =?UTF-8?B?5pyI5oql?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe9\x99\x84\xe4\xbb\xb6\r\n"
        b"--XX\r\n" + part_headers + b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"\r\n--XX--\r\n"
    )


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_raw_name_in_content_type_alone_is_decoded(encoding: str) -> None:
    raw = _mail(b'Content-Type: application/octet-stream; name="' + NAME.encode(encoding) + b'"\r\n')
    message = parse_eml(raw)
    assert [(a.name, a.data) for a in message.attachments] == [(NAME, b"\0\0\0")]


def test_a_raw_gbk_name_in_content_disposition_is_decoded() -> None:
    raw = _mail(
        b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=" + NAME.encode("gbk") + b"\r\n"
    )
    assert [a.name for a in parse_eml(raw).attachments] == [NAME]


def test_an_encoded_word_in_content_type_name() -> None:
    encoded = base64.b64encode(NAME.encode("gb18030")).decode()
    raw = _mail(f'Content-Type: application/octet-stream; name="=?gb18030?B?{encoded}?="\r\n'.encode())
    assert [a.name for a in parse_eml(raw).attachments] == [NAME]


def test_rfc2231_name_in_content_type() -> None:
    raw = _mail(b"Content-Type: application/octet-stream; name*=utf-8''%E4%B8%87%E5%B7%9E.xlsx\r\n")
    assert [a.name for a in parse_eml(raw).attachments] == ["万州.xlsx"]


def test_a_body_part_has_no_name() -> None:
    part = email.message_from_bytes(b"Content-Type: text/plain\r\n\r\nhello")
    assert attachment_name(part) == ""


def test_decode_raw_prefers_utf8() -> None:
    assert decode_raw(NAME.encode("utf-8")) == NAME == decode_raw(NAME.encode("gb18030"))


# The attachment size cap: the limit itself is kept, one byte more is only named


@pytest.mark.parametrize(("size", "kept"), [(11, True), (12, True), (13, False)])
def test_attachments_up_to_the_size_cap(monkeypatch: pytest.MonkeyPatch, size: int, kept: bool) -> None:
    monkeypatch.setattr(parse, "MAX_ATTACHMENT", 12)
    payload = base64.b64encode(b"x" * size)
    message = parse_eml(_mail(b'Content-Type: application/octet-stream; name="a.xlsx"\r\n', payload))
    assert ([a.name for a in message.attachments], message.oversized) == ((["a.xlsx"], []) if kept else ([], ["a.xlsx"]))


# Who and when


def test_sender_subject_date_and_message_id() -> None:
    head = (
        b"From: =?UTF-8?B?5LiH5bee?= <WZ@Units.Example>\r\nDate: Sun, 15 Nov 2026 10:00:00 +0800\r\n"
        b"Message-ID: <m1@units.example> \r\n"
    )
    message = parse_eml(_mail(b'Content-Type: application/octet-stream; name="a.xlsx"\r\n', head=head))
    assert (message.sender, message.sender_name, message.subject) == ("wz@units.example", "万州", "月报")
    assert message.sent == datetime(2026, 11, 15, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert message.message_id == "<m1@units.example>" and message.senders == ["wz@units.example"]


def test_a_date_without_zone_is_beijing_time_and_a_bad_one_is_none() -> None:
    naive = parse_eml(_mail(b"Content-Type: text/plain\r\n", head=b"From: a@b.cn\r\nDate: Sun, 15 Nov 2026 10:00:00 -0000\r\n"))
    assert naive.sent is not None and naive.sent.utcoffset() == timedelta(hours=8)
    bad = parse_eml(_mail(b"Content-Type: text/plain\r\n", head=b"From: a@b.cn\r\nDate: yesterday\r\n"))
    assert bad.sent is None
    none = parse_eml(_mail(b"Content-Type: text/plain\r\n"))
    assert none.sent is None


def test_every_address_in_from_is_kept_once() -> None:
    head = b'From: a@b.cn, "X" <C@D.cn>, a@b.cn\r\n'
    message = parse_eml(_mail(b"Content-Type: text/plain\r\n", head=head))
    assert message.senders == ["a@b.cn", "c@d.cn"] and message.sender == "a@b.cn"


def test_big_attachment_links_in_the_body_once_each() -> None:
    link = "https://wx.mail.qq.com/ftn/download?k=1"
    body = f"超大附件 {link} 再发一次 {link} 和 https://pan.baidu.com/s/1abc 不是 https://example.com/x".encode()
    raw = (
        b"From: a@b.cn\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=YY\r\n\r\n"
        b"--YY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + b"\r\n"
        b'--YY\r\nContent-Type: text/html; charset=gbk\r\n\r\n<a href="https://mail.163.com/large-attachment/x">\xb8\xbd</a>\r\n'
        b"--YY--\r\n"
    )
    message = parse_eml(raw)
    assert message.links == [link, "https://pan.baidu.com/s/1abc", "https://mail.163.com/large-attachment/x"]
    assert message.attachments == []


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable"])
def test_a_forwarded_message_becomes_an_eml_attachment(encoding: str) -> None:
    inner = _mail(b'Content-Type: application/octet-stream; name="a.xlsx"\r\n')
    body = base64.encodebytes(inner) if encoding == "base64" else inner.replace(b"=", b"=3D")
    raw = (
        b"From: office@b.cn\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=ZZ\r\n\r\n"
        b'--ZZ\r\nContent-Type: message/rfc822; name="fw"\r\nContent-Transfer-Encoding: '
        + encoding.encode()
        + b"\r\n\r\n"
        + body
        + b"\r\n--ZZ--\r\n"
    )
    message = parse_eml(raw)
    assert [a.name for a in message.attachments] == ["fw.eml"]
    assert parse_eml(message.attachments[0].data).attachments[0].name == "a.xlsx"


# Files and mailboxes


def test_messages_in_files_mbox_and_maildir(tmp_path: Path) -> None:
    raw = _mail(b'Content-Type: application/octet-stream; name="a.xlsx"\r\n')
    (tmp_path / "m.eml").write_bytes(raw)
    box = mailbox.mbox(str(tmp_path / "box.mbox"))
    box.add(raw)
    box.add(raw)
    box.close()
    maildir = mailbox.Maildir(str(tmp_path / "md"))
    maildir.add(raw)
    maildir.close()
    (tmp_path / "notes.txt").write_text("x")
    eml = list(messages_in(tmp_path / "m.eml"))
    assert [(label, kind) for label, _d, _t, kind in eml] == [("m.eml", parse.FILE)]
    assert [label for label, *_ in messages_in(tmp_path / "box.mbox")] == ["box.mbox#1", "box.mbox#2"]
    found = list(messages_in(tmp_path / "md"))
    assert len(found) == 1 and found[0][0].startswith("Maildir md/") and found[0][3] == parse.SERVER
    assert list(messages_in(tmp_path / "notes.txt")) == []
    assert [is_mail(tmp_path / n) for n in ("m.eml", "box.mbox", "md", "notes.txt")] == [True, True, True, False]


def test_an_outlook_msg_file(tmp_path: Path) -> None:
    from .msg_writer import outlook_msg

    raw = outlook_msg(
        subject="万州区科协 11 月月报",
        sender="WZ@Units.Example",
        sender_name="万州区科协",
        date="Sun, 15 Nov 2026 10:00:00 +0800",
        body="附件为月报。超大附件 https://wx.mail.qq.com/ftn/download?k=1 再次 https://wx.mail.qq.com/ftn/download?k=1",
        attachment=(NAME, b"PK\x03\x04data"),
    )
    path = tmp_path / "万州.msg"
    path.write_bytes(raw)
    message = parse.parse_msg(path)
    assert (message.sender, message.sender_name, message.subject, message.senders) == (
        "wz@units.example",
        "万州区科协",
        "万州区科协 11 月月报",
        ["wz@units.example"],
    )
    assert message.sent == datetime(2026, 11, 15, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert [(a.name, a.data) for a in message.attachments] == [(NAME, b"PK\x03\x04data")]
    assert message.links == ["https://wx.mail.qq.com/ftn/download?k=1"] and message.raw == raw
    [(label, source, _time, kind)] = list(messages_in(path))
    assert (label, source, kind) == ("万州.msg", path, parse.FILE)
    bare = tmp_path / "bare.msg"
    bare.write_bytes(outlook_msg(subject="", sender="", sender_name="", date="", body="", attachment=None))
    empty = parse.parse_msg(bare)
    assert (empty.sender, empty.senders, empty.attachments, empty.links, empty.sent) == ("", [], [], [], None)
    assert (empty.subject, empty.message_id) == ("", "")
