"""Stage ⑥: the city-level monthly submission workbook (xlsxwriter: fast, native charts, formulas).

汇总表 has one row per unit due this month — including units that sent nothing — and a totals row of live
=SUM() formulas (with their values cached, so readers that do not calculate see them too). Text from units is
always written as text: a cell beginning with =, +, - or @ never becomes a formula. A text longer than an Excel
cell holds is cut visibly, with a note of its full length (`clip`), never silently.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..config import Settings
from ..consolidate.merge import CityMonth
from ..read.cells import EXCEL_CELL_MAX, excel_length
from ..schema import city as C
from .rows import Plan, Styles, TableSheet, render
from .save import save_atomic

STATUS_COLOURS = {
    C.ON_TIME: "#C6EFCE",
    C.LATE: "#FFEB9C",
    C.MISSING: "#FFC7CE",
    "未达标": "#FFC7CE",
    "待开展": "#FFEB9C",
    C.ADOPTED: "#C6EFCE",
    C.SUPERSEDED: "#D9D9D9",
    C.REJECTED: "#FFC7CE",
    C.UNIDENTIFIED: "#FFEB9C",
    C.SKIPPED: "#F2F2F2",
    C.QUARANTINED: "#FFEB9C",
    C.UNVERIFIED: "#DDEBF7",
}
HEADER_ROW = 3  # 0-based: title, summary line, blank, header
CLIPPED = "…（原文 {length:,} 字，超过 Excel 单元格上限，已截断，全文见原件）"


def clip(text: str) -> str:
    """`text` as a cell can hold it: unchanged, or cut with a visible note so the total stays within the limit."""
    if len(text) <= EXCEL_CELL_MAX // 2 or (length := excel_length(text)) <= EXCEL_CELL_MAX:
        return text
    note = CLIPPED.format(length=length)
    budget = EXCEL_CELL_MAX - excel_length(note)
    head = text[:budget]
    while (over := excel_length(head) - budget) > 0:  # characters beyond U+FFFF count twice
        head = head[: len(head) - over]
    return head + note


HEADER_LINE_POINTS = 14.5  # one line of the 11 pt bold header
HEADER_PADDING = 4.0


def header_height(columns: tuple[C.CityColumn, ...]) -> float:
    """The header row's height for its longest wrapped label: a CJK character takes about two widths of the
    digit 0 (Excel's column-width unit), one unit is left for the cell's margins."""
    import math

    def lines(col: C.CityColumn) -> int:
        units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in col.label)
        return max(1, math.ceil(units / max(col.width - 1, 1)))

    return max(2, *(lines(c) for c in columns)) * HEADER_LINE_POINTS + HEADER_PADDING


def write_city(path: Path, city: CityMonth, settings: Settings, *, overwrite: bool = False) -> Path:
    return save_atomic(path, lambda tmp: _build(tmp, city, settings), overwrite=overwrite)


class _Book:
    def __init__(self, path: Path, city: CityMonth):
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
        stamp = datetime.combine(city.as_of, datetime.min.time())
        self.wb.set_properties({"title": f"{C.CITY_TITLE} {city.month}", "author": "kexie_xl", "created": stamp})
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.header = add(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center", "valign": "vcenter"}
        )
        self.text = add({"border": 1, "valign": "top"})
        self.wrap = add({"border": 1, "valign": "top", "text_wrap": True})
        self.int = add({"border": 1, "num_format": "0"})
        self.dec = add({"border": 1, "num_format": "0.0"})
        self.day = add({"border": 1, "num_format": "yyyy-mm-dd"})
        self.total = add({"bold": True, "border": 1, "top": 2, "num_format": "0.##"})
        self.status = {k: add({"border": 1, "bg_color": v, "align": "center"}) for k, v in STATUS_COLOURS.items()}
        self.month = city.month

    def sheet(self, name: str, columns: tuple[C.CityColumn, ...], header_row: int = 0, *, paper: int = 9) -> Any:
        """A table sheet: wrapped headers in a row tall enough for every line (LibreOffice and Excel cut what does
        not fit), landscape, one page wide (`paper` 9 = A4, 8 = A3), header repeated on every page."""
        ws = self.wb.add_worksheet(name, worksheet_class=TableSheet)
        for i, col in enumerate(columns):
            ws.set_column(i, i, col.width)
            ws.write_string(header_row, i, col.label, self.header)
        ws.set_row(header_row, header_height(columns))
        ws.freeze_panes(header_row + 1, 0)
        ws.set_landscape()
        ws.set_paper(paper)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_footer(f"&L{C.CITY_TITLE} {self.month}&R第 &P 页，共 &N 页")
        return ws

    def cell(self, ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        """Write by type; strings always as text."""
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt or self.text)
        elif isinstance(value, bool):
            ws.write_string(row, col, "是" if value else "否", fmt or self.text)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt or (self.int if float(value).is_integer() else self.dec))
        elif isinstance(value, date):
            ws.write_datetime(row, col, datetime.combine(value, datetime.min.time()), fmt or self.day)
        else:
            ws.write_string(row, col, clip(str(value)), fmt or self.text)

    def styles(self) -> Styles:
        """The index of each cell style, for rows rendered beside xlsxwriter (write/rows.py)."""
        return Styles.of(self.text, self.wrap, self.int, self.dec, self.day, self.status)


def _build(path: Path, city: CityMonth, settings: Settings) -> None:
    book = _Book(path, city)
    columns = C.summary_columns(tuple(p.label for p in settings.platforms))
    total_row = _summary(book, city, columns)
    _table(book, C.DETAIL, C.DETAIL_COLUMNS, city.detail, wrap=("name", "problems"))
    _table(
        book,
        C.QUARTERLY,
        C.QUARTERLY_COLUMNS,
        [_status_row(s, city) for s in city.quarterly],
        status_key="status",
        wrap=("reason",),
    )
    _table(book, C.EXPERIENCE, C.EXPERIENCE_COLUMNS, city.experience, wrap=("text",))
    _photos(book, city)
    _table(
        book,
        C.INTAKE,
        C.INTAKE_COLUMNS,
        [{**r, "seq": i} for i, r in enumerate(city.intake, 1)],
        status_key="status",
        wrap=("reason", "file"),
    )
    _charts(book, city, columns, total_row)
    book.wb.close()


def _summary(book: _Book, city: CityMonth, columns: tuple[C.CityColumn, ...]) -> int:
    ws = book.sheet(C.SUMMARY, columns, HEADER_ROW, paper=8)  # 31 columns: A3 keeps the text readable (~7 pt)
    counts = {s: sum(1 for u in city.units if u.status == s) for s in (C.ON_TIME, C.LATE, C.UNVERIFIED, C.REJECTED, C.MISSING)}
    unverified = f"、报送时间未核实 {counts[C.UNVERIFIED]}（只有文件修改时间，不计逾期）" if counts[C.UNVERIFIED] else ""
    unverified += f"、退回 {counts[C.REJECTED]}" if counts[C.REJECTED] else ""
    ws.write_string(0, 0, f"{C.CITY_TITLE}（{city.month[:4]}年{int(city.month[5:])}月）", book.title)
    ws.write_string(
        1,
        0,
        f"报送截止 {city.deadline.isoformat()}；应报 {len(city.units)} 个单位：按时 {counts[C.ON_TIME]}、"
        f"逾期 {counts[C.LATE]}{unverified}、未报 {counts[C.MISSING]}。活动数据为各单位采用的报表；"
        "合计行为公式。",
    )
    first = HEADER_ROW + 1
    for n, line in enumerate(city.units):
        r = first + n
        fixed = {
            "seq": n + 1,
            "code": line.unit.code,
            "unit": line.unit.name,
            "type": line.unit.type,
            "status": line.status,
            "received": line.received,
        }
        for c, col in enumerate(columns):
            if col.key == "status":
                ws.write_string(r, c, line.status, book.status[line.status])
            elif col.number:
                book.cell(ws, r, c, line.values.get(col.key) if line.submission else None)
            else:
                book.cell(ws, r, c, fixed[col.key])
    total = first + len(city.units)
    ws.write_string(total, 2, "合计", book.total)
    for c, col in enumerate(columns):
        if col.number:
            cached = sum(line.values.get(col.key, 0) for line in city.units if line.submission)
            span = f"{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(total - 1, c)}"
            ws.write_formula(total, c, f"=SUM({span})", book.total, round(cached, 2))
    ws.autofilter(HEADER_ROW, 0, total - 1, len(columns) - 1)
    ws.freeze_panes(HEADER_ROW + 1, 3)
    ws.print_area(0, 0, total, len(columns) - 1)
    return total


def _table(
    book: _Book,
    name: str,
    columns: tuple[C.CityColumn, ...],
    rows: list[dict[str, Any]],
    *,
    status_key: str | None = None,
    wrap: tuple[str, ...] = (),
    rendered: bool = True,
) -> Any:
    """A table sheet of `rows`. Rendered beside xlsxwriter (write/rows.py, ~3× faster a sheet) unless the caller
    adds cells of its own below the header afterwards (`rendered=False`: then every cell goes through xlsxwriter)."""
    ws = book.sheet(name, columns)
    if rendered:
        plan = Plan.of([c.key for c in columns], book.styles(), wrap=wrap, status_key=status_key)
        ws.add_rows(render(rows, plan, 2, ws.shared), 1, len(columns) - 1)
    else:
        for r, row in enumerate(rows, start=1):
            for c, col in enumerate(columns):
                value = row.get(col.key)
                if value is None or value == "":
                    continue  # an empty cell stays empty
                if col.key == status_key and value in book.status:
                    ws.write_string(r, c, value, book.status[value])
                else:
                    book.cell(ws, r, c, value, book.wrap if col.key in wrap else None)
    if rows:
        ws.autofilter(0, 0, len(rows), len(columns) - 1)
    return ws


def _status_row(s: Any, city: CityMonth) -> dict[str, Any]:
    return {
        "unit": city.names.get(s.unit, s.unit),
        "team_id": s.team_id,
        "team_name": s.team_name,
        "level": s.level,
        "quarter": s.quarter,
        "count": s.count,
        "status": s.status,
        "days_left": s.days_left,
        "reason": s.reason,
    }


def _photos(book: _Book, city: CityMonth) -> None:
    rows = [{k: v for k, v in p.items() if k != "link"} for p in city.photos]
    ws = _table(book, C.PHOTOS, C.PHOTO_COLUMNS, rows, rendered=False)  # the links are written after
    link_col = [c.key for c in C.PHOTO_COLUMNS].index("link")
    for r, photo in enumerate(city.photos, start=1):
        if photo.get("link"):
            ws.write_url(r, link_col, f"external:{photo['link']}", string=photo["link"])  # a name made safe (copy_photos)
        else:
            ws.write_string(r, link_col, "（未随报送收到）", book.text)


def _charts(book: _Book, city: CityMonth, columns: tuple[C.CityColumn, ...], total_row: int) -> None:
    ws = book.wb.add_worksheet(C.CHARTS)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    ws.write_string(0, 0, f"{C.CITY_TITLE} {city.month} 图表", book.title)
    keys = [c.key for c in columns]
    first, last = HEADER_ROW + 1, total_row - 1
    unit_col, act_col = keys.index("unit"), keys.index("activities")
    by_unit = book.wb.add_chart({"type": "bar"})
    by_unit.add_series(
        {
            "name": "本月活动（场）",
            "categories": [C.SUMMARY, first, unit_col, last, unit_col],
            "values": [C.SUMMARY, first, act_col, last, act_col],
            "fill": {"color": "#4472C4"},
        }
    )
    by_unit.set_title({"name": "各单位本月活动场次"})
    by_unit.set_legend({"none": True})
    by_unit.set_y_axis({"reverse": True})
    by_unit.set_size({"width": 720, "height": max(360, 18 * len(city.units))})
    ws.insert_chart(2, 0, by_unit)
    kind_cols = [i for i, k in enumerate(keys) if k.startswith("kind_")]
    by_kind = book.wb.add_chart({"type": "column"})
    by_kind.add_series(
        {
            "name": "活动类别",
            "categories": [C.SUMMARY, HEADER_ROW, kind_cols[0], HEADER_ROW, kind_cols[-1]],
            "values": [C.SUMMARY, total_row, kind_cols[0], total_row, kind_cols[-1]],
            "fill": {"color": "#ED7D31"},
        }
    )
    by_kind.set_title({"name": "本月活动类别"})
    by_kind.set_legend({"none": True})
    ws.insert_chart(2, 12, by_kind)
    table_col = 21  # the month-over-month data sits beside the charts
    ws.write_string(1, table_col, "月份", book.header)
    ws.write_string(1, table_col + 1, "活动（场）", book.header)
    for i, (m, n) in enumerate(city.by_month, start=2):
        ws.write_string(i, table_col, m, book.text)
        ws.write_number(i, table_col + 1, n, book.int)
    trend = book.wb.add_chart({"type": "line"})
    end = 1 + len(city.by_month)
    trend.add_series(
        {
            "name": "各月活动场次",
            "categories": [C.CHARTS, 2, table_col, end, table_col],
            "values": [C.CHARTS, 2, table_col + 1, end, table_col + 1],
            "marker": {"type": "circle"},
        }
    )
    trend.set_title({"name": "各月活动场次（本年）"})
    trend.set_legend({"none": True})
    ws.insert_chart(22, 12, trend)
    ws.set_column(table_col, table_col, 10)
