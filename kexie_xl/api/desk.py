"""Verbs for the browser page (kexie-xl serve): check an upload without keeping it, and the office's month desk.

An upload is checked exactly as `kexie-xl validate` checks a file — the guard first, then the template check and
the quarter statuses, in a worker process with a time limit — but the bytes live in a temporary folder under a
fixed name (the clerk's file name is data, never a path) that is gone when the verb returns; the marked copy
comes back as bytes. The desk reads the store and the archive; it never writes either (the office's actions go
through run_month, which holds the store's lock).
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..errors import KexieError
from ..findings import Report
from .checking import SUBMISSION_NAME, check_workbook, mark_workbook, team_quarters, today, unmarkable_note
from .workers import _init_worker, worker_context

if TYPE_CHECKING:
    from ..rules.quarterly import QuarterStatus
    from .checking import Progress
    from .month import MonthRun

UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")  # what the readers check; the guard sniffs the content


# Check an upload


@dataclass
class UploadCheck:
    """One uploaded workbook checked: the report, its teams' quarters and the marked copy (bytes, or why not)."""

    report: Report
    statuses: list[QuarterStatus] = field(default_factory=list)
    marked: bytes | None = None
    marked_name: str = ""
    note: str = ""  # why there is no marked copy

    @property
    def expected_name(self) -> str:
        """The file name the template asks the month's report to be sent under (when unit and month are known)."""
        if not (self.report.unit and self.report.month):
            return ""
        return SUBMISSION_NAME.format(month=self.report.month, unit=self.report.unit)


def accepted_upload(name: str) -> bool:
    """Whether a file name has one of the suffixes the page takes (the content is still sniffed by the guard)."""
    return Path(name.replace("\\", "/")).suffix.lower() in UPLOAD_SUFFIXES


def upload_refusal(name: str) -> str:
    """The Chinese sentence for a file of a type the page does not take."""
    suffix = Path(name.replace("\\", "/")).suffix or "（没有扩展名）"
    return (
        f"「{name}」的类型 {suffix} 不能校验：只接受 Excel 工作簿（.xlsx、.xlsm、.xls、.xlsb）和 .ods；"
        "请在 Excel 或 WPS 中另存为 Excel 工作簿（*.xlsx）后再上传。"
    )


def check_upload(data: bytes, name: str, ctx: Context, *, as_of: date | None = None, seconds: float = 120) -> UploadCheck:
    """Check the bytes of one uploaded workbook named `name` (as the clerk's computer called it) and build its
    marked copy; nothing is left on disk when this returns. A crash, an abort or `seconds` exceeded in the worker
    is the file's finding, like in a batch."""
    from ..files.isolate import Failed, Limits, run_isolated
    from ..findings import make

    if not accepted_upload(name):
        raise KexieError(upload_refusal(name))
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    day = as_of or today(ctx)
    with tempfile.TemporaryDirectory(prefix="kexie-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"  # a fixed name: the clerk's file name never becomes a path
        path.write_bytes(data)
        job = (path, day, name, Path(tmp) / "marked")
        limits = Limits(seconds=seconds, workers=1)
        [(_job, result)] = list(run_isolated(_upload_job, [job], limits=limits, initializer=_init_worker, initargs=(ctx,)))
    if isinstance(result, Failed):
        return UploadCheck(Report(name, [make("file.unreadable", file=name, reason=result.reason)], [], readable=False))
    return result


def _upload_job(job: tuple[Path, date, str, Path]) -> UploadCheck:
    """In the worker: check, quarter statuses, marked copy read back as bytes (the folder is the caller's)."""
    ctx = worker_context()
    path, day, name, out_dir = job
    report, sub = check_workbook(path, ctx, as_of=day, name=name)
    if sub is None:
        return UploadCheck(report)
    statuses = team_quarters(sub, ctx, day)
    try:
        marked = mark_workbook(path, report, as_of=day, statuses=statuses, out_dir=out_dir, name=name)
    except KexieError as exc:
        return UploadCheck(report, statuses, note=str(exc))
    if marked is None:
        return UploadCheck(report, statuses, note=unmarkable_note(path))
    return UploadCheck(report, statuses, marked.read_bytes(), marked.name)


def warm_up(ctx: Context) -> None:
    """Load the checking code and build the template once in a long-running server, so that each worker
    process it forks starts with them (a check then costs the check, not the imports)."""
    from ..checks import check_grid  # noqa: F401
    from ..files import calamine, guard, marking  # noqa: F401
    from ..rules import quarterly  # noqa: F401

    _ = ctx.template


# The month's desk


@dataclass(frozen=True)
class DeskLine:
    """One unit due in the month, as the office sees it."""

    code: str
    name: str
    status: str  # 按时 / 逾期 / 未核实 / 未报 / 退回 / 待确认
    received: str = ""  # YYYY-MM-DD HH:MM
    received_by: str = ""
    file: str = ""
    errors: int | None = None
    warnings: int | None = None
    sha256: str = ""  # of the workbook shown (for its marked copy)
    reason: str = ""


@dataclass(frozen=True)
class MatrixRow:
    """One counted team (支队 by default) and its status in each quarter of the year so far."""

    unit: str
    team_id: str
    team_name: str
    quarters: dict[str, tuple[str, int]]  # "2026Q3" → (status, count)


@dataclass
class Desk:
    month: str
    deadline: date
    lines: list[DeskLine]
    other: list[dict[str, Any]]  # inputs that belong to no due unit (无法识别, 待确认 from unknown addresses…)
    quarters: list[str]
    matrix: list[MatrixRow]
    store_exists: bool
    city_workbook: Path | None
    feedback: list[str]  # file names of the feedback drafts of the month

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.status] = out.get(line.status, 0) + 1
        return out


def month_desk(ctx: Context, month: str, store_path: Path | None = None) -> Desk:
    """Every unit due in `month` with its status, time received, findings counts and the workbook shown, plus
    the 支队 × quarter matrix — read from the store (a store that does not exist yet means: nothing received)."""
    from ..config import parse_month

    year, mon = parse_month(month)
    month = f"{year}-{mon:02d}"
    store_path = Path(os.path.abspath(store_path or ctx.settings.paths.store))
    units = ctx.registry.active_in_month(year, mon)
    deadline = date(year, mon, ctx.settings.report.deadline_day)
    city = city_workbook_path(ctx, month, store_path)
    drafts = sorted(p.name for p in feedback_folder(ctx, month, store_path).glob("*.eml"))
    if not store_path.is_file():
        lines = [DeskLine(u.code, u.name, "未报") for u in units]
        return Desk(month, deadline, lines, [], [], [], False, None, drafts)
    from ..consolidate.store import Store

    store = Store(store_path)
    try:
        lines, other = _lines(store, ctx, units, month, deadline)
        quarters, matrix = _matrix(store, ctx, units, month)
    finally:
        store.close()
    return Desk(month, deadline, lines, other, quarters, matrix, True, city if city.is_file() else None, drafts)


def _lines(store: Any, ctx: Context, units: list[Any], month: str, deadline: date) -> tuple[list[DeskLine], list[dict]]:
    from ..consolidate.merge import deadline_status
    from ..schema.city import ADOPTED, MISSING, QUARANTINED, REJECTED, SUPERSEDED

    inputs = store.inputs(month)
    subs = {r["submission_id"]: store.submission(r["submission_id"]) for r in inputs if r["submission_id"] is not None}

    def unit_of(row: Any) -> str | None:
        sub = subs.get(row["submission_id"])
        return sub["unit"] if sub is not None else None

    due = {u.code for u in units}
    lines = []
    for unit in units:
        mine = [r for r in inputs if unit_of(r) == unit.code]
        accepted = [r for r in mine if r["status"] in (ADOPTED, SUPERSEDED)]
        adopted = [r for r in mine if r["status"] == ADOPTED]
        if adopted:
            status, decisive = deadline_status(accepted, deadline, ctx.settings.report.trust_file_times)
            lines.append(_line(unit, status, decisive, adopted[-1], subs))
            continue
        for word in (REJECTED, QUARANTINED):
            held = [r for r in mine if r["status"] == word]
            if held:
                lines.append(_line(unit, word, held[-1], held[-1], subs))
                break
        else:
            lines.append(DeskLine(unit.code, unit.name, MISSING))
    other = [
        {
            "file": r["name"],
            "status": r["status"] or "",
            "received": (r["received"] or "")[:16].replace("T", " "),
            "sender": r["sender"] or "",
            "reason": r["reason"] or "",
        }
        for r in inputs
        if unit_of(r) not in due and r["status"] not in (ADOPTED, SUPERSEDED)
    ]
    return lines, other


def _line(unit: Any, status: str, timed: Any, shown: Any, subs: dict[int, Any]) -> DeskLine:
    sub = subs.get(shown["submission_id"])
    return DeskLine(
        unit.code,
        unit.name,
        status,
        (timed["received"] or "")[:16].replace("T", " "),
        timed["received_by"] or "",
        shown["name"],
        sub["errors"] if sub is not None else None,
        sub["warnings"] if sub is not None else None,
        shown["sha256"] if sub is not None and sub["readable"] else "",
        shown["reason"] or "",
    )


def _matrix(store: Any, ctx: Context, units: list[Any], month: str) -> tuple[list[str], list[MatrixRow]]:
    """Every counted team's status per quarter of the year up to the month's end, across the months' adopted
    reports (the city workbook's own merge: its 季度达标 without leaving out the teams that met it)."""
    from ..consolidate.merge import merge_month

    statuses = merge_month(store, ctx.settings, units, month).team_quarters
    names = {u.code: u.name for u in units}
    rows: dict[tuple[str, str], MatrixRow] = {}
    quarters: set[str] = set()
    for s in statuses:
        row = rows.setdefault((s.unit, s.team_id), MatrixRow(names.get(s.unit, s.unit), s.team_id, s.team_name, {}))
        row.quarters[s.quarter] = (s.status, s.count)
        quarters.add(s.quarter)
    return sorted(quarters), sorted(rows.values(), key=lambda r: (r.unit, r.team_id))


# The office's outputs and actions


def city_workbook_path(ctx: Context, month: str, store_path: Path | None = None) -> Path:
    """Where the page's runs write the city workbook: beside the store (the office's own folder)."""
    from ..schema.city import CITY_FILENAME

    store_path = Path(os.path.abspath(store_path or ctx.settings.paths.store))
    return store_path.parent / CITY_FILENAME.format(month=month)


def feedback_folder(ctx: Context, month: str, store_path: Path | None = None) -> Path:
    """Where run_month writes the month's feedback drafts (and the marked copies they attach)."""
    return ctx.settings.paths.archive_root(store_path) / month / "反馈"


def feedback_zip(ctx: Context, month: str) -> bytes:
    """The month's feedback drafts and their marked copies as one .zip, built in memory."""
    folder = feedback_folder(ctx, month)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and not path.name.startswith(".~kexie"):
                zf.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def run_desk_month(ctx: Context, month: str, *, fetch: bool, progress: Progress | None = None) -> MonthRun:
    """收取邮件并汇总 / 汇总: the month from the archived mail (and the mailbox, with `fetch`) plus the folders of
    `[web] sources`, the city workbook beside the store (replaced: it is the office's own output), drafts."""
    from ..errors import ConfigError
    from .month import run_month

    if fetch and ctx.settings.mail.imap is None:
        raise ConfigError("没有配置收件邮箱（kexie.toml 的 [mail.imap]），请用「汇总」处理已归档的邮件和收件文件夹。")
    return run_month(
        ctx,
        month,
        sources=list(ctx.settings.web.sources),
        fetch=fetch,
        output=city_workbook_path(ctx, month),
        force=True,
        progress=progress,
    )


def send_desk_feedback(ctx: Context, month: str) -> list:
    """Send the month's feedback by SMTP (after the office confirmed on the page): the drafts are made again
    from the store, so what is sent is what the desk shows."""
    from ..errors import ConfigError
    from .month import draft_feedback

    if ctx.settings.mail.smtp is None:
        raise ConfigError("没有配置发信邮箱（kexie.toml 的 [mail.smtp]），反馈只能下载草稿后手工发送。")
    store_path = Path(os.path.abspath(ctx.settings.paths.store))
    desk = month_desk(ctx, month, store_path)
    deadline = {line.code: (line.status, line.received, line.received_by) for line in desk.lines if line.received}
    return draft_feedback(ctx, month, store_path, feedback_folder(ctx, month, store_path), send=True, deadline=deadline)


def marked_copy(ctx: Context, sha256: str, name: str, day: date | None = None) -> UploadCheck:
    """The marked copy of a workbook the office received (from the archive, by content), built like an upload's."""
    from ..consolidate.archive import Archive

    kept = Archive(ctx.settings.paths.archive_root()).find(sha256) if len(sha256) == 64 and sha256.isalnum() else None
    if kept is None:
        raise KexieError("归档中没有这份文件（可能已被清理）；请重新汇总后再试。")
    if not accepted_upload(name):
        name = f"{Path(name).stem or '报表'}{kept.suffix}"
    return check_upload(kept.read_bytes(), name, ctx, as_of=day)
