"""Stage ⑤: the intake ledger — what becomes of every input: 采用 / 被替代 / 退回 / 无法识别, and why.

The decision is recomputed over all of the month's inputs on every run, so it does not depend on the order the
files arrived in a folder: per unit, the latest received wins; everything else is kept and says why it lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ..schema.city import ADOPTED, QUARANTINED, REJECTED, SUPERSEDED, UNIDENTIFIED
from ..schema.units import Registry, Unit, name_key
from .intake import UPLOAD_SENDER


@dataclass(frozen=True)
class Decision:
    input_id: int
    status: str
    reason: str


def unit_from_name(file_name: str, registry: Registry, year: int, month: int) -> Unit | None:
    """The unit a file name mentions (万州区科协_11月.xlsx → 万州区科协), the longest match winning."""
    key = name_key(file_name)
    best: tuple[int, Unit] | None = None
    for unit in registry.active_in_month(year, month):
        for name in unit.names:
            n = name_key(name)
            if len(n) >= 2 and n in key and (best is None or len(n) > best[0]):
                best = (len(n), unit)
    return best[1] if best else None


def decide(
    inputs: list[sqlite3.Row],
    submissions: dict[int, sqlite3.Row],
    month: str,
    due: set[str],
    strict: bool,
    sender_unit: Callable[[str], tuple[str, str] | None] = lambda _s: None,
    accept_unknown_senders: bool = True,
) -> list[Decision]:
    """Decisions for every input of `month` (inputs sorted by received time).

    A mailed workbook is also checked against its sender: an address no unit is registered with is 待确认
    (unless configured to accept), an address registered for another unit than the workbook names is 退回.
    """
    decisions: list[Decision] = []
    candidates: dict[str, list[sqlite3.Row]] = {}
    for row in inputs:
        if row["submission_id"] is None:
            continue  # not a workbook: decided when it was recorded
        sub = submissions[row["submission_id"]]
        reason = _rejection(sub, month, due, strict)
        if reason is None and row["sender"] and "," in row["sender"]:
            decisions.append(
                Decision(
                    row["id"], QUARANTINED, f"发件人一栏有多个地址（{row['sender']}），无法确定是哪个单位发送的，请确认后再汇总"
                )
            )
            continue
        if reason is None and row["sender"]:
            owner = sender_unit(row["sender"])
            if owner is None and not accept_unknown_senders:
                decisions.append(
                    Decision(
                        row["id"],
                        QUARANTINED,
                        f"发件地址 {row['sender']} 未在单位名录登记，请确认后登记该地址（或在配置中允许）再汇总",
                    )
                )
                continue
            if owner is not None and sub["unit"] and owner[0] != sub["unit"]:
                via = (
                    f"通过「{owner[1]}」的专用上传链接上传"
                    if row["sender"].startswith(UPLOAD_SENDER)
                    else f"发件地址 {row['sender']} 登记为「{owner[1]}」"
                )
                reason = f"{via}，但表内填报单位是「{sub['unit_name']}」"
        if reason is not None:
            status = UNIDENTIFIED if sub["readable"] and not sub["unit"] else REJECTED
            decisions.append(Decision(row["id"], status, reason))
        else:
            candidates.setdefault(sub["unit"], []).append(row)
    for rows in candidates.values():
        rows.sort(key=lambda r: (r["received"], r["name"], r["id"]))
        winner = rows[-1]
        decisions.append(Decision(winner["id"], ADOPTED, "最后收到的版本" if len(rows) > 1 else ""))
        for row in rows[:-1]:
            if row["sha256"] == winner["sha256"]:
                reason = f"与采用的「{winner['name']}」内容相同（重复发送）"
            else:
                reason = f"已由更晚收到的「{winner['name']}」替代"
            decisions.append(Decision(row["id"], SUPERSEDED, reason))
    return sorted(decisions, key=lambda d: d.input_id)


def _rejection(sub: sqlite3.Row, month: str, due: set[str], strict: bool) -> str | None:
    if not sub["readable"]:
        return _first_message(sub) or "文件无法读取"
    if not sub["unit"]:
        return "「填报单位」不在单位名录中，文件名中也找不到单位名称"
    if sub["month"] != month:
        return f"报送月份为「{sub['month'] or '未填'}」，不是 {month}"
    if sub["unit"] not in due:
        return f"「{sub['unit_name']}」在 {month} 不是应报送单位"
    if strict and sub["errors"]:
        return f"有 {sub['errors']} 处错误（--strict：有错误的报表不采用）"
    return None


def _first_message(sub: sqlite3.Row) -> str:
    import json

    findings = json.loads(sub["findings"])
    return findings[0]["message"] if findings else ""


def deadline_passed(received: str, deadline: date) -> bool:
    """A received time (ISO, with offset) after the deadline day, in the time of the sender's clock."""
    return date.fromisoformat(received[:10]) > deadline
