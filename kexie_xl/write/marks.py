"""Stage ⑥: findings → what to mark in the clerk's workbook (pure; applied by the file or the Excel adapter).

A CellMark is a fill and a note on one cell; a ToolSheet is a sheet the tool writes (校验结果, 季度达标): text
rows, links to cells, coloured cells. Both the package editor (files/marking.py) and the ribbon (xl/) apply them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..findings import Report, Severity

RESULT_SHEET = "校验结果"
QUARTERLY_SHEET = "季度达标"
TOOL_SHEETS = (RESULT_SHEET, QUARTERLY_SHEET)  # sheets only the tool writes: replaced on every marking
STATUS_FILL = {"达标": "FFC6EFCE", "未达标": "FFFFC7CE", "待开展": "FFFFEB9C", "豁免": "FFD9D9D9"}
NOTE_AUTHOR = "kexie_xl"
NOTE_PREFIX = f"{NOTE_AUTHOR}：\n"  # every note kexie_xl writes starts so; a note that does not is the clerk's
FILL = {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C"}  # light red, light yellow
RESTORE = "kexie-restore:"  # hidden column of the first tool sheet: what each marked cell looked like before
RESULT_HEADER = ("序号", "级别", "工作表", "单元格", "列", "填写内容", "问题", "怎么改", "代码")


@dataclass(frozen=True)
class Restore:
    """What one marked cell looked like before it was marked — the one record both markers write and read.

    The file marker knows the cell's format index and its fill; the live (Excel) marker knows the fill colour.
    Either can undo what the other did: 「kexie-restore:活动台账!F12=style:5;fill:none」. The first format
    (「=5」 from files, 「=FFFF00」/「=none」 from the ribbon) is still read.
    """

    sheet: str
    cell: str
    style: int | None = None  # the cell's format index in the file
    fill: str | None = None  # its fill: "RRGGBB", "" for none; None when not known

    def text(self) -> str:
        parts = [] if self.style is None else [f"style:{self.style}"]
        if self.fill is not None:
            parts.append(f"fill:{self.fill or 'none'}")
        return f"{RESTORE}{self.sheet}!{self.cell}=" + ";".join(parts)

    @classmethod
    def parse(cls, text: object) -> Restore | None:
        if not isinstance(text, str) or not text.startswith(RESTORE):
            return None
        target, _, value = text[len(RESTORE) :].rpartition("=")
        sheet, _, cell = target.rpartition("!")
        if not sheet or not _CELL.fullmatch(cell):
            return None
        style: int | None = None
        fill: str | None = None
        for part in value.split(";"):
            key, sep, val = part.strip().partition(":")
            if not sep:  # the first format: a bare index (files) or colour (the ribbon)
                key, val = ("fill", key) if len(key) == 6 or key == "none" else ("style", key)
            if key == "style" and val.isdigit():
                style = int(val)
            elif key == "fill" and (val == "none" or _HEX.fullmatch(val)):
                fill = "" if val == "none" else val.upper()
        return cls(sheet, cell, style, fill)


_CELL = re.compile(r"[A-Z]{1,3}[0-9]{1,7}")
_HEX = re.compile(r"[0-9A-Fa-f]{6}")


def is_ours(note_text: object) -> bool:
    """A cell note kexie_xl wrote (whoever Excel says the author is)."""
    return isinstance(note_text, str) and note_text.startswith(NOTE_PREFIX)


@dataclass(frozen=True)
class CellMark:
    sheet: str
    cell: str
    severity: Severity
    note: str


def cell_marks(report: Report) -> list[CellMark]:
    """One mark per cell: the most severe finding's colour, every finding's message in the note."""
    grouped: dict[tuple[str, str], list] = {}
    for f in report.findings:
        if f.sheet and f.cell:
            grouped.setdefault((f.sheet, f.cell), []).append(f)
    marks = []
    for (sheet, cell), found in grouped.items():
        severity = Severity.ERROR if any(f.severity is Severity.ERROR for f in found) else Severity.WARNING
        note = "\n".join(f"【{f.severity.value}】{short_message(f.message)}。{f.fix}" for f in found)
        marks.append(CellMark(sheet, cell, severity, note))
    return marks


def short_message(message: str) -> str:
    """Where the sheet and cell are shown already (a note on the cell, a table with those columns), drop the
    leading 「工作表「…」F12 」 of the message."""
    if message.startswith("工作表「"):
        end = message.find("」")
        rest = message[end + 1 :]
        head, _, tail = rest.partition(" ")
        return tail if head and head[0].isalpha() and head[-1].isdigit() else rest.lstrip()
    return message


@dataclass(frozen=True)
class ToolSheet:
    """A sheet the tool writes: summary lines, a header, text rows, links and coloured cells (0-based indexes)."""

    name: str
    lines: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]  # ints are written as numbers
    widths: tuple[float, ...]
    links: tuple[tuple[int, int, str, str], ...] = ()  # (row, column, target sheet, target cell)
    fills: tuple[tuple[int, int, str], ...] = ()  # (row, column, ARGB)


def result_sheet(report: Report, as_of: str) -> ToolSheet:
    """校验结果: every finding, with a link to its cell."""
    links = tuple((i, 3, f.sheet, f.cell) for i, f in enumerate(report.findings) if f.sheet and f.cell)
    return ToolSheet(
        RESULT_SHEET,
        tuple(summary_lines(report, as_of)),
        RESULT_HEADER,
        tuple(result_rows(report)),
        (6, 6, 10, 8, 14, 16, 60, 40, 24),
        links,
    )


def quarterly_sheet(statuses: Sequence[Any], teams_sheet: str, id_letter: str = "A") -> ToolSheet:
    """季度达标: one row per counted team — activities and status per quarter, days left, reasons."""
    quarters = sorted({s.quarter for s in statuses})
    header = (
        "队伍编号",
        "队伍名称",
        "层级",
        *(f"{q} {part}" for q in quarters for part in ("次数", "状态")),
        "本季度剩余天数",
        "说明",
    )
    teams: dict[str, list[Any]] = {}
    for s in statuses:
        teams.setdefault(s.team_id, []).append(s)
    rows, links, fills = [], [], []
    for r, (team_id, found) in enumerate(teams.items()):
        by_quarter = {s.quarter: s for s in found}
        cells = [team_id, found[0].team_name, found[0].level]
        for c, q in enumerate(quarters):
            s = by_quarter.get(q)
            cells += [s.count if s else "", s.status if s else ""]
            if s:
                fills.append((r, 4 + 2 * c, STATUS_FILL[s.status]))
        left = next((s.days_left for s in reversed(found) if s.days_left is not None), None)
        cells += ["" if left is None else left, "；".join(f"{s.quarter} {s.reason}" for s in found if s.reason)]
        rows.append(tuple(cells))
        if found[0].row:
            links.append((r, 0, teams_sheet, f"{id_letter}{found[0].row}"))
    missed = sum(1 for s in statuses if s.status == "未达标")
    pending = sum(1 for s in statuses if s.status == "待开展")
    as_of = statuses[0].as_of.isoformat() if statuses else ""
    lines = (
        f"季度达标　原则上各科技志愿服务支队每季度服务活动不少于 1 次　统计截至 {as_of}",
        f"计入考核的队伍 {len(teams)} 支；未达标 {missed} 个队·季度，待开展 {pending} 个队·季度。",
        "绿色=达标，红色=未达标（季度已结束），黄色=待开展（季度未结束），灰色=豁免；点队伍编号可跳到「服务队」。",
    )
    widths = (10, 30, 6, *([8, 8] * len(quarters)), 12, 60)
    return ToolSheet(QUARTERLY_SHEET, lines, header, tuple(rows), widths, tuple(links), tuple(fills))


def summary_lines(report: Report, as_of: str) -> list[str]:
    verdict = "通过：没有错误，可以报送。" if report.ok else "未通过：请按下表修改「错误」后重新校验。"
    return [
        f"校验结果　{report.unit or '（未填填报单位）'}　{report.month or ''}",
        f"校验日期 {as_of}　错误 {report.errors} 处　警告 {report.warnings} 处　{verdict}",
        "点击「单元格」列可跳到对应位置；标红为错误，标黄为警告。重新校验会替换本表和所有标注。",
    ]


def result_rows(report: Report) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for n, f in enumerate(report.findings, start=1):
        rows.append((str(n), f.severity.value, f.sheet, f.cell, f.label, f.value, f.message, f.fix, f.code))
    return rows
