"""Findings: the one type every check returns, and the catalogue of codes — the single place their wording lives.

A finding is a value, never an exception. Its code is stable once released (family prefix: file → sheet →
header → row → cell, then ref, reg, rule, and history for comparisons with the unit's earlier months). The
message is rendered from the catalogue's template with named fields, so the cell note, the 校验结果 sheet, the
CLI table and the JSON are four views of one object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "错误"  # blocks submission
    WARNING = "警告"  # advises


@dataclass(frozen=True)
class Code:
    """One entry of the catalogue."""

    code: str
    severity: Severity
    title: str
    template: str  # message, with {where}, {label}, {value} and code-specific fields
    fix: str


_E, _W = Severity.ERROR, Severity.WARNING

CATALOGUE: dict[str, Code] = {
    c.code: c
    for c in (
        # file
        Code(
            "file.format",
            _E,
            "文件格式不对",
            "文件「{file}」：{reason}",
            "请另存为 Excel 工作簿（*.xlsx）后重新报送。",
        ),
        Code(
            "file.unreadable",
            _E,
            "文件无法读取",
            "文件「{file}」无法作为 Excel 工作簿打开：{reason}",
            "请用 Excel 或 WPS 打开确认文件完好，另存为 .xlsx 后重新报送。",
        ),
        Code(
            "file.encrypted",
            _E,
            "文件有密码",
            "文件「{file}」设置了打开密码，无法读取",
            "请去掉打开密码（文件 → 信息 → 保护工作簿）后重新报送。",
        ),
        Code(
            "file.too-large",
            _E,
            "文件过大",
            "文件「{file}」过大，未读取：{reason}",
            "请确认报送的是月报工作簿；图片请作为单独的附件发送，不要插入到表格中。",
        ),
        Code(
            "file.unsafe",
            _E,
            "文件含有不安全内容",
            "文件「{file}」含有不安全的内容，未读取：{reason}",
            "请用 Excel 或 WPS 打开后另存为新的 .xlsx 文件再报送。",
        ),
        Code(
            "file.template-version",
            _W,
            "模板版本较旧",
            "文件使用的模板版本「{value}」不是当前支持的版本（{supported}）",
            "请改用最新的标准模板填报；本次已尽量按表头识别。",
        ),
        Code(
            "file.not-template",
            _E,
            "不是标准模板",
            "文件「{file}」不是科技志愿服务月报模板：{reason}",
            "请用 kexie-xl template 生成或向市科协索取标准模板，把数据复制进去后报送。",
        ),
        # header / sheet
        Code("sheet.missing", _E, "缺少工作表", "缺少工作表「{sheet}」", "请使用标准模板，不要删除或改名工作表。"),
        Code(
            "sheet.renamed",
            _W,
            "工作表改了名",
            "工作表「{sheet}」已按模板的「{template}」读取",
            "请把工作表名改回模板的名字（不要在表名里加月份等），以免认不出或认错。",
        ),
        Code("header.missing", _E, "缺少列", "{where}缺少列「{label}」", "请恢复该列的表头（可从标准模板复制）。"),
        Code(
            "header.extra", _W, "多余的列", "{where}有模板之外的列「{value}」，其内容不会被汇总", "如是备注，请移到「备注」列。"
        ),
        # cell
        Code("cell.required", _E, "必填项为空", "{where}「{label}」没有填写", "请填写{label}。"),
        Code(
            "cell.excel-error",
            _E,
            "单元格是 Excel 错误值",
            "{where}「{label}」是 Excel 错误值「{value}」（{meaning}）",
            "请改为直接填写{label}，或修正公式后重新保存。",
        ),
        Code(
            "cell.formula-no-value",
            _E,
            "公式没有计算结果",
            "{where}「{label}」是公式（{value}），但文件里没有保存它的计算结果",
            "这个文件可能由别的程序生成或改过，公式还没有算出结果：请用 Excel 或 WPS 打开本文件、保存后重新报送，"
            "或直接填写{label}。",
        ),
        Code(
            "cell.text-too-long",
            _W,
            "文字超过单元格上限",
            "{where}「{label}」有 {length:,} 字，超过 Excel 单元格上限 32,767 字（开头：「{value}」）",
            "全市汇总表中该项会被截断并注明；请精简到 32,767 字以内，全文可作为附件另行报送。",
        ),
        Code(
            "cell.code-list",
            _E,
            "不在下拉选项中",
            "{where}「{label}」填的「{value}」不在下拉选项中",
            "请从下拉列表中选择（选项见「填报说明」）。",
        ),
        Code(
            "cell.date-invalid", _E, "日期无法识别", "{where}「{label}」的「{value}」不是有效日期", "请填写如 2026-11-05 的日期。"
        ),
        Code(
            "cell.date-future",
            _E,
            "日期晚于填报日期",
            "{where}「{label}」的「{value}」晚于填报日期 {report_date}",
            "请核对日期；尚未开展的活动不要填入台账。",
        ),
        Code(
            "cell.date-year",
            _E,
            "日期不在报送年度",
            "{where}「{label}」的「{value}」不在 {year} 年内",
            "活动台账只填本年度的活动，请核对年份。",
        ),
        Code("cell.not-integer", _E, "不是整数", "{where}「{label}」的「{value}」不是整数", "请填写整数，如 12。"),
        Code("cell.number-range", _E, "数值超出范围", "{where}「{label}」的「{value}」超出合理范围（{bounds}）", "请核对数值。"),
        Code(
            "cell.phone",
            _E,
            "电话格式不对",
            "{where}「{label}」的「{value}」不像电话号码",
            "手机填 11 位数字，座机填 区号-号码，如 023-63003526。",
        ),
        Code(
            "cell.email",
            _E,
            "邮箱格式不对",
            "{where}「{label}」的「{value}」不是有效的邮箱地址",
            "请填写如 name@example.com 的邮箱。",
        ),
        Code(
            "cell.month",
            _E,
            "报送月份格式不对",
            "{where}「{label}」的「{value}」不是 YYYY-MM 形式的月份",
            "请填写如 2026-11 的月份。",
        ),
        Code(
            "cell.beneficiaries-outlier",
            _W,
            "受益人数异常偏大",
            "{where}「{label}」为 {value}，明显高于一般活动",
            "请核对是否多填了位数；确实如此可在备注中说明。",
        ),
        Code(
            "cell.key-event-mismatch",
            _W,
            "重点节点与日期不符",
            "{where}「{label}」为「{value}」，但活动日期 {date} 不在该节点期间",
            "请核对重点节点或活动日期；与节点无关时选「无」。",
        ),
        # row
        Code(
            "row.duplicate-id",
            _E,
            "编号重复",
            "{where}「{label}」的「{value}」与第 {other_row} 行重复",
            "每个编号只能出现一次，请改为新的编号。",
        ),
        Code(
            "row.duplicate-activity",
            _W,
            "疑似重复活动",
            "{where}与第 {other_row} 行的服务队、日期和活动名称相同",
            "如为重复录入请删除一行。",
        ),
        # references
        Code(
            "ref.team-unknown",
            _E,
            "服务队不存在",
            "{where}「{label}」的「{value}」在「服务队」表中找不到",
            "请先在「服务队」表登记该队伍，或改为已有的队伍编号。",
        ),
        Code(
            "ref.teams-joined",
            _E,
            "几支队伍的编号连在了一起",
            "{where}「{label}」的「{value}」在「服务队」表中找不到，像是 {parts} 几支队伍的编号连在了一起",
            "几支队伍的编号请用「、」隔开（如「T01、T02」），否则这次活动不计入任何一支队伍。",
        ),
        Code(
            "ref.team-inactive",
            _E,
            "服务队当时不在册",
            "{where}活动日期时服务队「{value}」{reason}",
            "请核对活动日期或队伍的成立/撤销日期。",
        ),
        Code(
            "ref.activity-unknown",
            _W,
            "活动编号不存在",
            "{where}「{label}」的「{value}」在「活动台账」中找不到",
            "请核对活动编号。",
        ),
        Code(
            "row.date-order", _E, "日期先后不对", "{where}「{label}」{value} 早于成立日期 {founded}", "请核对成立日期和撤销日期。"
        ),
        # registration
        Code(
            "reg.new-exceeds-total",
            _E,
            "新增大于累计",
            "{where}「本月新增数」{value} 大于「累计注册数」{total}",
            "本月新增数不能大于累计注册数，请核对。",
        ),
        # report-level
        Code(
            "report.no-activity",
            _E,
            "本月无活动记录",
            "{where}「本月无活动」未选「是」，但「活动台账」中没有 {month} 的活动",
            "请补录本月活动，或在「基本信息」中将「本月无活动」选为「是」并说明原因。",
        ),
        Code(
            "report.unit-unknown",
            _E,
            "填报单位不在名录中",
            "{where}「填报单位」「{value}」不在单位名录中或该月不需报送",
            "请从下拉列表选择本单位全称。",
        ),
        # rules
        Code(
            "rule.quarterly-minimum",
            _W,
            "季度活动未达标",
            "{where}{level}「{team}」（{value}）{quarter} 开展活动 {count} 次，少于 {minimum} 次",
            "原则上各科技志愿服务支队每季度服务活动不少于 1 次；该季度已结束，请在备注中说明原因，并安排以后每季度按时开展。",
        ),
        Code(
            "rule.quarterly-pending",
            _W,
            "本季度活动待开展",
            "{where}{level}「{team}」（{value}）{quarter} 已开展 {count} 次，不足 {minimum} 次，本季度还剩 {days} 天",
            "请在季度结束前安排该队开展活动。",
        ),
        # across months: this month's report against the unit's previous adopted report in the store
        Code(
            "history.total-decreased",
            _W,
            "累计注册数比上次报送少",
            "{where}{platform}「{item}」累计注册数 {value} 比 {prev_month} 月报的 {previous} 少 {diff}",
            "累计注册数只增不减，请核对本月和上次报送的数字；确有注销或平台更正的，请在备注中说明。",
        ),
        Code(
            "history.total-mismatch",
            _W,
            "累计注册数与上月累计加本月新增不符",
            "{where}{platform}「{item}」累计注册数 {value} 不等于 {prev_month} 月报的累计 {previous} + 本月新增 {new}"
            "（= {expected}）",
            "本月累计注册数应等于上月累计加本月新增，请核对累计数和新增数。",
        ),
        Code(
            "history.activity-missing",
            _W,
            "以前报送的活动不在本月台账中",
            "{where}中没有 {prev_month} 月报中的活动「{value}」（{name}，{date}）",
            "活动台账是全年累计台账，以前报送的活动应保留；确属误报而删除的，请在邮件或备注中说明。",
        ),
        Code(
            "history.activity-changed",
            _W,
            "以前报送的活动被改动",
            "{where}活动「{activity}」与 {prev_month} 月报不同：{changes}",
            "请核对；确为更正的，请在该活动的备注中说明更正原因。",
        ),
        Code(
            "history.activity-id-reused",
            _W,
            "活动编号被用于另一项活动",
            "{where}活动编号「{value}」在 {prev_month} 月报中是「{old_name}」（{old_date}），本月是「{name}」（{date}）",
            "一个活动编号只对应一项活动：请为新活动编新的编号，并保留原来的活动。",
        ),
        Code(
            "history.team-revived",
            _W,
            "已撤销的服务队又在册",
            "{where}服务队「{team_id}」（{team}）在 {prev_month} 月报中已撤销（{dissolved}），本月状态为「{value}」",
            "已撤销的队伍不再恢复；重新组建的请作为新队伍登记新的编号，误填撤销的请在备注中说明。",
        ),
        Code(
            "history.team-dissolved-active",
            _W,
            "服务队撤销后仍有活动",
            "{where}活动日期 {date} 晚于服务队「{value}」在 {prev_month} 月报中的撤销日期 {dissolved}",
            "请核对活动日期和服务队编号；撤销日期确有更正的，请在备注中说明。",
        ),
        # configuration
        Code(
            "config.rule-parameter",
            _W,
            "规则参数有误",
            "配置项 {setting} 中的「{value}」不是可识别的取值（可选：{allowed}）",
            "请市科协管理员修改 kexie.toml；在此之前该取值被忽略。",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One problem found: where (file/sheet/row/cell), what (code, value) and the rendered message."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""  # column letter
    label: str = ""  # the column's Chinese title
    value: str = ""
    fix: str = ""

    @property
    def cell(self) -> str:
        return f"{self.column}{self.row}" if self.column and self.row else ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["cell"] = self.cell
        return data


def where(sheet: str, cell: str = "", row: int | None = None) -> str:
    """「活动台账」F12 / 「活动台账」第 12 行 / 「基本信息」."""
    if cell:
        return f"工作表「{sheet}」{cell} "
    if row:
        return f"工作表「{sheet}」第 {row} 行"
    return f"工作表「{sheet}」"


def make(
    code: str,
    *,
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    label: str = "",
    value: Any = "",
    file: str = "",
    severity: Severity | None = None,
    **fields: Any,
) -> Finding:
    """Render a finding from the catalogue; `fields` fill the code's message template."""
    entry = CATALOGUE[code]
    cell = f"{column}{row}" if column and row else ""
    text = entry.template.format(where=where(sheet, cell, row), label=label, value=value, file=file, sheet=sheet, **fields)
    return Finding(
        code, severity or entry.severity, text, file, sheet, row, column, label, str(value), entry.fix.format(label=label)
    )


@dataclass
class Report:
    """Everything checking one workbook found. `readable` is False when the file could not be read at all."""

    file: str
    findings: list[Finding]
    changes: list[Any]  # read.cells.Change: normalisations made while reading (kept, shown, never silent)
    readable: bool = True
    unit: str | None = None
    unit_code: str | None = None
    month: str | None = None
    template_version: str | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """No 错误: the workbook may be submitted."""
        return self.readable and self.errors == 0

    @property
    def exit_code(self) -> int:
        """0 clean, 1 errors found, 2 unreadable (the CLI's contract)."""
        if not self.readable:
            return 2
        return 1 if self.errors else 0

    def flatten(self, fields: tuple[str, ...] = ("sheet", "cell", "code")) -> list[tuple[Any, ...]]:
        """The findings as tuples of the named fields, in order — for tests and quick comparisons."""
        rows = [f.to_dict() for f in self.findings]
        return [tuple(r[name] for name in fields) for r in rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "readable": self.readable,
            "unit": self.unit,
            "unit_code": self.unit_code,
            "month": self.month,
            "template_version": self.template_version,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
            "changes": [asdict(c) for c in self.changes],
        }
