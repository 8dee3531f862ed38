"""Edge adapter (mail): feedback to a unit — what was received, what was decided, the findings, how to fix them,
with the marked workbook attached. Saved as a draft (.eml); sent through SMTP only when asked."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from ..consolidate.intake import MAX_NAME_BYTES, fit_bytes
from .account import open_smtp
from .compose import Attachment, compose


@dataclass(frozen=True)
class Received:
    """One file the unit sent this month, with the decision on it."""

    name: str
    received: str
    status: str
    reason: str
    received_by: str = ""  # what the time rests on (邮件日期, 服务器收到时间, 文件修改时间, …)
    format: str = ""  # what the file is (Excel 工作簿, OpenDocument 电子表格, …)


@dataclass
class Draft:
    unit: str
    unit_name: str
    to: str
    path: Path
    raw: bytes
    sent: bool = False


def safe_address(address: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "@._-" else "_" for ch in address)


def feedback_text(
    unit_name: str,
    month: str,
    received: Sequence[Received],
    findings: Sequence[dict[str, Any]],
    settings: Settings,
    attachment: str = "",
    deadline: tuple[str, str, str] | None = None,
) -> str:
    """The reply's text: what was received and decided, the findings, and — only when a marked workbook is
    attached (`attachment`: its name) — how to read it. Every statement agrees with what is attached."""
    year, mon = month.split("-")
    errors = sum(1 for f in findings if f["severity"] == "错误")
    warnings = len(findings) - errors
    lines = [
        f"{unit_name}：",
        "",
        f"    {settings.receiver.department}已收到你单位 {year} 年 {int(mon)} 月科技志愿服务月报相关邮件/文件：",
    ]
    for r in received:
        outcome = r.status + (f"（{r.reason}）" if r.reason else "")
        by = f"（{r.received_by}）" if r.received_by else ""
        kind = f"（{r.format}）" if r.format else ""
        lines.append(f"    ·《{r.name}》{kind}，收到时间 {r.received or '—'}{by}，处理结果：{outcome}")
    if deadline is not None and deadline[0] != "未报":
        status, when, by = deadline
        basis = f"依据{by} {when}" if by else f"依据 {when}"
        if status == "未核实":
            basis += "，只有文件修改时间，不能证明何时报送，不计逾期"
        lines.append(f"    按每月 {settings.report.deadline_day} 日截止判断：{status}（{basis}）。")
    if findings:
        lines += ["", f"    经校验，发现错误 {errors} 处、警告 {warnings} 处："]
        for n, f in enumerate(findings, start=1):
            lines.append(f"    {n}. 【{f['severity']}】{f['message']}。{f['fix']}")
    lines.append("")
    if attachment:
        lines.append(
            f"    附件《{attachment}》是标注了问题的工作簿：问题单元格已标色（红色为错误、黄色为警告）并加了批注，"
            "全部问题见其中的「校验结果」工作表。"
        )
    elif findings:
        lines.append("    本邮件没有附带标注的工作簿（文件无法读取或不能直接标注），请按上述说明处理。")
    refused = [r for r in received if r.status in ("退回", "无法识别")]
    if refused:
        lines.append(f"    以上「{refused[0].status}」的文件未计入本月汇总，请按原因处理后重新报送。")
    lines += [
        f"    请修改「错误」后于每月 {settings.report.deadline_day} 日前重新报送；「警告」请核对，情况属实的可在备注中说明。"
        if findings
        else f"    请于每月 {settings.report.deadline_day} 日前报送。",
        "",
        settings.receiver.department,
        f"联系人：{settings.receiver.contact}　电话：{settings.receiver.phone}",
    ]
    return "\n".join(lines)


def build_draft(
    *,
    unit: str,
    unit_name: str,
    to: str,
    month: str,
    received: Sequence[Received],
    findings: Sequence[dict[str, Any]],
    attachment: Path | None,
    settings: Settings,
    sender: str,
    in_reply_to: str,
    folder: Path,
    deadline: tuple[str, str, str] | None = None,
) -> Draft:
    body = feedback_text(unit_name, month, received, findings, settings, attachment.name if attachment else "", deadline)
    subject = f"{unit_name} {month} 科技志愿服务月报校验结果"
    files = [Attachment(attachment.name, attachment.read_bytes())] if attachment else []
    stamp = datetime.now().astimezone().replace(microsecond=0)
    digest = hashlib.sha256(f"{unit}{month}{body}".encode()).hexdigest()[:16]
    raw = compose(
        sender=(settings.receiver.department, sender),
        to=to,
        subject=subject,
        body=body,
        sent=stamp,
        message_id=f"<kexie-{digest}@{sender.split('@')[-1] or 'localhost'}>",
        attachments=files,
        in_reply_to=in_reply_to,
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / fit_bytes(f"{unit}_{unit_name}_{safe_address(to)}_反馈.eml", MAX_NAME_BYTES)
    tmp = path.with_name(f".~kexie-{os.getpid()}-{path.name}")
    tmp.write_bytes(raw)
    os.replace(tmp, path)
    return Draft(unit, unit_name, to, path, raw)


def send(drafts: Sequence[Draft], settings: Settings, sender: str) -> None:
    """Send the drafts through the configured SMTP account, one connection for all."""
    if settings.mail.smtp is None:
        from ..errors import ConfigError

        raise ConfigError("要发送反馈邮件，请在 kexie.toml 中配置 [mail.smtp]（地址、端口、账号）；密码用环境变量或钥匙串。")
    conn = open_smtp(settings.mail.smtp)
    try:
        for draft in drafts:
            conn.sendmail(sender, [draft.to], draft.raw)
            draft.sent = True
    finally:
        conn.quit()
