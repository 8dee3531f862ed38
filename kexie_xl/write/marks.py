"""Stage ⑥: findings → what to mark in the clerk's workbook (pure; applied by the file or the Excel adapter).

A CellMark is a fill and a note on one cell; the 校验结果 sheet is rows of text with a link to each cell.
Both the package editor (files/marking.py) and the ribbon (xl/) apply the same marks.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Report, Severity

RESULT_SHEET = "校验结果"
NOTE_AUTHOR = "kexie_xl"
FILL = {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C"}  # light red, light yellow
RESULT_HEADER = ("序号", "级别", "工作表", "单元格", "列", "填写内容", "问题", "怎么改", "代码")


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
        note = "\n".join(f"【{f.severity.value}】{_strip_where(f.message)}。{f.fix}" for f in found)
        marks.append(CellMark(sheet, cell, severity, note))
    return marks


def _strip_where(message: str) -> str:
    """The note sits on the cell itself: drop the leading 「工作表「…」F12 」 from the message."""
    if message.startswith("工作表「"):
        end = message.find("」")
        rest = message[end + 1:]
        head, _, tail = rest.partition(" ")
        return tail if head and head[0].isalpha() and head[-1].isdigit() else rest.lstrip()
    return message


def summary_lines(report: Report, as_of: str) -> list[str]:
    verdict = "通过：没有错误，可以报送。" if report.ok else "未通过：请按下表修改「错误」后重新校验。"
    return [
        f"校验结果　{report.unit or '（未填填报单位）'}　{report.month or ''}",
        f"校验日期 {as_of}　错误 {report.errors} 处　警告 {report.warnings} 处　{verdict}",
        "点击「单元格」列可跳到对应位置；标红为错误，标黄为警告。重新校验会替换本表和所有标注。",
    ]


def result_rows(report: Report) -> list[tuple[str, ...]]:
    rows = []
    for n, f in enumerate(report.findings, start=1):
        rows.append((str(n), f.severity.value, f.sheet, f.cell, f.label, f.value, f.message, f.fix, f.code))
    return rows
