"""A city run you can trust unattended: the archive owns what was received, every sender hears back, and no
file or message can stop or corrupt the month. Every hostile input is built here by code."""

from __future__ import annotations

import email
import io
import json
import os
import sqlite3
import zipfile
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from kexie_xl.api import consolidate_month, run_month, validate
from kexie_xl.consolidate.archive import Archive
from kexie_xl.consolidate.store import Store, store_lock
from kexie_xl.errors import Busy, ConfigError, StoreError
from kexie_xl.mail.compose import Attachment, compose
from kexie_xl.schema import city as C

from .builders import changed, clean_filling, write
from .test_mail_intake import registry_ctx

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 15, 10, 0, tzinfo=TZ)
LONG = "科技志愿服务" * 17  # 102 characters, 306 bytes in UTF-8: longer than any file system allows


def message(
    sender: str, subject: str, attachments: list[Attachment], sent: datetime = DAY, body: str = "见附件。", style: str = "rfc2231"
) -> bytes:
    return compose(
        sender=("填报员", sender),
        to="kx@example.cn",
        subject=subject,
        body=body,
        sent=sent,
        message_id=f"<{abs(hash((sender, subject, sent, len(attachments))))}@units.example>",
        attachments=attachments,
        name_style=style,
    )


def save(folder: Path, name: str, raw: bytes, mtime: datetime | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(raw)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def workbooks(ctx, tmp_path: Path) -> dict[str, bytes]:
    """万州 clean, 万州 with two errors, 涪陵 clean."""
    clean = clean_filling()
    bad = changed(changed(clean, "activities", 0, volunteers="很多"), "basic", None, phone="12")
    fl = changed(clean, "basic", None, unit="涪陵区科协")
    made = tmp_path / "made"
    made.mkdir(exist_ok=True)
    return {
        "wz": write(made / "wz.xlsx", ctx.template, clean).read_bytes(),
        "wz_bad": write(made / "wzb.xlsx", ctx.template, bad).read_bytes(),
        "fl": write(made / "fl.xlsx", ctx.template, fl).read_bytes(),
    }


def two_units(tmp_path: Path, wz: str = "wz", second: str = "涪陵区科协_11月.xlsx") -> tuple[Any, Path]:
    """The registry context and an inbox holding 万州's workbook (`wz`: one of `workbooks`) and 涪陵's (as `second`)."""
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    folder = tmp_path / "in"
    save(folder, "万州区科协_11月.xlsx", books[wz])
    save(folder, second, books["fl"])
    return ctx, folder


def ledger(city: Path) -> list[dict]:
    rows = list(openpyxl.load_workbook(city, data_only=True)[C.INTAKE].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def drafts_agree_with_store(drafts: list, store_path: Path) -> None:
    """Every reply's text agrees with its attachment and with the findings the store holds for that unit."""
    db = sqlite3.connect(store_path)
    db.row_factory = sqlite3.Row
    for draft in drafts:
        msg = email.message_from_bytes(draft.raw, policy=policy.default)
        body = msg.get_body(("plain",)).get_content()
        attached = [p for p in msg.iter_attachments() if p.get_filename()]
        subs = db.execute(
            "SELECT s.* FROM inputs i JOIN submissions s ON s.id = i.submission_id WHERE s.unit = ? "
            "ORDER BY (i.status = '采用') DESC, i.received DESC",
            (draft.unit,),
        ).fetchall()
        if subs:
            findings = json.loads(subs[0]["findings"])
            errors = sum(1 for f in findings if f["severity"] == "错误")
            if findings:
                assert f"发现错误 {errors} 处、警告 {len(findings) - errors} 处" in body, body
                for f in findings:
                    assert f["message"] in body
        if attached:
            name = attached[0].get_filename()
            assert f"附件《{name}》是标注了问题的工作簿" in body
            book = openpyxl.load_workbook(io.BytesIO(attached[0].get_content()))
            assert "校验结果" in book.sheetnames
            marked_rows = [r for r in book["校验结果"].iter_rows(min_row=2, values_only=True) if r[0]]
            assert len(marked_rows) >= len(findings)
        else:
            assert "附件《" not in body and "标注了问题的工作簿" not in body, body
    db.close()


# The archive owns what was received


def test_replies_are_right_from_any_folder_and_for_zipped_workbooks(tmp_path: Path, monkeypatch) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("万州区科协_11月.xlsx", books["wz_bad"])
    inbox = tmp_path / "inbox"
    save(inbox, "zip.eml", message("wz@units.example", "万州月报", [Attachment("万州.zip", packed.getvalue())]))
    fl_bad = write(
        tmp_path / "made" / "flb.xlsx",
        ctx.template,
        changed(changed(clean_filling(), "basic", None, unit="涪陵区科协"), "activities", 1, hours="两小时"),
    )
    save(inbox, "2026-11_涪陵区科协.xlsx", fl_bad.read_bytes())  # a file received directly: no sender
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the run starts in another folder than the configuration's
    run = run_month(ctx, "2026-11", sources=[inbox], fetch=False, output=tmp_path / "c.xlsx")
    assert [(d.unit, d.to) for d in run.drafts] == [("500101", "wz@units.example"), ("500102", "fl@units.example")]
    drafts_agree_with_store(run.drafts, ctx.settings.paths.store)
    msg = email.message_from_bytes(run.drafts[0].raw, policy=policy.default)
    assert [p.get_filename() for p in msg.iter_attachments()] == ["万州区科协_11月（已校验）.xlsx"]
    assert not list(elsewhere.iterdir())  # nothing landed in the working folder
    monkeypatch.chdir(tmp_path)  # and again from yet another folder: the same reply
    again = run_month(ctx, "2026-11", fetch=False, output=tmp_path / "c.xlsx")
    assert [d.raw.split(b"\r\n\r\n", 1)[1] for d in again.drafts] == [d.raw.split(b"\r\n\r\n", 1)[1] for d in run.drafts]


def test_every_sender_hears_back(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    inbox = tmp_path / "inbox"
    link = "超大附件 https://wx.mail.qq.com/ftn/download?func=3&k=abc 请下载"
    save(inbox, "link.eml", message("wz@units.example", "万州 超大附件", [], body=link))
    save(inbox, "empty.eml", message("fl@units.example", "涪陵 忘了附件", []))
    nested = message("wz@units.example", "原邮件", [Attachment("2026-11_万州区科协.xlsx", books["wz_bad"])])
    save(
        inbox,
        "fwd.eml",
        message("wz@units.example", "转发：万州月报", [Attachment("原邮件.eml", nested)], sent=DAY + timedelta(hours=1)),
    )
    run = run_month(ctx, "2026-11", sources=[inbox], fetch=False, output=tmp_path / "c.xlsx")
    by_unit = {d.unit: d for d in run.drafts}
    assert set(by_unit) == {"500101", "500102"}
    fl_body = email.message_from_bytes(by_unit["500102"].raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "邮件没有附件" in fl_body and "附件《" not in fl_body
    wz_body = email.message_from_bytes(by_unit["500101"].raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "附件为链接" in wz_body and "附件《2026-11_万州区科协（已校验）.xlsx》" in wz_body
    drafts_agree_with_store(run.drafts, ctx.settings.paths.store)
    fates = {(r["文件"], r["状态"]) for r in ledger(tmp_path / "c.xlsx")}
    assert ("2026-11_万州区科协.xlsx", C.ADOPTED) in fates  # the workbook inside the forwarded message


# No input can stop the month


def xfd_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "活动编号"
    wb.active["XFD1048576"] = "x"
    wb.save(path)
    return path


def test_a_sheet_reaching_xfd1048576_is_one_finding(ctx, tmp_path: Path) -> None:
    bad = xfd_workbook(tmp_path / "xfd.xlsx")
    assert bad.stat().st_size < 20_000
    report = validate(bad, ctx)
    assert [(f.code, f.file) for f in report.findings] == [("file.too-large", "xfd.xlsx")]
    assert "XFD1048576" in report.findings[0].message


def test_a_reader_crash_costs_one_ledger_line(tmp_path: Path, monkeypatch) -> None:
    """With the size guard out of the way, the reader itself aborts the process it runs in: only that file fails."""
    monkeypatch.setattr("kexie_xl.files.guard.MAX_AREA", 10**15)  # inherited by the forked workers
    ctx, folder = two_units(tmp_path)
    xfd_workbook(folder / "坏文件.xlsx")
    result = consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    fates = {r["文件"]: (r["状态"], r["原因"]) for r in ledger(tmp_path / "c.xlsx")}
    assert fates["万州区科协_11月.xlsx"][0] == fates["涪陵区科协_11月.xlsx"][0] == C.ADOPTED
    assert fates["坏文件.xlsx"][0] == C.REJECTED and "异常终止" in fates["坏文件.xlsx"][1]
    assert result.counts.by_status == {C.ADOPTED: 2, C.REJECTED: 1}


def test_over_long_and_duplicate_names_lose_nothing(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr(f"{LONG}.xlsx", books["fl"])
        zf.writestr("after.txt", b"the member after the long one")
    inbox = tmp_path / "inbox"
    save(inbox, "long.eml", message("wz@units.example", "长名字", [Attachment(f"万州{LONG}.xlsx", books["wz"])]))
    save(inbox, "zip.eml", message("fl@units.example", "压缩包", [Attachment("涪陵.zip", packed.getvalue())]))
    save(
        inbox,
        "same.eml",
        message(
            "wz@units.example",
            "同名",
            [Attachment("月报.xlsx", books["wz"]), Attachment("月报.xlsx", books["wz_bad"])],
            sent=DAY + timedelta(days=1),
        ),
    )
    run_month(ctx, "2026-11", sources=[inbox], fetch=False, output=tmp_path / "c.xlsx")
    rows = ledger(tmp_path / "c.xlsx")
    names = [r["文件"] for r in rows]
    assert f"万州{LONG}.xlsx" in names and f"{LONG}.xlsx" in names and "after.txt" in names
    same = [r for r in rows if r["文件"] == "月报.xlsx"]
    assert len(same) == 2 and len({r["SHA-256"] for r in same}) == 2  # two attachments, two inputs
    archive = Archive(ctx.settings.paths.archive_root(ctx.settings.paths.store))
    for r in rows:
        if r["SHA-256"]:
            assert archive.find(r["SHA-256"]) is not None
    drafts = list((tmp_path / "archive" / "2026-11" / "反馈").rglob("*.xlsx"))
    assert drafts and all(len(p.name.encode()) <= 255 and p.suffix == ".xlsx" for p in drafts)


def test_a_date_in_the_future_does_not_win(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    inbox = tmp_path / "inbox"
    received = DAY
    save(
        inbox,
        "old.eml",
        message("wz@units.example", "旧版", [Attachment("旧版.xlsx", books["wz_bad"])], sent=datetime(2100, 1, 1, tzinfo=TZ)),
        mtime=received,
    )
    save(
        inbox,
        "new.eml",
        message("wz@units.example", "更正", [Attachment("更正.xlsx", books["wz"])], sent=DAY + timedelta(days=2)),
        mtime=DAY + timedelta(days=2, minutes=1),
    )
    consolidate_month([inbox], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    fates = {r["文件"]: r for r in ledger(tmp_path / "c.xlsx")}
    assert fates["更正.xlsx"]["状态"] == C.ADOPTED
    assert fates["旧版.xlsx"]["状态"] == C.SUPERSEDED
    assert "晚于收到时间" in fates["旧版.xlsx"]["原因"] and fates["旧版.xlsx"]["接收时间"].startswith("2026-11-15")


def test_several_addresses_in_from_are_held(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    raw = message("wz@units.example", "两个发件人", [Attachment("万州.xlsx", books["wz"])])
    raw = raw.replace(b"From: ", b"From: other@else.example, ", 1)
    save(tmp_path / "inbox", "two.eml", raw)
    consolidate_month([tmp_path / "inbox"], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    (row,) = ledger(tmp_path / "c.xlsx")
    assert row["状态"] == C.QUARANTINED and "多个地址" in row["原因"]


# Intake never takes in its own outputs


def test_the_office_folder_is_not_taken_in_twice(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)  # archive = tmp_path/archive
    books = workbooks(ctx, tmp_path)
    inbox = tmp_path / "inbox"
    save(inbox, "stranger.eml", message("who@else.example", "陌生人", [Attachment("万州区科协月报.xlsx", books["wz"])]))
    first = consolidate_month([inbox], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert first.counts.by_status == {C.QUARANTINED: 1}
    for made in (tmp_path / "made").iterdir():
        made.unlink()
    (tmp_path / "made" / "上月全市月报.xlsx").write_bytes((tmp_path / "c.xlsx").read_bytes())
    again = consolidate_month([tmp_path], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", force=True)
    assert again.counts.by_status.get(C.ADOPTED, 0) == 0  # the held attachment is not adopted as a plain file
    reasons = {r["文件"]: r["原因"] for r in ledger(tmp_path / "c.xlsx")}
    assert "归档目录" in reasons["archive/"]
    assert "本次运行自己的输出文件" in reasons["s.db"] and "本次运行自己的输出文件" in reasons["c.xlsx"]
    assert reasons["上月全市月报.xlsx"] == "kexie_xl 生成的全市月报，已跳过"


# The store


def test_store_problems_are_one_message(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    not_db = tmp_path / "notes.sqlite"
    not_db.write_bytes(b"hello, this is not a database" * 100)
    with pytest.raises(StoreError, match="不是 kexie_xl 汇总库"):
        consolidate_month([tmp_path / "units.toml"], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=not_db)
    assert not_db.read_bytes().startswith(b"hello")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="别的 SQLite"):
        Store(other)
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    db = sqlite3.connect(newer)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="更新版本"):
        Store(newer)
    assert StoreError.exit_code == 2
    damaged = tmp_path / "damaged.sqlite"
    store = Store(damaged)
    with store.write():
        store.db.executemany("INSERT INTO meta VALUES (?, ?)", [(f"k{n}", "x" * 2000) for n in range(200)])
    store.close()
    data = damaged.read_bytes()
    damaged.write_bytes(data[:4096] + b"\xff" * (len(data) - 4096))  # the header page intact, the rest garbage
    with pytest.raises(StoreError, match=r"已损坏|不是 kexie_xl 汇总库"):
        Store(damaged)


def test_a_new_template_column_needs_no_store_edit(tmp_path: Path, monkeypatch) -> None:
    import kexie_xl.consolidate.store as store_module

    path = tmp_path / "s.db"
    Store(path).close()
    tables = dict(store_module.ROW_TABLES)
    tables["activities"] = (*tables["activities"], "new_column")
    monkeypatch.setattr(store_module, "ROW_TABLES", tables)
    store = Store(path)
    columns = {r[1] for r in store.db.execute('PRAGMA table_info("activities")')}
    store.close()
    assert "new_column" in columns


def test_a_version_1_store_is_migrated_and_keeps_every_row(tmp_path: Path) -> None:
    ctx, folder = two_units(tmp_path, wz="wz_bad")
    store_path = tmp_path / "s.db"
    consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=store_path)
    before = Store(store_path).fingerprint()
    _downgrade_to_v1(store_path, folder)
    archive = Archive(ctx.settings.paths.archive_root(store_path))
    for objects in archive.objects.glob("*/*.xlsx"):
        objects.unlink()  # as a v1 archive: the files are only where the v1 store's paths point
    store = Store(store_path, keep_file=lambda p: archive.put_file(p))
    after = store.fingerprint()
    version = store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    store.close()
    assert version == "2" and after == before
    assert list(tmp_path.glob("s.v1-备份.db"))
    assert len(list(archive.objects.glob("*/*.xlsx"))) == 2


def _downgrade_to_v1(store_path: Path, folder: Path) -> None:
    """The layout kexie_xl wrote before the archive owned the files: inputs with a `path`, version 1."""
    db = sqlite3.connect(store_path)
    db.execute("ALTER TABLE inputs ADD COLUMN path TEXT")
    for row_id, name in db.execute("SELECT id, name FROM inputs").fetchall():
        db.execute("UPDATE inputs SET path = ? WHERE id = ?", (str(folder / name), row_id))
    db.execute(
        "CREATE TABLE inputs_old AS SELECT id, month, name, source, received, sha256, sender, submission_id, "
        "status, reason, path FROM inputs"
    )
    db.execute("DROP TABLE inputs")
    db.execute("ALTER TABLE inputs_old RENAME TO inputs")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()


def test_one_run_per_store(tmp_path: Path, monkeypatch) -> None:
    ctx = registry_ctx(tmp_path)
    store_path = tmp_path / "s.db"
    said: list[str] = []
    with store_lock(store_path), pytest.raises(Busy, match="另一个 kexie-xl"):
        consolidate_month(
            [tmp_path / "units.toml"],
            ctx,
            "2026-11",
            output=tmp_path / "c.xlsx",
            store_path=store_path,
            on_wait=said.append,
            lock_wait=0.3,
        )
    assert said and "等待" in said[0]
    assert not store_path.exists() or Store(store_path).fingerprint() == []


def test_run_without_a_mailbox_says_so(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    with pytest.raises(ConfigError, match=r"\[mail\.imap\]"):
        run_month(ctx, "2026-11", output=tmp_path / "c.xlsx")


def test_a_message_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    inbox = tmp_path / "inbox"
    save(inbox, "broken.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # an Outlook header, nothing behind
    save(inbox, "ok.eml", message("wz@units.example", "万州", [Attachment("万州.xlsx", books["wz"])]))
    for _ in range(2):  # and it does not block the next run either
        result = consolidate_month([inbox], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", force=True)
        assert result.counts.by_status == {C.ADOPTED: 1, C.UNIDENTIFIED: 1}
    reasons = {r["文件"]: r["原因"] for r in ledger(tmp_path / "c.xlsx")}
    assert "无法读取邮件文件" in reasons["broken.msg"] or "邮件无法处理" in reasons["broken.msg"]


def test_raw_utf8_attachment_names_are_not_mojibake() -> None:
    from kexie_xl.mail.parse import parse_eml

    for codec in ("utf-8", "gbk"):
        name = "2026-11_万州区科协_月报.xlsx".encode(codec)
        raw = (
            b"From: a@units.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\n"
            b'Content-Type: application/octet-stream; name="' + name + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--B--\r\n"
        )
        assert [a.name for a in parse_eml(raw).attachments] == ["2026-11_万州区科协_月报.xlsx"], codec


def test_a_full_disk_while_storing_rolls_back_with_one_message(demo, tmp_path: Path, monkeypatch) -> None:
    from kexie_xl.api import load_context

    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    folder = out / "workbooks"
    store_path = tmp_path / "s.db"
    Store(store_path).close()
    before = Store(store_path).fingerprint()
    opened = Store._open

    def full_disk(self, keep_file):  # SQLite's own "database or disk is full" once the file may not grow
        opened(self, keep_file)
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(Store, "_open", full_disk)
    with pytest.raises(StoreError, match="磁盘空间不足"):
        consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=store_path)
    monkeypatch.setattr(Store, "_open", opened)
    assert Store(store_path).fingerprint() == before and not (tmp_path / "c.xlsx").exists()


def test_cli_batches_survive_a_crashing_file_and_say_why_a_store_is_unusable(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from kexie_xl.cli import cli

    monkeypatch.setattr("kexie_xl.files.guard.MAX_AREA", 10**15)
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    good = save(tmp_path / "in", "万州区科协_11月.xlsx", books["wz"])
    bad = xfd_workbook(tmp_path / "in" / "坏文件.xlsx")
    runner = CliRunner()
    res = runner.invoke(
        cli, ["--config", str(tmp_path / "kexie.toml"), "validate", str(good), str(bad), "--no-mark", "--format", "json"]
    )
    assert res.exit_code == 2, res.output
    reports = {r["file"]: r for r in json.loads(res.output)}
    assert reports["万州区科协_11月.xlsx"]["readable"] and not reports["坏文件.xlsx"]["readable"]
    assert "异常终止" in reports["坏文件.xlsx"]["findings"][0]["message"]
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 50)
    res = runner.invoke(
        cli,
        [
            "consolidate",
            str(tmp_path / "in"),
            "--month",
            "2026-11",
            "--store",
            str(tmp_path / "junk.db"),
            "-o",
            str(tmp_path / "c.xlsx"),
            "--config",
            str(tmp_path / "kexie.toml"),
        ],
    )
    assert res.exit_code == 2 and res.output.startswith("错误：") and "不是 kexie_xl 汇总库" in res.output
    assert "Traceback" not in res.output


def test_workers_started_as_on_windows_give_the_same_report(demo) -> None:
    """Windows and macOS spawn their workers: the context and the job must travel by pickle."""
    from kexie_xl.api import check_workbook, load_context
    from kexie_xl.api.checking import _check_job
    from kexie_xl.api.workers import _init_worker
    from kexie_xl.files.isolate import Limits, run_isolated

    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    path = out / next(f["path"] for f in manifest["files"] if f["findings"])
    day = datetime(2026, 11, 30).date()
    ((_job, checked),) = run_isolated(
        _check_job,
        [(path, day, None, None, True)],
        limits=Limits(start_method="spawn"),
        initializer=_init_worker,
        initargs=(ctx,),
    )
    report, sub = check_workbook(path, ctx, as_of=day)
    assert checked.report.flatten(("code", "sheet", "cell")) == report.flatten(("code", "sheet", "cell")) != []
    assert sub is not None and checked.submission is not None
    assert [r.values for r in checked.submission.rows("activities")] == [r.values for r in sub.rows("activities")] != []


def test_only_callers_that_read_the_submission_get_it_back(demo) -> None:
    """The worker pickles a workbook's typed rows back only for validate_many (quarterly, the clerk page's grids):
    `validate --no-mark` has no use for them, and a 10,000-row ledger costs ~0.2 s each way."""
    from kexie_xl.api import check_files, load_context, validate_many

    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    path = out / manifest["files"][0]["path"]
    day = datetime(2026, 11, 30).date()
    ((_p, checked),) = check_files([path], ctx, as_of=day)
    ((_q, report, sub),) = validate_many([path], ctx, as_of=day)
    assert checked.submission is None and checked.report.flatten(("code", "cell")) == report.flatten(("code", "cell"))
    assert sub is not None and sub.rows("activities")


def test_reply_subjects_read_back_exactly(tmp_path: Path) -> None:
    from kexie_xl.mail.compose import compose

    subject = "大渡口区科协 2026-11 科技志愿服务月报校验结果"
    raw = compose(
        sender=("宣传文化部", "kx@example.cn"), to="a@b.c", subject=subject, body="正文", sent=DAY, message_id="<x@example.cn>"
    )
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def test_a_file_that_cannot_be_read_is_one_line_and_a_full_archive_stops_cleanly(tmp_path: Path, monkeypatch) -> None:
    import errno

    from kexie_xl.errors import OutputError

    ctx, folder = two_units(tmp_path, second="坏盘上的文件.xlsx")
    put_file = Archive.put_file

    def flaky(self, source, name=None):
        if source.name == "坏盘上的文件.xlsx":
            raise OSError(errno.EIO, "Input/output error")
        return put_file(self, source, name)

    monkeypatch.setattr(Archive, "put_file", flaky)
    result = consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert result.counts.by_status == {C.ADOPTED: 1, C.UNIDENTIFIED: 1}
    assert "无法读取" in {r["文件"]: r["原因"] for r in ledger(tmp_path / "c.xlsx")}["坏盘上的文件.xlsx"]

    def full(self, source, name=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Archive, "put_file", full)
    with pytest.raises(OutputError, match="归档目录"):
        consolidate_month([folder], ctx, "2026-11", output=tmp_path / "d.xlsx", store_path=tmp_path / "s.db")
    assert not (tmp_path / "d.xlsx").exists()


def test_rows_reach_the_store_when_no_staging_file_can_be_made(tmp_path: Path, monkeypatch) -> None:
    """The workers stage the rows in a scratch file in the temp folder; without one they hand the rows over."""
    import tempfile

    ctx, folder = two_units(tmp_path)
    staged = consolidate_month([folder], ctx, "2026-11", output=tmp_path / "a.xlsx", store_path=tmp_path / "a.db")
    made = tempfile.TemporaryDirectory

    def full_disk(*args, **kwargs):  # the staging folder cannot be made (xlsxwriter's own temp files still can)
        if kwargs.get("prefix") == "kexie-staging-":
            raise OSError(28, "No space left on device")
        return made(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryDirectory", full_disk)
    handed = consolidate_month([folder], ctx, "2026-11", output=tmp_path / "b.xlsx", store_path=tmp_path / "b.db")
    assert staged.counts.by_status == handed.counts.by_status == {C.ADOPTED: 2}
    rows = [Store(tmp_path / db).fingerprint() for db in ("a.db", "b.db")]
    assert rows[0] == rows[1] and sum(1 for r in rows[0] if len(r) > 15) > 10  # the same rows, and many of them
    assert ledger(tmp_path / "a.xlsx") == ledger(tmp_path / "b.xlsx")


def test_a_mistyped_source_makes_no_store_and_no_archive(tmp_path: Path) -> None:
    from kexie_xl.errors import InputMissing

    ctx = registry_ctx(tmp_path)
    missing = tmp_path / "收件" / "没有这个文件夹"
    with pytest.raises(InputMissing, match=f"找不到「{missing}」"):
        consolidate_month([missing], ctx, "2026-11", output=tmp_path / "out" / "c.xlsx", store_path=tmp_path / "db" / "s.db")
    assert not (tmp_path / "db").exists() and not (tmp_path / "out").exists()


def test_the_archive_finds_a_kept_object_by_its_content_only(tmp_path: Path) -> None:
    """Archive.find: the object whose name starts with the digest and a dot, never a half-written `.part`, never
    another digest sharing the folder (the first two hex digits) or a name that only begins with it."""
    archive = Archive(tmp_path / "archive")
    digest, kept = archive.put_bytes(b"PK-not-really", "a.xlsx")
    folder = kept.parent
    assert archive.find(digest) == kept and kept.name.startswith(f"{digest}.")
    other = digest[:2] + "0" * 62 if digest[2:] != "0" * 62 else digest[:2] + "1" * 62
    (folder / f"{other}.xlsx").write_bytes(b"x")
    (folder / f"{digest}0.xlsx").write_bytes(b"x")  # longer than a digest: another name
    assert archive.find(other) == folder / f"{other}.xlsx" and archive.find(digest) == kept
    kept.rename(folder / f"{digest}.123.part")
    assert archive.find(digest) is None and archive.find("ff" + "0" * 62) is None
