"""Verbs: the month as one run — fetch the mailbox → archive → validate → consolidate → feedback drafts → summary."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..errors import KexieError
from .checking import Progress, check_workbook, mark_workbook, team_quarters, today
from .consolidation import Consolidation, consolidate_month
from .workers import _init_worker, worker_context

if TYPE_CHECKING:
    pass

CHECKPOINTS = "imap-checkpoints.json"


@dataclass
class MonthRun:
    month: str
    fetched: int | None  # None: no mailbox configured
    consolidation: Consolidation
    drafts: list = field(default_factory=list)
    feedback_dir: Path | None = None
    mailbox: bool = True  # False: fetching was asked but no mailbox is configured

    def summary(self) -> str:
        lines = []
        if self.fetched is not None:
            lines.append(f"收取邮件：新邮件 {self.fetched} 封（已归档）")
        elif not self.mailbox:
            lines.append("收取邮件：未配置收件邮箱（kexie.toml 的 [mail.imap]），只处理了已归档的邮件和给出的来源")
        lines += self.consolidation.summary().splitlines()
        sent = sum(1 for d in self.drafts if d.sent)
        if self.drafts:
            lines.append(
                f"  反馈：{len(self.drafts)} 个单位"
                + (f"，已发送 {sent} 封" if sent else "（草稿，未发送）")
                + f"；在 {os.path.normpath(self.feedback_dir or '.')}"
            )
        else:
            lines.append("  反馈：没有需要反馈的单位")
        return "\n".join(lines)


def mail_folder(ctx: Context, month: str, store_path: Path | None = None) -> Path:
    """Where a month's messages are archived (and read from)."""
    return ctx.settings.paths.archive_root(store_path) / month / "邮件"


def run_month(
    ctx: Context,
    month: str,
    *,
    sources: list[Path] | None = None,
    fetch: bool = True,
    send: bool = False,
    output: Path | None = None,
    store_path: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
    received_at: datetime | None = None,
    received_times: dict[str, datetime] | None = None,
) -> MonthRun:
    from ..errors import ConfigError

    store_path = Path(os.path.abspath(store_path or ctx.settings.paths.store))
    archive_root = ctx.settings.paths.archive_root(store_path)
    folder = mail_folder(ctx, month, store_path)
    fetched = None
    if fetch and ctx.settings.mail.imap is None and not sources and not folder.is_dir():
        raise ConfigError(
            "没有配置收件邮箱：请在 kexie.toml 的 [mail.imap] 中填写 host、user（以及 port、security），"
            "密码用环境变量 KEXIE_XL_MAIL_PASSWORD 或系统钥匙串；只处理本地的邮件文件或文件夹时，"
            "请加 --no-fetch 并给出来源。"
        )
    if fetch and ctx.settings.mail.imap is not None:
        from ..mail.imap import fetch_month

        result = fetch_month(
            ctx.settings.mail.imap,
            ctx.settings.mail.mailbox,
            month,
            folder,
            archive_root / CHECKPOINTS,
            ctx.settings.report.timezone,
        )
        fetched = result.new
    folder.mkdir(parents=True, exist_ok=True)
    uploads = store_path.parent / "uploads" / month  # workbooks sent through the units' upload links (uploads.py)
    merged = consolidate_month(
        [folder, *(sources or []), *([uploads] if uploads.is_dir() else [])],
        ctx,
        month,
        output=output,
        store_path=store_path,
        force=force,
        progress=progress,
        on_wait=on_wait,
        received_at=received_at,
        received_times=received_times,
    )
    feedback_dir = archive_root / month / "反馈"
    deadline = {line.unit.code: (line.status, line.received, line.received_by) for line in merged.city.units}
    drafts = draft_feedback(ctx, month, store_path, feedback_dir, send=send, deadline=deadline)
    return MonthRun(month, fetched, merged, drafts, feedback_dir, mailbox=ctx.settings.mail.imap is not None or not fetch)


def draft_feedback(
    ctx: Context,
    month: str,
    store_path: Path,
    folder: Path,
    *,
    send: bool = False,
    deadline: dict[str, tuple[str, str, str]] | None = None,
) -> list:
    """A reply to every unit address that sent anything this month whose input was not adopted cleanly: the
    findings with the marked workbook attached, or the refusal (wrong month, unreadable, link only, no
    attachment, another unit's workbook) with its reason and what to do.

    The findings are the store's (what the ledger says); the marked copy is built from the archived file.
    Senders held as 待确认 (an address no unit is registered with) get no automatic reply: the office confirms
    them first; a folder file is answered at the unit's registered address.
    """
    from ..consolidate.store import Store
    from ..mail.reply import send as send_all

    store = Store(store_path)
    try:
        groups = _feedback_groups(ctx, store, month)
        history = _history(ctx, store, month, groups)
        plans = [
            plan
            for plan in (_plan(ctx, unit, items, history.get(unit, [])) for (unit, _to), items in sorted(groups.items()))
            if plan is not None
        ]
    finally:
        store.close()
    sender = _reply_from(ctx) if plans else ""
    archive = ctx.settings.paths.archive_root(store_path)
    drafts = _write_drafts(ctx, month, plans, archive, folder, sender, deadline or {}, store_path)
    if send and drafts:
        send_all(drafts, ctx.settings, sender)
    return drafts


@dataclass
class _Plan:
    unit: str
    unit_name: str
    items: list  # (input row, submission row or None)
    chosen: Any  # (input row, submission row) whose findings the reply lists (adopted, else the latest workbook)
    findings: list[dict]
    history: bool = False  # the findings include the adopted report's history.* findings (against earlier months)


def _feedback_groups(ctx: Context, store, month: str) -> dict[tuple[str, str], list]:
    from ..consolidate.intake import UPLOAD_SENDER
    from ..schema.city import QUARANTINED, SKIPPED

    year, mon = (int(p) for p in month.split("-"))
    first_day = date(year, mon, 1)
    groups: dict[tuple[str, str], list] = {}
    for row in store.inputs(month):
        if row["status"] in (QUARANTINED, SKIPPED):
            continue
        sub = store.submission(row["submission_id"]) if row["submission_id"] is not None else None
        address = row["sender"] or ""
        if "," in address:
            continue  # several addresses in From: nobody to answer with confidence
        unit = sub["unit"] if sub is not None and sub["unit"] else None
        if address.startswith(UPLOAD_SENDER):  # uploaded through the unit's link: answer its registered address
            unit, address = unit or address[len(UPLOAD_SENDER) :], _answer_to(ctx, address)
        if unit is None and address:
            found = ctx.registry.by_sender(address, first_day) or ctx.registry.by_sender(address)
            unit = found.code if found else None
        to = address or (_registered(ctx, unit) if unit else "")
        if unit and to:  # no unit or no address: the ledger and the city workbook show it all the same
            groups.setdefault((unit, to), []).append((row, sub))
    return {(unit, to): items for (unit, to), items in groups.items()}


def _history(ctx: Context, store, month: str, groups: dict[tuple[str, str], list]) -> dict[str, list[dict]]:
    """Per unit with an adopted report this month, its history findings (consolidate/history.py) as dicts."""
    from ..consolidate.history import month_histories
    from ..schema.city import ADOPTED

    adopted: dict[str, int] = {}
    for (unit, _to), items in groups.items():
        mine = [r for r, _s in items if r["status"] == ADOPTED]
        if mine and unit not in adopted:
            adopted[unit] = mine[-1]["submission_id"]
    found = month_histories(store, ctx.settings, ctx.template, adopted, month)
    return {unit: found.get(unit, []) for unit in adopted}


def _plan(ctx: Context, unit: str, items: list, history: list[dict]) -> _Plan | None:
    """Whether this address needs a reply, and what it says; None when everything it sent was adopted cleanly
    (and agrees with the unit's previous report)."""
    import json

    from ..schema.city import ADOPTED

    adopted = [(r, s) for r, s in items if r["status"] == ADOPTED]
    workbooks = [(r, s) for r, s in items if s is not None]
    chosen = adopted[-1] if adopted else (max(workbooks, key=lambda i: i[0]["received"]) if workbooks else None)
    refused_after = [
        r
        for r, _s in items
        if r["status"] not in (ADOPTED, "被替代") and (not adopted or r["received"] >= adopted[-1][0]["received"])
    ]
    clean = bool(adopted) and not (adopted[-1][1]["errors"] or adopted[-1][1]["warnings"] or history)
    if clean and not refused_after:
        return None
    sub = chosen[1] if chosen else None
    registered = ctx.registry.by_code(unit)
    name = (sub["unit_name"] if sub is not None and sub["unit_name"] else None) or (registered.name if registered else unit)
    findings = json.loads(sub["findings"]) if sub is not None else []
    with_history = bool(adopted) and bool(history)  # the adopted report is the one chosen
    return _Plan(unit, name, items, chosen, findings + history if with_history else findings, with_history)


def _write_drafts(
    ctx: Context,
    month: str,
    plans: list[_Plan],
    archive_root: Path,
    folder: Path,
    sender: str,
    deadline: dict[str, tuple[str, str, str]],
    store_path: Path | None = None,
) -> list:
    """Build the marked copies (each in a worker process, from the archived file), then the drafts. A reply that
    lists history findings has its copy marked with them too (the worker compares with the store, read-only)."""
    from ..consolidate.archive import Archive
    from ..consolidate.merge import format_label
    from ..files.isolate import Failed, run_isolated
    from ..mail.reply import Received, build_draft

    archive = Archive(archive_root)
    jobs = []
    for plan in plans:
        row = plan.chosen[0] if plan.chosen else None
        kept = archive.find(row["sha256"]) if row is not None and row["sha256"] else None
        history = (str(store_path), plan.unit) if plan.history and store_path is not None else ("", "")
        jobs.append(
            (
                kept,
                row["name"] if row is not None else "",
                row["received"][:10] if row is not None else "",
                folder / plan.unit,
                *history,
            )
            if kept is not None and plan.chosen[1]["readable"]
            else None
        )
    real = [job for job in jobs if job is not None]

    marked = dict(run_isolated(_feedback_job, real, initializer=_init_worker, initargs=(ctx,))) if real else {}
    drafts = []
    for plan, job in zip(plans, jobs, strict=True):
        result = marked.get(job) if job is not None else None
        attachment, findings = None, plan.findings
        if result is not None and not isinstance(result, Failed):
            attachment, rechecked = result
            if rechecked != plan.findings:  # settings changed since: reply with what the attachment shows
                findings = rechecked
        received = [
            Received(
                r["name"],
                (r["received"] or "")[:16].replace("T", " "),
                r["status"] or "",
                r["reason"] or "",
                r["received_by"] or "",
                format_label(r["name"]),
            )
            for r, _s in plan.items
        ]
        to = next((_answer_to(ctx, r["sender"]) for r, _s in plan.items if r["sender"]), "") or _registered(ctx, plan.unit)
        drafts.append(
            build_draft(
                unit=plan.unit,
                unit_name=plan.unit_name,
                to=to,
                month=month,
                received=received,
                findings=findings,
                attachment=attachment,
                settings=ctx.settings,
                sender=sender,
                in_reply_to="",
                folder=folder,
                deadline=deadline.get(plan.unit),
            )
        )
    return drafts


def _feedback_job(job: tuple[Path, str, str, Path, str, str]) -> tuple[Path | None, list[dict]]:
    """In a worker: check the archived file again (with its history findings when the reply lists them) and write
    its marked copy (named after the received name)."""
    ctx = worker_context()
    kept, name, day_text, out_dir, store, unit = job
    day = date.fromisoformat(day_text) if day_text else today(ctx)
    report, sub = check_workbook(kept, ctx, as_of=day, name=name)
    if store and sub is not None:
        from dataclasses import replace

        from ..consolidate.history import submission_history

        report = replace(
            report, findings=[*report.findings, *submission_history(Path(store), ctx.settings, sub, unit, report.findings)]
        )
    findings = [f.to_dict() for f in report.findings]
    if sub is None:
        return None, findings
    marked = mark_workbook(kept, report, as_of=day, statuses=team_quarters(sub, ctx, day), out_dir=out_dir, name=name)
    return marked, findings


def _answer_to(ctx: Context, sender: str) -> str:
    """Where a reply to this sender goes: its address, or for a unit's upload link that unit's registered one."""
    from ..consolidate.intake import UPLOAD_SENDER

    return _registered(ctx, sender[len(UPLOAD_SENDER) :]) if sender.startswith(UPLOAD_SENDER) else sender


def _registered(ctx: Context, unit: str) -> str:
    found = ctx.registry.by_code(unit)
    return found.senders[0] if found and found.senders else ""


def _reply_from(ctx: Context) -> str:
    mail = ctx.settings.mail
    if mail.reply_from:
        return mail.reply_from
    if mail.smtp is not None:
        return mail.smtp.user
    if ctx.settings.receiver.mailbox:
        return ctx.settings.receiver.mailbox
    raise KexieError("请在配置中填写反馈邮件的发件地址（[mail] reply_from）。")
