"""Verb: check a workbook sent as its sheets' values (JSON) — the check API of kexie-xl serve that the WPS add-in
calls (docs/check-api.md). The values become the same Grid the file readers and the Excel ribbon build, go through
`check_book` and `marks_for`, and come back as one JSON value: findings, quarter statuses and the marks to apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from ..context import Context
from ..errors import KexieError
from ..read.grid import Grid, SheetGrid
from ..write.marks import FILL, NOTE_PREFIX, TOOL_SHEETS, Restore
from .checking import SUBMITTED_NAME, Marks, check_book, marks_for, today

CONTRACT = 1  # the version of the JSON contract; raised only when a field changes meaning
MAX_SHEETS = 100
MAX_CELLS = 2_000_000  # about 40 MB of JSON; the body's byte limit ([web] max_upload_mb) usually comes first
MAX_TEXT = 32_767  # Excel's limit for one cell
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 for every serial past Excel's phantom 1900-02-29
# What Value2 gives for an error cell through a COM bridge (CVErr codes) → the text the Grid expects (read/grid.py).
ERROR_CODES = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
}


class GridRefused(KexieError):
    """A request the check API does not check; the message is the Chinese sentence for the clerk."""


@dataclass
class GridRequest:
    """One request of the check API, read and checked for shape: the workbook's grid and what to do with it."""

    name: str
    grid: Grid
    restores: list[Restore] = field(default_factory=list)  # from the tool sheets sent: earlier marks to undo
    as_of: date | None = None
    quarterly_only: bool = False


# Read


def read_request(payload: Any) -> GridRequest:
    """The request's JSON (already parsed) → GridRequest; anything malformed is a GridRefused in Chinese."""
    if not isinstance(payload, dict):
        raise GridRefused('请求的内容不是 JSON 对象；应为 {"name": 工作簿名, "sheets": {工作表名: [[单元格…]…]}}。')
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise GridRefused("请求缺少工作簿名（name），或名字超过 255 个字符。")
    sheets = payload.get("sheets")
    if not isinstance(sheets, dict) or not sheets:
        raise GridRefused("请求缺少工作表（sheets）：应为 {工作表名: [[单元格…]…]}。")
    if len(sheets) > MAX_SHEETS:
        raise GridRefused(f"工作表超过 {MAX_SHEETS} 张，没有校验；请删除与月报无关的工作表后再试。")
    grid = Grid(engine="json")
    restores: list[Restore] = []
    cells = 0
    for sheet_name, rows in sheets.items():
        values = _rows(sheet_name, rows)
        cells += sum(len(r) for r in values)
        if cells > MAX_CELLS:
            raise GridRefused(f"单元格超过 {MAX_CELLS:,} 个，没有校验；请按 Ctrl+End 检查并删除多余的行列。")
        if sheet_name in TOOL_SHEETS:  # the tool's own sheets: not checked, but they say which cells to restore
            restores += [r for row in values for v in row if (r := Restore.parse(v)) is not None]
        else:
            grid.sheets[sheet_name] = SheetGrid(sheet_name, values)
    mode = payload.get("mode", "check")
    if mode not in ("check", "quarterly"):
        raise GridRefused(f"mode 只能是 check 或 quarterly，收到「{mode}」。")
    return GridRequest(name.strip(), grid, restores, _as_of(payload.get("as_of")), mode == "quarterly")


def _rows(sheet: str, rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise GridRefused(f"工作表「{sheet}」的内容应为行的列表：[[A1, B1, …], [A2, B2, …]]。")
    return [[_cell(sheet, r, c, v) for c, v in enumerate(row, start=1)] for r, row in enumerate(rows, start=1)]


def _cell(sheet: str, row: int, col: int, value: Any) -> Any:
    """One JSON value → the Grid's value, as the file readers give it: numbers as float, '' for empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise GridRefused(f"工作表「{sheet}」第 {row} 行第 {col} 列的文字超过 {MAX_TEXT} 个字符。")
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise GridRefused(f"工作表「{sheet}」第 {row} 行第 {col} 列不是有效的数字。")
        return ERROR_CODES.get(int(value), float(value)) if value == int(value) else float(value)
    if isinstance(value, dict) and set(value) == {"date"}:
        return _date(sheet, row, col, value["date"])
    raise GridRefused(f'工作表「{sheet}」第 {row} 行第 {col} 列的值无法识别：只接受文字、数字、真假值、null 或 {{"date": …}}。')


def _date(sheet: str, row: int, col: int, value: Any) -> date | datetime:
    """A date cell: its Excel serial (1900 date system, as Value2 gives it) or ISO text → date, or datetime when
    it has a time of day (as python-calamine reads a date cell)."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2_958_466:
            moment = datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=float(value))
            moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value)
        else:
            raise ValueError(value)
    except ValueError:
        raise GridRefused(f"工作表「{sheet}」第 {row} 行第 {col} 列的日期无法识别：应为 Excel 日期序号或 2026-11-05。") from None
    return moment.date() if moment.time() == datetime.min.time() else moment


def _as_of(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise GridRefused(f"as_of 应为日期，如 2026-11-30，收到「{value}」。") from None


# Check


def check_grids(payload: Any, ctx: Context) -> dict[str, Any]:
    """校验本表 / 季度达标 for a workbook sent as JSON: the findings, the quarters and the marks, as one value."""
    request = read_request(payload)
    day = request.as_of or today(ctx)
    checked = check_book(request.grid, ctx, request.name, as_of=day)
    report = checked.report
    marks = (
        Marks([], [])
        if checked.submission is None
        else marks_for(report, checked.statuses, day, quarterly_only=request.quarterly_only)
    )
    suffix = PurePosixPath(request.name).suffix.lower()
    submitted = SUBMITTED_NAME.format(
        month=report.month or "未填月份",
        unit=report.unit or "未填单位",
        suffix=suffix if suffix in (".xlsx", ".xlsm") else ".xlsx",
    )
    from ..consolidate.intake import safe_name

    return {
        "contract": CONTRACT,
        "as_of": day.isoformat(),
        "mode": "quarterly" if request.quarterly_only else "check",
        "ok": report.ok,
        "report": report.to_dict(),
        "quarters": [s.to_dict() for s in checked.statuses],
        "marks": marks_json(marks),
        "clear": [{"sheet": r.sheet, "cell": r.cell, "fill": r.fill or None} for r in request.restores],
        "tool_sheets": list(TOOL_SHEETS),
        "note_prefix": NOTE_PREFIX,
        "submission_name": safe_name(submitted),
        "deadline_day": ctx.settings.report.deadline_day,
    }


def marks_json(marks: Marks) -> dict[str, Any]:
    """The marks as the contract gives them: cells with fill and full note text; tool sheets laid out as the Excel
    layer writes them (summary lines, a blank row, the header, the rows; the restore column right of the widest row)."""
    from ..schema.types import column_letter

    cells = [
        {"sheet": m.sheet, "cell": m.cell, "severity": m.severity.value, "fill": FILL[m.severity], "note": NOTE_PREFIX + m.note}
        for m in marks.cells
    ]
    sheets = []
    for tool in marks.sheets:
        head = len(tool.lines) + 2  # the header's Excel row
        width = max(1, len(tool.header), *(len(r) for r in tool.rows))
        sheets.append(
            {
                "name": tool.name,
                "lines": list(tool.lines),
                "header": list(tool.header),
                "rows": [list(r) for r in tool.rows],
                "widths": list(tool.widths),
                "header_row": head,
                "fills": [{"cell": f"{column_letter(c + 1)}{head + 1 + r}", "fill": argb} for r, c, argb in tool.fills],
                "links": [
                    {"cell": f"{column_letter(c + 1)}{head + 1 + r}", "sheet": target, "target": cell}
                    for r, c, target, cell in tool.links
                ],
                "restore_column": column_letter(width + 1),
            }
        )
    return {"cells": cells, "sheets": sheets}
