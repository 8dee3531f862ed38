"""逾期 only on evidence: a file's modification time is not a receipt time (issue #18)."""

from __future__ import annotations

import email
import hashlib
import json
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import openpyxl

from kexie_xl.api import Context, consolidate_month, read_received_times, run_month
from kexie_xl.mail.compose import Attachment
from kexie_xl.schema import city as C

from .test_mail_intake import registry_ctx
from .test_reliability import DAY, TZ, ledger, message, save, workbooks

LATE_DAY = datetime(2026, 11, 28, 9, 0, tzinfo=TZ)  # after the 23rd
ON_TIME_DAY = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)


def summary(city: Path) -> dict[str, tuple[str, str]]:
    rows = list(openpyxl.load_workbook(city, data_only=True)[C.SUMMARY].iter_rows(values_only=True))
    header = rows[3]
    lines = [dict(zip(header, r, strict=True)) for r in rows[4:] if r[2] and r[2] != "合计"]
    return {r["填报单位"]: (r["报送状态"], r["报送时间"]) for r in lines}


def folder_of_files(ctx: Context, tmp_path: Path, saved: datetime = LATE_DAY) -> Path:
    """Two units' workbooks saved into a folder after the deadline, as the office does every month."""
    books = workbooks(ctx, tmp_path)
    folder = tmp_path / "收件"
    save(folder, "万州区科协_11月.xlsx", books["wz"], mtime=saved)
    save(folder, "涪陵区科协_11月.xlsx", books["fl"], mtime=saved)
    return folder


def test_file_times_are_not_evidence(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    result = consolidate_month(
        [folder_of_files(ctx, tmp_path)], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db"
    )
    status = summary(tmp_path / "c.xlsx")
    assert status["万州区科协"][0] == status["涪陵区科协"][0] == C.UNVERIFIED
    assert {r["时间依据"] for r in ledger(tmp_path / "c.xlsx")} == {C.BY_FILE_TIME}
    text = result.summary()
    assert "逾期 0" in text and "报送时间未核实 2" in text and "--received-at" in text


def test_received_at_for_a_whole_folder(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    folder = folder_of_files(ctx, tmp_path)
    consolidate_month([folder], ctx, "2026-11", output=tmp_path / "a.xlsx", store_path=tmp_path / "a.db", received_at=ON_TIME_DAY)
    assert {s for s, _t in summary(tmp_path / "a.xlsx").values() if s != C.MISSING} == {C.ON_TIME}
    consolidate_month([folder], ctx, "2026-11", output=tmp_path / "b.xlsx", store_path=tmp_path / "b.db", received_at=LATE_DAY)
    status = summary(tmp_path / "b.xlsx")
    assert status["万州区科协"] == (C.LATE, "2026-11-28 09:00")
    assert {r["时间依据"] for r in ledger(tmp_path / "b.xlsx")} == {C.BY_GIVEN}


def test_a_csv_of_receipt_times_by_name_or_sha256(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    folder = folder_of_files(ctx, tmp_path)
    fl_sha = hashlib.sha256((folder / "涪陵区科协_11月.xlsx").read_bytes()).hexdigest()
    csv = tmp_path / "接收时间.csv"
    csv.write_bytes(
        "文件,接收时间\r\n万州区科协_11月.xlsx,2026/11/20 09:30\r\n".encode("gb18030") + f"{fl_sha},2026-11-25\r\n".encode()
    )
    times = read_received_times(csv, ctx)
    assert times["万州区科协_11月.xlsx"] == datetime(2026, 11, 20, 9, 30, tzinfo=TZ)
    consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", received_times=times)
    status = summary(tmp_path / "c.xlsx")
    assert status["万州区科协"] == (C.ON_TIME, "2026-11-20 09:30")
    assert status["涪陵区科协"] == (C.LATE, "2026-11-25 00:00")


def test_a_later_run_with_evidence_replaces_the_file_time(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    folder = folder_of_files(ctx, tmp_path)
    consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    consolidate_month(
        [folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db", received_at=ON_TIME_DAY, force=True
    )
    assert summary(tmp_path / "c.xlsx")["万州区科协"][0] == C.ON_TIME


def test_mail_dates_decide_and_reach_files_saved_beside_them(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    folder = tmp_path / "收件"
    late = message("fl@units.example", "涪陵", [Attachment("涪陵区科协_11月.xlsx", books["fl"])], sent=LATE_DAY)
    save(folder, "涪陵.eml", late, mtime=LATE_DAY + timedelta(days=3))
    on_time = message("wz@units.example", "万州", [Attachment("万州区科协_11月.xlsx", books["wz"])], sent=DAY)
    save(folder, "万州.eml", on_time, mtime=LATE_DAY + timedelta(days=3))
    save(folder, "万州区科协_11月.xlsx", books["wz"], mtime=LATE_DAY + timedelta(days=3))  # saved from that mail
    consolidate_month([folder], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    status = summary(tmp_path / "c.xlsx")
    assert status["万州区科协"] == (C.ON_TIME, "2026-11-15 10:00")
    assert status["涪陵区科协"] == (C.LATE, "2026-11-28 09:00")
    saved = next(r for r in ledger(tmp_path / "c.xlsx") if r["来源"].startswith("文件夹"))
    assert saved["时间依据"] == C.BY_MAIL_DATE and saved["接收时间"] == "2026-11-15 10:00"


def test_a_message_without_date_uses_the_servers_time_or_stays_unverified(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    raw = message("wz@units.example", "万州", [Attachment("万州区科协_11月.xlsx", books["wz"])])
    raw = b"\r\n".join(line for line in raw.split(b"\r\n") if not line.startswith(b"Date: "))
    mail = ctx.settings.paths.archive_root(ctx.settings.paths.store) / "2026-11" / "邮件"
    save(mail, "x.eml", raw, mtime=LATE_DAY)
    consolidate_month([mail], ctx, "2026-11", output=tmp_path / "a.xlsx", store_path=tmp_path / "a.db")
    assert summary(tmp_path / "a.xlsx")["万州区科协"][0] == C.UNVERIFIED  # a saved file's time only
    (mail / ".server-times.json").write_text(json.dumps({hashlib.sha256(raw).hexdigest(): ON_TIME_DAY.isoformat()}))
    consolidate_month([mail], ctx, "2026-11", output=tmp_path / "b.xlsx", store_path=tmp_path / "b.db")
    assert summary(tmp_path / "b.xlsx")["万州区科协"] == (C.ON_TIME, "2026-11-20 09:00")
    assert {r["时间依据"] for r in ledger(tmp_path / "b.xlsx")} == {C.BY_SERVER}


def test_the_decision_and_its_basis_reach_the_unit(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path)
    books = workbooks(ctx, tmp_path)
    folder = tmp_path / "收件"
    save(folder, "万州区科协_11月.xlsx", books["wz_bad"], mtime=LATE_DAY)
    run = run_month(ctx, "2026-11", sources=[folder], fetch=False, output=tmp_path / "c.xlsx")
    (draft,) = run.drafts
    body = email.message_from_bytes(draft.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "（文件修改时间）" in body and "按每月 23 日截止判断：未核实" in body and "不计逾期" in body


def test_trusting_file_times_is_a_setting(tmp_path: Path) -> None:
    ctx = registry_ctx(tmp_path, "[report]\ntrust_file_times = true\n")
    consolidate_month([folder_of_files(ctx, tmp_path)], ctx, "2026-11", output=tmp_path / "c.xlsx", store_path=tmp_path / "s.db")
    assert summary(tmp_path / "c.xlsx")["万州区科协"][0] == C.LATE
