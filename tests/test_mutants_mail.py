"""Mail parsing where the mutation run found it unguarded (issue #19): missing headers, names that keep quotes or
bytes that decode to nothing, bodies in the wrong charset, forwarded messages without a name, Maildir order."""

from __future__ import annotations

import base64
import os
from datetime import datetime
from pathlib import Path

import pytest

from kexie_xl.mail import parse
from kexie_xl.mail.parse import decode_raw, is_mail, is_maildir, messages_in, parse_eml

from .test_boundaries_mail import _mail


def test_a_message_without_sender_subject_or_id() -> None:
    message = parse_eml(b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi\r\n")
    assert (message.sender, message.sender_name, message.subject, message.message_id, message.senders) == ("", "", "", "", [""])
    assert message.raw.endswith(b"hi\r\n") and message.sent is None


def test_a_sender_without_an_address() -> None:
    message = parse_eml(b"From: Postmaster\r\nContent-Type: text/plain\r\n\r\nhi\r\n")
    assert (message.sender, message.senders) == ("postmaster", ["postmaster"])


def test_a_header_in_an_unknown_charset_is_read_as_utf8_else_gb18030() -> None:
    message = parse_eml(b"From: a@b.cn\r\nSubject: =?x-unknown?B?YWJj?=\r\nContent-Type: text/plain\r\n\r\nhi\r\n")
    assert message.subject == "abc"
    gbk = b"=?x-gbk?B?" + base64.b64encode("月报".encode("gbk")) + b"?="  # not UTF-8: GB18030
    assert parse_eml(b"From: a@b.cn\r\nSubject: " + gbk + b"\r\nContent-Type: text/plain\r\n\r\nhi\r\n").subject == "月报"
    big5 = b"=?big5?B?" + base64.b64encode("月報".encode("big5")) + b"?="  # a charset Python knows keeps its own reading
    assert parse_eml(b"From: a@b.cn\r\nSubject: " + big5 + b"\r\nContent-Type: text/plain\r\n\r\nhi\r\n").subject == "月報"


@pytest.mark.parametrize(
    ("subject", "sender", "name", "says"),
    [
        ("万州区月报".encode(), "填报员".encode(), "万州区科协.xlsx".encode(), ("万州区月报", "填报员", "万州区科协.xlsx")),
        ("万州区 11 月月报".encode("gbk"), "填报员".encode("gbk"), b"a.xlsx", ("万州区 11 月月报", "填报员", "a.xlsx")),
        (
            b"2026 =?x-gbk?B?" + base64.b64encode("月报".encode("gbk")) + b"?=",
            b"=?x-unknown?B?" + base64.b64encode("填报员".encode()) + b"?=",
            b"=?x-unknown?B?" + base64.b64encode("万州区科协.xlsx".encode()) + b"?=",
            ("2026 月报", "填报员", "万州区科协.xlsx"),
        ),
    ],
)
def test_raw_and_unknown_charset_headers_are_read(subject: bytes, sender: bytes, name: bytes, says: tuple[str, ...]) -> None:
    """Older Chinese clients write a subject or a sender's name as raw UTF-8 or GBK bytes, or in an encoded word of a
    charset Python does not know: read as UTF-8, else GB18030 — never 「���」 in the ledger, and a workbook's name
    never left as 「=?x-unknown?B?…?=」."""
    raw = (
        b"From: " + sender + b" <wz@units.example>\r\nSubject: " + subject + b"\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="' + name + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--XX--\r\n"
    )
    message = parse_eml(raw)
    assert (message.subject, message.sender_name, message.sender) == (*says[:2], "wz@units.example")
    assert [a.name for a in message.attachments] == [says[2]]


def test_a_quoted_name_inside_the_quotes_loses_them() -> None:
    raw = _mail(b'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="\\"a.xlsx\\""\r\n')
    assert [a.name for a in parse_eml(raw).attachments] == ["a.xlsx"]


def test_a_name_that_decodes_to_nothing_keeps_what_could_be_read() -> None:
    raw = _mail(b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%E4%B8%FF.xlsx\r\n")
    [attachment] = parse_eml(raw).attachments
    assert attachment.name.endswith(".xlsx") and "\ufffd" in attachment.name


def test_a_raw_name_is_taken_from_the_disposition_not_from_another_header() -> None:
    raw = _mail(
        b'Content-Type: application/octet-stream\r\nContent-Description: name="other.txt"\r\n'
        b'Content-Disposition: attachment; filename="' + "万州.xlsx".encode("gbk") + b'"\r\n'
    )
    assert [a.name for a in parse_eml(raw).attachments] == ["万州.xlsx"]


def test_decode_raw_never_fails() -> None:
    assert decode_raw(b"\xff\xfe\x80abc").endswith("abc") and "\ufffd" in decode_raw(b"\xff\xfe\x80abc")


def test_links_in_a_body_without_charset_or_in_the_wrong_one() -> None:
    link = "https://pan.baidu.com/s/1?n=万州"
    plain = b"From: a@b.cn\r\nContent-Type: text/plain\r\n\r\n" + f"见 {link} 下载".encode() + b"\r\n"
    wrong = b"From: a@b.cn\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + f"见 {link} 下载".encode("gbk") + b"\r\n"
    odd = b"From: a@b.cn\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n" + f"见 {link} 下载".encode("gbk") + b"\r\n"
    assert parse_eml(plain).links == parse_eml(wrong).links == parse_eml(odd).links == [link]


def test_a_forwarded_message_without_a_name_or_with_its_own_suffix() -> None:
    import base64

    from .test_boundaries_mail import _mail as inner_mail

    inner = base64.encodebytes(inner_mail(b'Content-Type: application/octet-stream; name="a.xlsx"\r\n'))
    for header, name in ((b"", "附件邮件.eml"), (b'; name="fw.EML"', "fw.EML"), (b'; name="fw.msg"', "fw.msg")):
        raw = (
            b"From: office@b.cn\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=ZZ\r\n\r\n"
            b"--ZZ\r\nContent-Type: message/rfc822"
            + header
            + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + inner
            + b"\r\n--ZZ--\r\n"
        )
        assert [a.name for a in parse_eml(raw).attachments] == [name]


def test_maildir_messages_in_name_order_with_the_delivery_time(tmp_path: Path) -> None:
    box = tmp_path / "md"
    for folder, name in (("new", "1.a"), ("new", "3.c"), ("cur", "2.b")):
        (box / folder).mkdir(parents=True, exist_ok=True)
        (box / folder / name).write_bytes(_mail(b"Content-Type: text/plain\r\n"))
    os.utime(box / "cur" / "2.b", (1_700_000_000, 1_700_000_000))
    found = list(messages_in(box))
    assert [label for label, *_ in found] == ["Maildir md/1.a", "Maildir md/2.b", "Maildir md/3.c"]
    assert found[1][2] == datetime.fromtimestamp(1_700_000_000).astimezone() and found[1][3] == parse.SERVER


def test_mailboxes_by_suffix_even_without_a_from_line_first(tmp_path: Path) -> None:
    raw = _mail(b"Content-Type: text/plain\r\n")
    for suffix in (".mbox", ".MBX"):
        path = tmp_path / f"box{suffix}"
        path.write_bytes(b"\nFrom a@b.cn Sun Nov 15 10:00:00 2026\n" + raw.replace(b"\r\n", b"\n") + b"\n")
        assert [label for label, *_ in messages_in(path)] == [f"box{suffix}#1"] and is_mail(path)


def test_what_counts_as_mail(tmp_path: Path) -> None:
    half = tmp_path / "half"
    (half / "new").mkdir(parents=True)
    other = tmp_path / "other"
    (other / "cur").mkdir(parents=True)
    assert not is_maildir(half) and not is_maildir(other) and not is_mail(half)
    assert [is_mail(tmp_path / n) for n in ("a.msg", "a.MSG", "a.mbox", "a.mbx", "a.eml", "a.txt")] == [
        True,
        True,
        True,
        True,
        True,
        False,
    ]
    upper = tmp_path / "A.MSG"
    upper.write_bytes(b"x")
    assert [(label, source) for label, source, _t, _k in messages_in(upper)] == [("A.MSG", upper)]


def test_a_body_that_is_neither_utf8_nor_gbk_still_gives_its_links() -> None:
    raw = b"From: a@b.cn\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xff\xff https://pan.baidu.com/s/1abc \x80\r\n"
    assert parse_eml(raw).links == ["https://pan.baidu.com/s/1abc"]


def test_a_mailbox_without_a_suffix_is_known_by_its_first_line(tmp_path: Path) -> None:
    raw = _mail(b"Content-Type: text/plain\r\n").replace(b"\r\n", b"\n")
    inbox = tmp_path / "Inbox"
    inbox.write_bytes(b"From a@b.cn Sun Nov 15 10:00:00 2026\n" + raw + b"\n")
    notes = tmp_path / "notes"
    notes.write_bytes(b"From: a@b.cn\nnot a mailbox\n")
    exact = tmp_path / "exact"
    exact.write_bytes(b"From ")
    assert is_mail(inbox) and not is_mail(notes) and is_mail(exact)
    assert [label for label, *_ in messages_in(inbox)] == ["Inbox#1"] and list(messages_in(notes)) == []
