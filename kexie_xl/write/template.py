"""Stage ⑥: the standard template as an Excel workbook — laid out entirely from the schema.

Dropdowns point at workbook-level defined names over the hidden 代码表 sheet (never inline lists: Excel
"repairs" lists longer than 255 characters, and defined-name validations survive Excel/WPS/LibreOffice round
trips). Headers are styled, frozen and locked; entry columns carry their number format and are unlocked through
column styles, so every row a clerk adds is formatted too. The same writer fills a template with data (the demo).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .._version import __version__
from ..schema import standard
from ..schema.types import Column, Kind, Layout, Sheet, Template
from .save import normalize_zip, save_atomic

# Styles

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
TITLE_FONT = Font(name="等线", size=14, bold=True)
HEADER_FONT = Font(name="等线", bold=True)
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
UNLOCKED = Protection(locked=False)

FORMATS = {
    Kind.DATE: "yyyy-mm-dd",
    Kind.INT: "0",
    Kind.DECIMAL: "0.0",
}
TEXT_FORMAT = "@"  # text cells: ids, phones, months; a typed "=…" stays text

# Excel serials of the date-validation bounds (2020-01-01 … 2099-12-31).
DATE_MIN, DATE_MAX = 43831, 73050
MAX_PROMPT = 255
MAX_PROMPT_TITLE = 32

# Defined names for the id columns that REFS columns offer as dropdowns.
REF_NAME = "KX_ref_{}"


def number_format(column: Column) -> str:
    return column.number_format or FORMATS.get(column.kind, TEXT_FORMAT)


@dataclass
class Filling:
    """Data to put into the template (the demo's filled workbooks); empty for the blank template."""

    basic: Mapping[str, Any] = field(default_factory=dict)
    rows: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Contact:
    department: str
    contact: str
    phone: str
    mailbox: str
    deadline_day: int


# Public entry


def write_template(
    path: str | Path,
    template: Template,
    contact: Contact,
    filling: Filling | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write the template (blank, or filled with `filling`) to `path` atomically."""
    wb = build_workbook(template, contact, filling or Filling())
    stamp = datetime.fromisoformat(template.released).timetuple()[:6]

    def write(tmp: Path) -> None:
        wb.save(tmp)
        normalize_zip(tmp, stamp)

    return save_atomic(path, write, overwrite=overwrite)


def build_workbook(template: Template, contact: Contact, filling: Filling) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in template.sheets:
        ws = wb.create_sheet(sheet.name)
        if sheet.layout is Layout.TEXT:
            _instructions(ws, template, contact)
        elif sheet.layout is Layout.FORM:
            _form(ws, sheet, template, filling.basic)
        elif sheet.layout is Layout.TABLE:
            _table(ws, sheet, template, filling.rows.get(sheet.key))
        elif sheet.layout is Layout.CODES:
            _codes(wb, ws, template)
        elif sheet.layout is Layout.META:
            _meta(ws, template, filling.meta)
        if sheet.hidden:
            ws.sheet_state = "hidden"
    _ref_names(wb, template)
    wb.active = 1  # open on 基本信息
    stamp = datetime.fromisoformat(template.released)
    wb.properties.title = template.title
    wb.properties.creator = "kexie_xl"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    return wb


# Sheets


def _table(ws: Worksheet, sheet: Sheet, template: Template, rows: Sequence[Mapping[str, Any]] | None) -> None:
    for c, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(c)
        _header_cell(ws.cell(1, c, column.label), column)
        dim = ws.column_dimensions[letter]
        dim.width = column.width
        dim.number_format = number_format(column)
        dim.protection = UNLOCKED
        dv = _validation(column, template)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{sheet.entry_rows + 1}")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 30
    last = get_column_letter(len(sheet.columns))
    ws.auto_filter.ref = f"A1:{last}{sheet.entry_rows + 1}"
    data = list(rows) if rows is not None else [dict(zip(("platform", "item"), p, strict=True)) for p in sheet.prefill]
    for r, row in enumerate(data, start=2):
        for c, column in enumerate(sheet.columns, start=1):
            _value_cell(ws, r, c, column, row.get(column.key))
    _finish(ws, sheet, f"A1:{last}{max(sheet.entry_rows, len(data)) + 1}")


def _form(ws: Worksheet, sheet: Sheet, template: Template, values: Mapping[str, Any]) -> None:
    for c, (label, width) in enumerate((("项目", 16), ("填写内容", 36), ("说明", 60)), start=1):
        cell = ws.cell(1, c, label)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, column in enumerate(sheet.columns, start=2):
        _header_cell(ws.cell(r, 1, column.label), column)
        value = _value_cell(ws, r, 2, column, values.get(column.key))
        value.border = BORDER
        hint = ws.cell(r, 3, column.help + ("（必填）" if column.required else ""))
        hint.alignment = Alignment(wrap_text=True, vertical="center")
        dv = _validation(column, template)
        if dv is not None:
            dv.add(f"B{r}")
            ws.add_data_validation(dv)
        ws.row_dimensions[r].height = 22
    _finish(ws, sheet, f"A1:C{len(sheet.columns) + 1}")


def _instructions(ws: Worksheet, template: Template, contact: Contact) -> None:
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions["D"].width = 90
    ws["A1"] = template.title
    ws["A1"].font = TITLE_FONT
    lines = [
        f"模板版本：{template.version}（{template.released} 发布）　依据：渝科协发〔2020〕96号",
        f"报送要求：每月 {contact.deadline_day} 日前，将本表和活动现场图片以邮件附件发送至 "
        f"{contact.department}（联系人：{contact.contact}，电话：{contact.phone}，邮箱：{contact.mailbox}）。",
        "填报步骤：① 在「基本信息」选择填报单位、填写报送月份和联系人；② 在「注册情况」填写两个平台的注册数；"
        "③ 在「服务队」维护队伍名册；④ 在「活动台账」逐条追加本月活动；⑤ 填写「经验做法」和「图片清单」；"
        "⑥ 保存后用邮件报送，文件名建议为「YYYY-MM_单位_科技志愿服务月报.xlsx」。",
        "季度要求：原则上各科技志愿服务支队每季度服务活动不少于 1 次。",
        "表头为橙色的列为必填列；带下拉箭头的单元格请从列表中选择；日期请写成 2026-11-05 的形式。",
        "请不要修改表头、增删工作表或合并单元格；行不够时在表格末尾继续填写即可。",
    ]
    for r, text in enumerate(lines, start=2):
        ws.cell(r, 1, text).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        ws.row_dimensions[r].height = 15 * (1 + len(text) // 60)
    start = len(lines) + 3
    headers = ("工作表", "列", "必填", "填写说明")
    for c, label in enumerate(headers, start=1):
        cell = ws.cell(start, c, label)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
    r = start + 1
    for sheet in template.data_sheets:
        for column in sheet.columns:
            values = (sheet.name, column.label, "是" if column.required else "", _column_help(column, template))
            for c, value in enumerate(values, start=1):
                ws.cell(r, c, value).border = BORDER
            r += 1
    ws.sheet_view.showGridLines = False
    _print_setup(ws, f"A1:D{r - 1}", title_rows=None)


def _codes(wb: Workbook, ws: Worksheet, template: Template) -> None:
    for c, code_list in enumerate(template.code_lists, start=1):
        letter = get_column_letter(c)
        ws.cell(1, c, code_list.label).font = HEADER_FONT
        for r, item in enumerate(code_list.items, start=2):
            ws.cell(r, c, item)
        last = max(len(code_list.items), 1) + 1
        ref = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${last}"
        wb.defined_names[code_list.defined_name] = DefinedName(code_list.defined_name, attr_text=ref)
        ws.column_dimensions[letter].width = 24
    ws.protection.sheet = True


def _meta(ws: Worksheet, template: Template, meta: Mapping[str, str]) -> None:
    rows = {
        standard.META_TEMPLATE_ID: template.template_id,
        standard.META_VERSION: template.version,
        "released": template.released,
        "generator": f"kexie_xl {__version__.split('+')[0]}",
        standard.META_UNIT_CODE: "",
        standard.META_UNIT_NAME: "",
        **meta,
    }
    for r, (key, value) in enumerate(rows.items(), start=1):
        ws.cell(r, 1, key)
        ws.cell(r, 2, value).number_format = TEXT_FORMAT
    ws.protection.sheet = True


def _ref_names(wb: Workbook, template: Template) -> None:
    """Defined names over the id columns, so 服务队编号 / 活动编号 cells offer the roster's ids as a dropdown."""
    for sheet in template.sheets:
        if sheet.layout is not Layout.TABLE or sheet.id_column is None:
            continue
        index = [c.key for c in sheet.columns].index(sheet.id_column) + 1
        letter = get_column_letter(index)
        ref = f"{quote_sheetname(sheet.name)}!${letter}$2:${letter}${sheet.entry_rows + 1}"
        name = REF_NAME.format(sheet.key)
        wb.defined_names[name] = DefinedName(name, attr_text=ref)


# Cells


def _header_cell(cell: Any, column: Column) -> None:
    cell.font = HEADER_FONT
    cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
    cell.border = BORDER
    cell.alignment = WRAP


def _value_cell(ws: Worksheet, row: int, col: int, column: Column, value: Any) -> Any:
    cell = ws.cell(row, col)
    if value is not None and value != "":
        cell.value = value
        if cell.data_type == "f":  # text from a unit is never a formula
            cell.data_type = "s"
    cell.number_format = number_format(column)
    cell.protection = UNLOCKED
    return cell


def _validation(column: Column, template: Template) -> DataValidation | None:
    prompt = _column_help(column, template)[:MAX_PROMPT]
    title = column.label[:MAX_PROMPT_TITLE]
    kind = column.kind
    common: dict[str, Any] = {
        "allow_blank": True,
        "showInputMessage": bool(prompt),
        "promptTitle": title,
        "prompt": prompt or None,
    }
    if column.codes:
        name = template.code_list(column.codes).defined_name
        strict = kind is not Kind.CODES
        return DataValidation(
            type="list",
            formula1=name,
            showErrorMessage=strict,
            errorStyle="stop",
            errorTitle=title,
            error=f"请从下拉列表中选择「{column.label}」。",
            **common,
        )
    if kind is Kind.REFS and column.refs:
        name = REF_NAME.format(column.refs)
        return DataValidation(type="list", formula1=name, showErrorMessage=False, **common)
    if kind in (Kind.INT, Kind.DECIMAL):
        low = column.min if column.min is not None else 0
        dv_type = "whole" if kind is Kind.INT else "decimal"
        if column.max is not None:
            bounds = {"operator": "between", "formula1": _num(low), "formula2": _num(column.max)}
            error = f"请填写 {_num(low)} 到 {_num(column.max)} 之间的{'整数' if kind is Kind.INT else '数'}。"
        else:
            bounds = {"operator": "greaterThanOrEqual", "formula1": _num(low)}
            error = f"请填写不小于 {_num(low)} 的{'整数' if kind is Kind.INT else '数'}。"
        return DataValidation(
            type=dv_type, showErrorMessage=True, errorStyle="stop", errorTitle=title, error=error, **bounds, **common
        )
    if kind is Kind.DATE:
        return DataValidation(
            type="date",
            operator="between",
            formula1=str(DATE_MIN),
            formula2=str(DATE_MAX),
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle=title,
            error="请填写日期，如 2026-11-05。",
            **common,
        )
    if prompt:
        return DataValidation(type=None, showErrorMessage=False, **common)
    return None


def _column_help(column: Column, template: Template) -> str:
    parts = [column.help] if column.help else []
    if column.codes and not column.help:
        code_list = template.code_list(column.codes)
        listed = "/".join(code_list.items)
        parts.append(f"从下拉列表选择：{listed}" if len(listed) <= 120 else "从下拉列表选择")
    if column.kind is Kind.DATE and "YYYY" not in column.help:
        parts.append("格式 YYYY-MM-DD")
    return "；".join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# Layout


def _finish(ws: Worksheet, sheet: Sheet, print_area: str) -> None:
    if sheet.freeze:
        ws.freeze_panes = sheet.freeze
    prot = ws.protection
    prot.sheet = True
    # False = the clerk MAY do it on the protected sheet (OOXML semantics); only the header stays locked.
    for attr in (
        "formatCells",
        "formatColumns",
        "formatRows",
        "insertRows",
        "deleteRows",
        "insertHyperlinks",
        "sort",
        "autoFilter",
    ):
        setattr(prot, attr, False)
    _print_setup(ws, print_area, title_rows="1:1")


def _print_setup(ws: Worksheet, area: str, title_rows: str | None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.left.text = "&A"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
