"""Stage ⑥: reference documents generated from the code, so they cannot drift — template columns, finding codes."""

from __future__ import annotations

from ..findings import CATALOGUE
from ..schema.types import Kind, Layout, Template

KIND_LABELS = {
    Kind.TEXT: "文本",
    Kind.INT: "整数",
    Kind.DECIMAL: "数值",
    Kind.DATE: "日期",
    Kind.MONTH: "月份 YYYY-MM",
    Kind.PHONE: "电话",
    Kind.EMAIL: "邮箱",
    Kind.URL: "网址",
    Kind.CODE: "下拉单选",
    Kind.CODES: "下拉多选",
    Kind.REFS: "编号引用",
    Kind.YESNO: "是/否",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def template_markdown(template: Template) -> str:
    """docs/template.md: every sheet, column, type, hint and code list of the standard template."""
    out = [
        f"# 标准模板参考 · Template reference（版本 {template.version}）",
        "",
        "由 `kexie-xl docs` 从 `kexie_xl/schema/` 生成，请勿手工编辑。",
        "",
    ]
    for sheet in template.data_sheets:
        out += [f"## {sheet.name}", "", sheet.help, ""]
        header = "字段" if sheet.layout is Layout.FORM else "列"
        out += [f"| {header} | 类型 | 必填 | 说明 | 也认作（别名） |", "|---|---|---|---|---|"]
        for col in sheet.columns:
            kind = KIND_LABELS[col.kind]
            if col.codes:
                kind += f"（{template.code_list(col.codes).label}）"
            bounds = [f"≥ {col.min:g}" if col.min is not None else "", f"≤ {col.max:g}" if col.max is not None else ""]
            if any(bounds):
                kind += "，" + " ".join(b for b in bounds if b)
            out.append(
                f"| {col.label} | {kind} | {'是' if col.required else ''} | {_cell(col.help)} | {'、'.join(col.aliases)} |"
            )
        out.append("")
    out += ["## 下拉选项 · Code lists", ""]
    for code_list in template.code_lists:
        aliases = "；也认作：" + "、".join(f"{a}→{t}" for a, t in code_list.aliases) if code_list.aliases else ""
        out.append(f"- **{code_list.label}**（`{code_list.defined_name}`）：{'、'.join(code_list.items)}{aliases}")
    return "\n".join(out) + "\n"


def findings_markdown() -> str:
    """docs/findings.md: every finding code with its severity, title and how to fix it."""
    out = [
        "# 问题代码参考 · Finding codes",
        "",
        "由 `kexie-xl docs` 从 `kexie_xl/findings.py` 生成，请勿手工编辑。「错误」阻止报送，「警告」只作提醒。",
        "",
        "| 代码 | 级别 | 标题 | 如何修改 |",
        "|---|---|---|---|",
    ]
    for code in CATALOGUE.values():
        out.append(f"| `{code.code}` | {code.severity.value} | {code.title} | {_cell(code.fix.format(label='该项'))} |")
    return "\n".join(out) + "\n"
