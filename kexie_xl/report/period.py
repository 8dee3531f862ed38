"""`kexie-xl report`: the office's quarter or year in one workbook, for the leadership and the year-end evaluation.

Sheets: 概况 (headline figures), 单位月度 (unit × month: activities, volunteer turnout, hours, beneficiaries),
类别与对象 (活动类别 and 服务对象 by month), 季度达标 (支队 × quarter), 注册增长 (per platform, month by month),
报送记录 (each unit's status per month and its on-time / late / missing counts), 活跃服务队 (the most active teams).
Totals are live formulas (with cached values, so readers that do not calculate see them too); native charts;
every sheet set up for printing (landscape, one page wide, header rows repeated).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from ..config import Settings
from ..consolidate.merge import CityMonth
from ..rules.quarterly import EXEMPT, MET, MISSED, PENDING
from ..schema import city as C
from ..schema.rows import split_multi
from ..write.save import save_atomic
from .months import Period

METRICS = (("activities", "活动场次"), ("volunteers", "志愿者人次"), ("hours", "服务时长（小时）"), ("beneficiaries", "受益人数"))
STATUS_FILL = {MET: "#C6EFCE", MISSED: "#FFC7CE", PENDING: "#FFEB9C", EXEMPT: "#D9D9D9"} | {
    C.ON_TIME: "#C6EFCE",
    C.LATE: "#FFEB9C",
    C.MISSING: "#FFC7CE",
    C.REJECTED: "#FFC7CE",
    C.UNVERIFIED: "#DDEBF7",
}
DEADLINE_STATUSES = (C.ON_TIME, C.LATE, C.UNVERIFIED, C.MISSING, C.REJECTED)
TOP_TEAMS = 20


def write_report(path: Path, period: Period, cities: list[CityMonth], settings: Settings, *, overwrite: bool = False) -> Path:
    """The period's workbook at `path` (atomic); `cities` are the months of the period the store holds."""
    return save_atomic(path, lambda tmp: _Report(tmp, period, cities, settings).build(), overwrite=overwrite)


def report_name(period: Period) -> str:
    return f"重庆市科技志愿服务统计报告_{period.label}.xlsx"


class _Report:
    def __init__(self, path: Path, period: Period, cities: list[CityMonth], settings: Settings):
        import xlsxwriter

        self.period, self.cities, self.settings = period, cities, settings
        self.months = [c.month for c in cities]
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
        self.wb.set_properties({"title": f"重庆市科技志愿服务统计报告 {period.label}", "author": "kexie_xl"})
        f = self.wb.add_format
        self.title = f({"bold": True, "font_size": 16})
        self.head = f(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter", "align": "center"}
        )
        self.cell = f({"border": 1})
        self.num = f({"border": 1, "num_format": "#,##0"})
        self.dec = f({"border": 1, "num_format": "#,##0.0"})
        self.total = f({"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0"})
        self.total_dec = f({"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0.0"})
        self.note = f({"italic": True, "font_color": "#595959"})
        self.fills = {s: f({"border": 1, "bg_color": c, "align": "center"}) for s, c in STATUS_FILL.items()}
        units: dict[str, str] = {}
        for city in cities:
            units.update({line.unit.code: line.unit.name for line in city.units})
        self.units = units  # every unit due in any month of the period, in registry order

    def build(self) -> None:
        for sheet in (
            self._overview,
            self._unit_months,
            self._kinds,
            self._quarters,
            self._registration,
            self._record,
            self._teams,
        ):
            sheet()
        self.wb.close()

    # helpers

    def _sheet(self, name: str, heading: str, widths: list[float]) -> Any:
        from ..write.rows import SafeTextSheet

        ws = self.wb.add_worksheet(name, worksheet_class=SafeTextSheet)  # units' texts (team names…) written literally
        ws.write(0, 0, heading, self.title)
        ws.write(1, 0, f"统计范围：{self.period.label}；汇总库中有数据的月份：{'、'.join(self.months) or '无'}", self.note)
        for i, width in enumerate(widths):
            ws.set_column(i, i, width)
        ws.set_landscape()
        ws.set_paper(9 if len(self.months) <= 6 else 8)  # A4, or A3 for a year of months
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C第 &P 页，共 &N 页")
        return ws

    def _table(
        self,
        ws: Any,
        top: int,
        header: list[str],
        rows: list[tuple[str, list[float]]],
        *,
        decimals: bool = False,
        label: str = "全市合计",
    ) -> tuple[int, int]:
        """A block: label column, one column per month, 合计 (=SUM across) and a totals row (=SUM down).
        Returns (first data row, totals row)."""
        from xlsxwriter.utility import xl_rowcol_to_cell

        fmt, tot = (self.dec, self.total_dec) if decimals else (self.num, self.total)
        ws.write_row(top, 0, [*header, "合计"], self.head)
        first = top + 1
        width = len(header) - 1
        for r, (name, values) in enumerate(rows):
            row = first + r
            ws.write(row, 0, name, self.cell)
            for c, value in enumerate(values):
                ws.write_number(row, 1 + c, value, fmt)
            across = f"=SUM({xl_rowcol_to_cell(row, 1)}:{xl_rowcol_to_cell(row, width)})" if width else "=0"
            ws.write_formula(row, width + 1, across, tot, round(sum(values), 1))
        last = first + len(rows)
        ws.write(last, 0, label, tot)
        for c in range(width + 1):
            col_values = [v[c] for _n, v in rows] if c < width else [sum(v) for _n, v in rows]
            down = f"=SUM({xl_rowcol_to_cell(first, c + 1)}:{xl_rowcol_to_cell(last - 1, c + 1)})" if rows else "=0"
            ws.write_formula(last, c + 1, down, tot, round(sum(col_values), 1))
        return first, last

    def _chart(
        self, ws: Any, kind: str, title: str, series: list[tuple[str, int, int, int]], cats: tuple[int, int, int], where: str
    ) -> None:
        """series: (name, row, first col, last col) on `ws`; categories: (row, first col, last col)."""
        chart = self.wb.add_chart({"type": kind})
        for name, row, c0, c1 in series:
            chart.add_series(
                {"name": name, "categories": [ws.name, cats[0], cats[1], cats[0], cats[2]], "values": [ws.name, row, c0, row, c1]}
            )
        chart.set_title({"name": title})
        chart.set_legend({"position": "bottom" if len(series) > 1 else "none"})
        ws.insert_chart(where, chart, {"x_scale": 1.3, "y_scale": 1.1})

    def _value(self, city: CityMonth, code: str, key: str) -> float:
        line = next((u for u in city.units if u.unit.code == code), None)
        return float(line.values.get(key, 0)) if line is not None else 0.0

    # sheets

    def _overview(self) -> None:
        ws = self._sheet("概况", f"重庆市科技志愿服务统计报告（{self.period.label}）", [28, 16, 50])
        ws.set_portrait()
        rows: list[tuple[str, Any, str]] = []
        for key, label in METRICS:
            total = sum(self._value(c, u, key) for c in self.cities for u in self.units)
            rows.append((label, round(total, 1), f"各月各单位{label}之和（见「单位月度」）"))
        lines = [line for c in self.cities for line in c.units]
        rows += [
            ("应报单位·月", len(lines), "每月应报单位数之和"),
            ("按时报送", sum(1 for x in lines if x.status == C.ON_TIME), "有邮件日期、服务器时间等依据证明在截止日前收到"),
            ("逾期报送", sum(1 for x in lines if x.status == C.LATE), ""),
            ("报送时间未核实", sum(1 for x in lines if x.status == C.UNVERIFIED), "只有文件修改时间，不计逾期"),
            ("未报", sum(1 for x in lines if x.status == C.MISSING), ""),
            ("退回", sum(1 for x in lines if x.status == C.REJECTED), ""),
        ]
        missed = {(s.unit, s.team_id, s.quarter) for c in self.cities for s in c.team_quarters if s.status == MISSED}
        rows.append(("未达标的支队·季度", len(missed), "季度结束时活动少于规定次数（见「季度达标」）"))
        ws.write_row(3, 0, ["指标", "数值", "说明"], self.head)
        for i, (label, value, note) in enumerate(rows):
            ws.write(4 + i, 0, label, self.cell)
            ws.write_number(4 + i, 1, value, self.num if float(value).is_integer() else self.dec)
            ws.write(4 + i, 2, note, self.cell)
        missing_months = [
            m for m in self.period.months if m not in self.months and date(int(m[:4]), int(m[5:]), 1) <= date.today()
        ]
        if missing_months:
            ws.write(
                5 + len(rows), 0, f"注意：汇总库中没有 {'、'.join(missing_months)} 的数据，这些月份不在统计之内。", self.note
            )
        ws.repeat_rows(3)

    def _unit_months(self) -> None:
        ws = self._sheet("单位月度", "各单位每月活动情况", [22, *([11] * len(self.months)), 12])
        top = 3
        for key, label in METRICS:
            ws.write(top, 0, label, self.title)
            rows = [(name, [self._value(c, code, key) for c in self.cities]) for code, name in self.units.items()]
            _first, last = self._table(ws, top + 1, ["单位", *self.months], rows, decimals=key == "hours")
            if key == "activities" and self.months:
                self._chart(
                    ws,
                    "column",
                    "全市活动场次（按月）",
                    [("活动场次", last, 1, len(self.months))],
                    (top + 1, 1, len(self.months)),
                    f"{_col(len(self.months) + 3)}4",
                )
            top = last + 3
        ws.repeat_rows(0, 1)

    def _kinds(self) -> None:
        ws = self._sheet("类别与对象", "活动类别与服务对象（按月，场次）", [22, *([11] * len(self.months)), 12])
        top = 3
        for key, label in (("kind", "活动类别"), ("audience", "服务对象")):
            counts = [Counter(a.get(key) or "（未填）" for a in c.detail) for c in self.cities]
            names = sorted({n for cnt in counts for n in cnt}, key=lambda n: (-sum(cnt.get(n, 0) for cnt in counts), n))
            ws.write(top, 0, label, self.title)
            rows = [(n, [float(cnt.get(n, 0)) for cnt in counts]) for n in names]
            first, last = self._table(ws, top + 1, [label, *self.months], rows)
            if rows and key == "kind":
                chart = self.wb.add_chart({"type": "bar"})
                total_col = len(self.months) + 1
                chart.add_series(
                    {
                        "name": "场次",
                        "categories": [ws.name, first, 0, last - 1, 0],
                        "values": [ws.name, first, total_col, last - 1, total_col],
                    }
                )
                chart.set_title({"name": "各类别活动场次"})
                chart.set_legend({"position": "none"})
                ws.insert_chart(f"{_col(len(self.months) + 3)}4", chart, {"x_scale": 1.2, "y_scale": 1.2})
            top = last + 3

    def _quarters(self) -> None:
        quarters: dict[str, CityMonth] = {}
        last = self.months[-1] if self.months else ""
        for month in self.period.months:  # every quarter of the period up to the last month the store holds
            if month > last:
                break
            year, mon = (int(p) for p in month.split("-"))
            q, end = f"{year}Q{(mon - 1) // 3 + 1}", f"{year}-{3 * ((mon - 1) // 3) + 3:02d}"
            # the first month held at or after the quarter's end has its final status (year-to-date ledgers);
            # a quarter still running is read from the last month held
            decisive = next((c for c in self.cities if c.month >= end and c.month[:4] == month[:4]), self.cities[-1])
            quarters[q] = decisive
        names = list(quarters)
        ws = self._sheet("季度达标", "支队季度达标情况（原则上每季度不少于 1 次服务活动）", [22, 12, 30, *([12] * len(names))])
        ws.write_row(3, 0, ["单位", "队伍编号", "队伍名称", *names], self.head)
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for q, city in quarters.items():
            for s in city.team_quarters:
                if s.quarter == q:
                    table.setdefault((city.names.get(s.unit, s.unit), s.team_id), {"name": s.team_name})[q] = s
        row = 4
        for (unit, team), cells in sorted(table.items()):
            ws.write_row(row, 0, [unit, team, cells["name"]], self.cell)
            for c, q in enumerate(names):
                found = cells.get(q)
                text = f"{found.status}（{found.count}次）" if found else "—"
                ws.write(row, 3 + c, text, self.fills.get(found.status, self.cell) if found else self.cell)
            row += 1
        ws.write(row, 2, "未达标（队·季度）", self.total)
        for c in range(len(names)):
            from xlsxwriter.utility import xl_rowcol_to_cell

            rng = f"{xl_rowcol_to_cell(4, 3 + c)}:{xl_rowcol_to_cell(max(row - 1, 4), 3 + c)}"
            value = sum(1 for cells in table.values() if getattr(cells.get(names[c]), "status", None) == MISSED)
            ws.write_formula(row, 3 + c, f'=COUNTIF({rng},"{MISSED}*")', self.total, value)
        ws.repeat_rows(3)
        ws.freeze_panes(4, 3)

    def _registration(self) -> None:
        platforms = [p.name for p in self.settings.platforms]
        header = ["月份"]
        for p in platforms:
            header += [f"{p}\n志愿者累计", f"{p}\n志愿者本月新增", f"{p}\n队伍累计", f"{p}\n队伍本月新增"]
        ws = self._sheet("注册增长", "志愿者与队伍注册情况（全市合计，按月）", [10, *([16] * (len(header) - 1))])
        ws.set_row(3, 60)
        ws.write_row(3, 0, header, self.head)
        for r, city in enumerate(self.cities):
            ws.write(4 + r, 0, city.month, self.cell)
            for i in range(len(platforms)):
                for k, key in enumerate(("vol_total", "vol_new", "team_total", "team_new")):
                    value = sum(self._value(city, code, f"p{i}_{key}") for code in self.units)
                    ws.write_number(4 + r, 1 + 4 * i + k, value, self.num)
        if self.cities:
            chart = self.wb.add_chart({"type": "line"})
            for i, p in enumerate(platforms):
                col = 1 + 4 * i
                chart.add_series(
                    {
                        "name": f"{p[:10]}…志愿者累计",
                        "categories": [ws.name, 4, 0, 3 + len(self.cities), 0],
                        "values": [ws.name, 4, col, 3 + len(self.cities), col],
                    }
                )
            chart.set_title({"name": "志愿者累计注册（各平台）"})
            chart.set_legend({"position": "bottom"})
            ws.insert_chart(f"B{6 + len(self.cities)}", chart, {"x_scale": 1.5})
        ws.repeat_rows(3)

    def _record(self) -> None:
        from xlsxwriter.utility import xl_rowcol_to_cell

        ws = self._sheet(
            "报送记录",
            "各单位报送记录（按时以邮件日期等依据为准）",
            [22, *([9] * len(self.months)), *([8] * len(DEADLINE_STATUSES))],
        )
        ws.write_row(3, 0, ["单位", *self.months, *DEADLINE_STATUSES], self.head)
        for r, (code, name) in enumerate(self.units.items()):
            row = 4 + r
            ws.write(row, 0, name, self.cell)
            statuses = []
            for c, city in enumerate(self.cities):
                line = next((u for u in city.units if u.unit.code == code), None)
                status = line.status if line is not None else "—"
                statuses.append(status)
                ws.write(row, 1 + c, status, self.fills.get(status, self.cell))
            span = f"{xl_rowcol_to_cell(row, 1)}:{xl_rowcol_to_cell(row, max(len(self.months), 1))}"
            for k, status in enumerate(DEADLINE_STATUSES):
                ws.write_formula(row, 1 + len(self.months) + k, f'=COUNTIF({span},"{status}")', self.num, statuses.count(status))
        ws.repeat_rows(3)
        ws.freeze_panes(4, 1)

    def _teams(self) -> None:
        ws = self._sheet("活跃服务队", f"最活跃的服务队（前 {TOP_TEAMS} 名，按活动场次）", [8, 22, 12, 30, 12, 12, 14])
        names: dict[tuple[str, str], str] = {}
        for city in self.cities:
            names.update({(city.names.get(s.unit, s.unit), s.team_id): s.team_name for s in city.team_quarters})
        tally: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for city in self.cities:
            for a in city.detail:
                for team in split_multi(str(a.get("team_ids") or "")):
                    t = tally[(a["unit"], team)]
                    t[0] += 1
                    t[1] += a.get("volunteers") or 0
                    t[2] += a.get("hours") or 0
        ranked = sorted(tally.items(), key=lambda kv: (-kv[1][0], -kv[1][2], kv[0]))[:TOP_TEAMS]
        ws.write_row(3, 0, ["排名", "单位", "队伍编号", "队伍名称", "活动场次", "志愿者人次", "服务时长（小时）"], self.head)
        for i, ((unit, team), (n, volunteers, hours)) in enumerate(ranked):
            ws.write_row(4 + i, 0, [i + 1, unit, team, names.get((unit, team), "")], self.cell)
            ws.write_number(4 + i, 4, n, self.num)
            ws.write_number(4 + i, 5, volunteers, self.num)
            ws.write_number(4 + i, 6, round(hours, 1), self.dec)
        ws.repeat_rows(3)


def _col(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return xl_col_to_name(index)
