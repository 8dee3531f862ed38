"""Mail intake from saved messages: .eml folders, mbox and Maildir — decoded names, archive, sender checks."""

from __future__ import annotations

import email
import email.policy
import io
import mailbox
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from kexie_xl.api import Context, consolidate_month, load_context
from kexie_xl.mail.compose import Attachment, compose
from kexie_xl.mail.parse import attachment_name, parse_eml
from kexie_xl.schema import city as C

from .builders import changed, clean_filling, write
from .test_consolidate import received_times

TZ = ZoneInfo("Asia/Shanghai")


def _values(path: Path, sheet: str) -> list[tuple]:
    return [r for r in openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True)]


def test_mail_gives_the_same_month_as_the_files(demo, tmp_path: Path) -> None:
    out, manifest = demo
    ctx = _archive_in(load_context(out / manifest["config"]), tmp_path / "archive")
    by_files = consolidate_month(
        [out / "workbooks", out / "photos"],
        ctx,
        "2026-11",
        output=tmp_path / "f.xlsx",
        store_path=tmp_path / "f.db",
        received_times=received_times(manifest, ctx, tmp_path),
    )
    by_mail = consolidate_month([out / "mail"], ctx, "2026-11", output=tmp_path / "m.xlsx", store_path=tmp_path / "m.db")
    for sheet in (C.SUMMARY, C.DETAIL, C.QUARTERLY, C.EXPERIENCE):
        assert _values(tmp_path / "m.xlsx", sheet) == _values(tmp_path / "f.xlsx", sheet), sheet
    assert by_mail.counts.by_status == by_files.counts.by_status
    assert by_mail.photos == by_files.photos > 0
    archived = sorted((ctx.settings.paths.archive / "2026-11" / "邮件").glob("*.eml"))
    assert len(archived) == len(manifest["messages"])
    assert {p.read_bytes() for p in archived} == {(out / m["path"]).read_bytes() for m in manifest["messages"]}


def _archive_in(ctx: Context, folder: Path) -> Context:
    """The demo's configuration, archiving somewhere else than the shared demo folder."""
    paths = replace(ctx.settings.paths, archive=folder)
    return Context(replace(ctx.settings, paths=paths), ctx.registry)


def registry_ctx(tmp_path: Path, extra: str = ""):
    (tmp_path / "units.toml").write_text(
        '[[unit]]\ncode = "500101"\nname = "万州区科协"\nregion = "万州区"\ntype = "区县科协"\n'
        'division_code = "500101"\nsenders = ["wz@units.example"]\n\n'
        '[[unit]]\ncode = "500102"\nname = "涪陵区科协"\nregion = "涪陵区"\ntype = "区县科协"\n'
        'division_code = "500102"\nsenders = ["fl@units.example"]\n',
        encoding="utf-8",
    )
    (tmp_path / "kexie.toml").write_text(
        '[registry]\nfile = "units.toml"\n[paths]\narchive = "archive"\n' + extra, encoding="utf-8"
    )
    return load_context(tmp_path / "kexie.toml")


def _message(
    sender: str,
    subject: str,
    sent: datetime,
    attachments: list[Attachment],
    style: str = "rfc2231",
    body: str = "附件为本月月报。",
) -> bytes:
    return compose(
        sender=("填报员", sender),
        to="kx@example.cn",
        subject=subject,
        body=body,
        sent=sent,
        message_id=f"<{abs(hash((sender, subject, sent)))}@units.example>",
        attachments=attachments,
        name_style=style,
    )


def crafted_messages(ctx, tmp_path: Path) -> dict[str, bytes]:
    """The messages real mailboxes hold: QQ and RFC 2231 names, a .zip, a path trick, a forged and an unknown
    sender, no attachment, a 超大附件 link, the same message twice, a resubmission a day later."""
    wz = write(tmp_path / "wz.xlsx", ctx.template, clean_filling()).read_bytes()
    wz2 = write(tmp_path / "wz2.xlsx", ctx.template, changed(clean_filling(), "basic", None, reporter="李四")).read_bytes()
    fl = write(tmp_path / "fl.xlsx", ctx.template, changed(clean_filling(), "basic", None, unit="涪陵区科协")).read_bytes()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("2026-11_涪陵区科协.xlsx", fl)
    day = datetime(2026, 11, 15, 10, 0, tzinfo=TZ)
    return {
        "qq.eml": _message("wz@units.example", "万州月报", day, [Attachment("2026-11_万州区科协_月报.xlsx", wz)], "qq"),
        "twice.eml": _message("wz@units.example", "万州月报", day, [Attachment("2026-11_万州区科协_月报.xlsx", wz)], "qq"),
        "later.eml": _message(
            "wz@units.example",
            "【更正】万州月报",
            day + timedelta(days=1),
            [Attachment("2026-11_万州区科协_月报（更正）.xlsx", wz2)],
        ),
        "zip.eml": _message("fl@units.example", "涪陵", day, [Attachment("涪陵区.zip", packed.getvalue())]),
        "traversal.eml": _message("fl@units.example", "路径", day, [Attachment("../../x.xlsx", fl)]),
        "forged.eml": _message("fl@units.example", "冒名", day, [Attachment("万州.xlsx", wz2 + b"")]),
        "stranger.eml": _message("who@else.example", "陌生人", day, [Attachment("万州区科协月报.xlsx", wz + b"\0")]),
        "empty.eml": _message("wz@units.example", "忘了附件", day, []),
        "link.eml": _message(
            "wz@units.example",
            "超大附件",
            day,
            [],
            body="从QQ邮箱发来的超大附件 https://wx.mail.qq.com/ftn/download?func=3&k=abc 请及时下载",
        ),
    }


def check_fates(city: Path, messages: dict[str, bytes]) -> list[dict]:
    """Every message in the intake ledger with the fate it deserves."""
    rows = _values(city, C.INTAKE)
    ledger = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert len(ledger) == len(messages) - 1  # the same message twice is one input
    fate = {(r["文件"], r["来源"].split("（")[0]): (r["状态"], r["原因"]) for r in ledger}
    assert fate[("2026-11_万州区科协_月报.xlsx", "邮件 万州月报")][0] == C.SUPERSEDED  # QQ name decoded
    assert fate[("2026-11_万州区科协_月报（更正）.xlsx", "邮件 【更正】万州月报")][0] == C.ADOPTED
    assert fate[("2026-11_涪陵区科协.xlsx", "邮件 涪陵")][0] == C.ADOPTED  # from inside the .zip attachment
    assert fate[("../../x.xlsx", "邮件 路径")] == (C.SUPERSEDED, "与采用的「2026-11_涪陵区科协.xlsx」内容相同（重复发送）")
    forged = "发件地址 fl@units.example 登记为「涪陵区科协」，但表内填报单位是「万州区科协」"
    assert fate[("万州.xlsx", "邮件 冒名")] == (C.REJECTED, forged)
    assert fate[("万州区科协月报.xlsx", "邮件 陌生人")][0] == C.QUARANTINED
    reasons = {r["原因"] for r in ledger if r["状态"] == C.UNIDENTIFIED}
    assert "邮件没有附件" in reasons and any(r.startswith("附件为链接") for r in reasons)
    return ledger


def test_every_kind_of_message_meets_its_fate(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    messages = crafted_messages(ctx, tmp_path)
    box = tmp_path / "inbox"
    box.mkdir()
    for name, raw in messages.items():
        (box / name).write_bytes(raw)
    result = consolidate_month([box], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    ledger = check_fates(tmp_path / "c.xlsx", messages)
    archive = tmp_path / "archive" / "2026-11"
    assert len(list((archive / "邮件").glob("*.eml"))) == len(messages) - 1  # the same message twice: archived once
    assert not (tmp_path / "x.xlsx").exists() and not list(archive.rglob("..*"))
    assert sum(result.counts.by_status.values()) == len(ledger)


RAR = b"Rar!\x1a\x07\x01\x00" + bytes(64)  # the first bytes of each; the rest does not matter here
SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64)
TNEF = b"\x78\x9f\x3e\x22\x01\x00" + bytes(64)  # Outlook's winmail.dat


def test_a_workbook_packed_where_it_cannot_be_read_gets_what_to_send_instead(tmp_path: Path) -> None:
    """A workbook in a RAR or 7z archive, or in Outlook's winmail.dat (a message sent in RTF format), is not
    readable here: the ledger and the reply to the unit say what arrived and what to send instead, rather than
    「不是月报工作簿或图片」 for what holds the unit's report."""
    from kexie_xl.api import draft_feedback

    ctx = registry_ctx(tmp_path)
    day = datetime(2026, 11, 15, 10, 0, tzinfo=TZ)
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "outlook.eml").write_bytes(_message("wz@units.example", "万州月报", day, [Attachment("winmail.dat", TNEF)]))
    (box / "rar.eml").write_bytes(_message("fl@units.example", "涪陵月报", day, [Attachment("涪陵区月报.rar", RAR)]))
    (box / "万州区月报.7z").write_bytes(SEVEN_ZIP)
    (box / "说明.txt").write_text("不是压缩包", encoding="utf-8")
    store = tmp_path / "s.db"
    consolidate_month([box], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=store)
    rows = _values(tmp_path / "c.xlsx", C.INTAKE)
    ledger = {r["文件"]: r for r in (dict(zip(rows[0], row, strict=True)) for row in rows[1:])}
    archive = "只能打开 .zip 压缩包：请直接附上工作簿，或改用 .zip 压缩后重新发送"
    assert (ledger["涪陵区月报.rar"]["状态"], ledger["涪陵区月报.rar"]["原因"]) == (C.UNIDENTIFIED, f"这是 RAR 压缩包，{archive}")
    assert ledger["涪陵区月报.rar"]["格式"] == "RAR 压缩包"
    assert ledger["万州区月报.7z"]["原因"] == f"这是 7z 压缩包，{archive}"
    outlook = "这是 Outlook 以「RTF 格式」发信时生成的 winmail.dat，附件被打包在里面、无法取出：请在 Outlook 中把邮件"
    assert ledger["winmail.dat"]["原因"] == outlook + "格式改为 HTML 或纯文本后重新发送工作簿"
    assert ledger["说明.txt"]["原因"] == "不是月报工作簿或图片"
    drafts = {d.unit: d for d in draft_feedback(ctx, "2026-11", store, tmp_path / "反馈")}
    reply = email.message_from_bytes(drafts["500101"].raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "《winmail.dat》" in reply and outlook in reply.replace("\n", "")
    reply = email.message_from_bytes(drafts["500102"].raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert f"这是 RAR 压缩包，{archive}" in reply.replace("\n", "")


def test_a_workbook_whose_name_lost_its_suffix_is_taken_by_its_content(tmp_path: Path) -> None:
    """Some mail clients send an attachment as 「ATT00001.bin」, a download may come as 「月报.xlsx.1」 or without a
    suffix: the content is a workbook, so it is checked and adopted (the ledger says how it was read), never refused
    as 「不是月报工作簿」. A file of another kind under such a name is still not a workbook."""
    ctx = registry_ctx(tmp_path)
    day = datetime(2026, 11, 15, 10, 0, tzinfo=TZ)
    wz = write(tmp_path / "wz.xlsx", ctx.template, clean_filling()).read_bytes()
    fl = write(tmp_path / "fl.xlsx", ctx.template, changed(clean_filling(), "basic", None, unit="涪陵区科协")).read_bytes()
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "m.eml").write_bytes(_message("wz@units.example", "万州月报", day, [Attachment("ATT00001.bin", wz)]))
    (box / "涪陵区月报.xlsx.1").write_bytes(fl)
    word = io.BytesIO()
    with zipfile.ZipFile(word, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    (box / "说明").write_bytes(word.getvalue())
    result = consolidate_month([box], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    rows = _values(tmp_path / "c.xlsx", C.INTAKE)
    ledger = {r["文件"]: r for r in (dict(zip(rows[0], row, strict=True)) for row in rows[1:])}
    told = "文件名不是表格的扩展名，按内容作为 Excel 工作簿读取"
    assert (ledger["ATT00001.bin"]["状态"], ledger["ATT00001.bin"]["填报单位"]) == (C.ADOPTED, "万州区科协")
    assert told in ledger["ATT00001.bin"]["原因"]
    assert (ledger["涪陵区月报.xlsx.1"]["状态"], ledger["涪陵区月报.xlsx.1"]["填报单位"]) == (C.ADOPTED, "涪陵区科协")
    assert told in ledger["涪陵区月报.xlsx.1"]["原因"]
    assert (ledger["说明"]["状态"], ledger["说明"]["原因"]) == (C.UNIDENTIFIED, "不是月报工作簿或图片")
    assert result.counts.by_status == {C.ADOPTED: 2, C.UNIDENTIFIED: 1}
    kept = sorted(p.suffix for p in (tmp_path / "archive").rglob("objects/*/*") if p.is_file())
    assert kept == [".bin", ".xlsx", ".xlsx"]  # the workbooks under their content's suffix; the Word file as unknown


def test_mbox_and_maildir_read_like_eml_files(demo, tmp_path: Path) -> None:
    out, manifest = demo
    ctx = _archive_in(load_context(out / manifest["config"]), tmp_path / "archive")
    raws = [(out / m["path"]).read_bytes() for m in manifest["messages"][:5]]
    mbox = mailbox.mbox(str(tmp_path / "box.mbox"))
    maildir = mailbox.Maildir(str(tmp_path / "Maildir"))
    for raw in raws:
        mbox.add(raw)
        maildir.add(raw)
    mbox.flush()
    a = consolidate_month([tmp_path / "box.mbox"], ctx, "2026-11", output=tmp_path / "a.xlsx", store_path=tmp_path / "a.db")
    b = consolidate_month([tmp_path / "Maildir"], ctx, "2026-11", output=tmp_path / "b.xlsx", store_path=tmp_path / "b.db")
    assert a.counts.by_status == b.counts.by_status == {C.ADOPTED: 5}
    assert _values(tmp_path / "a.xlsx", C.SUMMARY) == _values(tmp_path / "b.xlsx", C.SUMMARY)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="=?gb18030?B?' + "zfLW3cf4v8bQrS54bHN4" + '?="', "万州区科协.xlsx"),
        ("attachment; filename*=utf-8''%E4%B8%87%E5%B7%9E.xlsx", "万州.xlsx"),
        ('attachment; filename="=?UTF-8?B?5LiH5bee5Yy6Lnhsc3g=?="', "万州区.xlsx"),
    ],
)
def test_attachment_names_decoded(header: str, name: str) -> None:
    raw = (
        f"From: a@b.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        f"--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: {header}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--XX--\r\n"
    ).encode()
    message = parse_eml(raw)
    assert [a.name for a in message.attachments] == [name]
    assert (
        attachment_name(
            next(p for p in __import__("email").message_from_bytes(raw).walk() if p.get_content_disposition() == "attachment")
        )
        == name
    )


def test_raw_gbk_attachment_name() -> None:
    raw = (
        b"From: a@b.cn\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="'
        + "万州区科协.xlsx".encode("gbk")
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--XX--\r\n'
    )
    assert [a.name for a in parse_eml(raw).attachments] == ["万州区科协.xlsx"]


def test_outlook_msg_files(tmp_path: Path) -> None:
    from kexie_xl.mail.parse import parse_msg

    from .msg_writer import outlook_msg

    ctx = registry_ctx(tmp_path)
    data = write(tmp_path / "wz.xlsx", ctx.template, clean_filling()).read_bytes()
    box = tmp_path / "outlook"
    box.mkdir()
    raw = outlook_msg(
        subject="万州区科协 11 月月报",
        sender="wz@units.example",
        sender_name="万州区科协",
        date="Sun, 15 Nov 2026 10:00:00 +0800",
        body="附件为月报。超大附件 https://wx.mail.qq.com/ftn/download?k=1",
        attachment=("2026-11_万州区科协_科技志愿服务月报.xlsx", data),
    )
    (box / "万州.msg").write_bytes(raw)
    message = parse_msg(box / "万州.msg")
    assert (message.sender, message.sender_name, message.subject) == ("wz@units.example", "万州区科协", "万州区科协 11 月月报")
    assert message.sent == datetime(2026, 11, 15, 10, 0, tzinfo=TZ)
    assert [(a.name, a.data) for a in message.attachments] == [("2026-11_万州区科协_科技志愿服务月报.xlsx", data)]
    assert message.links == ["https://wx.mail.qq.com/ftn/download?k=1"]
    result = consolidate_month([box], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert result.counts.by_status == {C.ADOPTED: 1}
    row = _values(tmp_path / "c.xlsx", C.INTAKE)[1]
    assert row[1] == "2026-11_万州区科协_科技志愿服务月报.xlsx" and row[5] == "2026-11-15 10:00"
    archived = list((tmp_path / "archive" / "2026-11" / "邮件").glob("*.msg"))
    assert [p.read_bytes() for p in archived] == [raw]  # kept as it came
