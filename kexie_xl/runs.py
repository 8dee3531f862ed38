"""The month as one run: fetch the mailbox → archive → validate → consolidate → feedback drafts → summary.

Verbs on top of api.py (the CLI's `kexie-xl run` and the ribbon's 收取邮件并汇总 call them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .api import Consolidation, Progress, check_workbook, consolidate_month, mark_workbook, team_quarters
from .context import Context
from .errors import KexieError
from .sample import DemoResult

CHECKPOINTS = "imap-checkpoints.json"


@dataclass
class MonthRun:
    month: str
    fetched: int | None  # None: no mailbox configured
    consolidation: Consolidation
    drafts: list = field(default_factory=list)
    feedback_dir: Path | None = None

    def summary(self) -> str:
        lines = []
        if self.fetched is not None:
            lines.append(f"收取邮件：新邮件 {self.fetched} 封（已归档）")
        lines += self.consolidation.summary().splitlines()
        sent = sum(1 for d in self.drafts if d.sent)
        if self.drafts:
            lines.append(f"  反馈：{len(self.drafts)} 个单位" + (f"，已发送 {sent} 封" if sent else "（草稿，未发送）")
                         + f"；在 {os.path.normpath(self.feedback_dir or '.')}")
        else:
            lines.append("  反馈：没有需要反馈的单位")
        return "\n".join(lines)


def demo_month(out: Path, ctx: Context, month: str, seed: int, progress: Progress | None = None) -> DemoResult:
    """The demo: generate the month and validate it (api.make_demo), then run the month on its .eml messages."""
    import json

    from .api import load_context, make_demo
    from .schema.city import CITY_FILENAME

    result = make_demo(out, ctx, month, seed, progress=progress)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    demo_ctx = load_context(out / manifest["config"])
    run = run_month(demo_ctx, manifest["month"], sources=[out / "mail"], fetch=False,
                    output=out / CITY_FILENAME.format(month=manifest["month"]), force=True)
    result.steps += run.summary().splitlines()
    return result


def mail_folder(ctx: Context, month: str) -> Path:
    """Where a month's messages are archived (and read from)."""
    return ctx.settings.paths.archive / month / "邮件"


def run_month(ctx: Context, month: str, *, sources: list[Path] | None = None, fetch: bool = True, send: bool = False,
              output: Path | None = None, store_path: Path | None = None, force: bool = False,
              progress: Progress | None = None) -> MonthRun:
    fetched = None
    folder = mail_folder(ctx, month)
    if fetch and ctx.settings.mail.imap is not None:
        from .mail.imap import fetch_month

        result = fetch_month(ctx.settings.mail.imap, ctx.settings.mail.mailbox, month, folder,
                             ctx.settings.paths.archive / CHECKPOINTS, ctx.settings.report.timezone)
        fetched = result.new
    folder.mkdir(parents=True, exist_ok=True)
    merged = consolidate_month([folder, *(sources or [])], ctx, month, output=output, store_path=store_path,
                               force=force, progress=progress)
    feedback_dir = ctx.settings.paths.archive / month / "反馈"
    drafts = draft_feedback(ctx, month, store_path or ctx.settings.paths.store, feedback_dir, send=send)
    return MonthRun(month, fetched, merged, drafts, feedback_dir)


def draft_feedback(ctx: Context, month: str, store_path: Path, folder: Path, *, send: bool = False) -> list:
    """A reply to each unit (at the address it wrote from) whose files this month were refused or have findings.

    Files from unregistered addresses (待确认) get no automatic reply: the address may not be a unit at all.
    """
    from .consolidate.store import Store
    from .mail.reply import Received, build_draft
    from .mail.reply import send as send_all

    store = Store(store_path)
    try:
        groups: dict[tuple[str, str], list] = {}
        for row in store.inputs(month):
            if row["submission_id"] is None or row["status"] == "待确认":
                continue
            sub = store.submission(row["submission_id"])
            to = row["sender"] or _registered(ctx, sub["unit"] or "")
            if sub["unit"] and to:  # no address to reply to: the unit shows in the city workbook all the same
                groups.setdefault((sub["unit"], to), []).append((row, sub))
        drafts = []
        sender = _reply_from(ctx)
        for (unit, to), items in sorted(groups.items()):
            refused = any(row["status"] == "退回" for row, _sub in items)
            latest_row, latest_sub = max(items, key=lambda item: (item[0]["status"] == "采用", item[0]["received"]))
            if not refused and not (latest_sub["errors"] or latest_sub["warnings"]):
                continue
            received = [Received(r["name"], r["received"][:16].replace("T", " "), r["status"], r["reason"] or "")
                        for r, _s in items]
            attachment, findings = _marked(ctx, latest_row, folder / unit)
            drafts.append(build_draft(unit=unit, unit_name=latest_sub["unit_name"], to=to, month=month,
                                      received=received, findings=findings, attachment=attachment,
                                      settings=ctx.settings, sender=sender, in_reply_to="", folder=folder))
    finally:
        store.close()
    if send and drafts:
        send_all(drafts, ctx.settings, sender)
    return drafts


def _marked(ctx: Context, row, folder: Path) -> tuple[Path | None, list[dict]]:
    """The unit's workbook with its findings marked, and the findings (checked again from the archived file)."""
    path = Path(row["path"]) if row["path"] else None
    if path is None or not path.is_file():
        return None, []
    day = date.fromisoformat(row["received"][:10])
    report, sub = check_workbook(path, ctx, as_of=day)
    findings = [f.to_dict() for f in report.findings]
    if sub is None:
        return None, findings
    marked = mark_workbook(path, report, as_of=day, statuses=team_quarters(sub, ctx, day), out_dir=folder)
    return marked, findings


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
