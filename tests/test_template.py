"""The standard template: generated from the schema, committed, and read back by three independent readers."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from kexie_xl.api import make_template
from kexie_xl.schema.types import Kind, Layout, column_letter
from kexie_xl.write.template import Contact, Filling, _column_help, number_format, write_template

from .conftest import COMMITTED_TEMPLATE, convert
from .workbook_facts import describe, diff, validations

REGENERATE = "python -m kexie_xl template -o templates/科技志愿服务月报模板.xlsx --force"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, ctx) -> Path:
    return make_template(tmp_path_factory.mktemp("tpl") / "t.xlsx", ctx)


def test_committed_template_matches_schema_cell_by_cell(fresh: Path) -> None:
    differences = diff(describe(fresh), describe(COMMITTED_TEMPLATE))
    assert not differences, f"templates/ drifted from the schema; regenerate with `{REGENERATE}`:\n" + "\n".join(differences[:40])


def test_generation_is_byte_stable(fresh: Path, ctx, tmp_path: Path) -> None:
    again = make_template(tmp_path / "again.xlsx", ctx)
    assert again.read_bytes() == fresh.read_bytes()


# openpyxl


def test_openpyxl_sees_every_sheet_header_dropdown_hint_and_format(fresh: Path, ctx) -> None:
    template = ctx.template
    wb = openpyxl.load_workbook(fresh)
    assert wb.sheetnames == [s.name for s in template.sheets]
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    codes_ws = wb["代码表"]
    assert codes_ws.sheet_state == "hidden" and wb["元数据"].sheet_state == "hidden"
    for sheet in template.sheets:
        ws = wb[sheet.name]
        if sheet.layout is Layout.TABLE:
            assert [c.value for c in ws[1]] == [c.label for c in sheet.columns]
            assert ws.freeze_panes == sheet.freeze and ws.protection.sheet
            dvs = {d["sqref"].split(":")[0][:-1]: d for d in validations(ws)}
            for i, column in enumerate(sheet.columns, start=1):
                letter = column_letter(i)
                assert ws[f"{letter}1"].protection.locked, "header cells stay locked"
                dim = ws.column_dimensions[letter]
                assert dim.protection.locked is False, f"{sheet.name}.{column.label} entry cells must be unlocked"
                assert dim.number_format == number_format(column)
                _check_dv(dvs.get(letter), column, template, names, codes_ws, f"{letter}2:{letter}{sheet.entry_rows + 1}")
        elif sheet.layout is Layout.FORM:
            assert [ws.cell(r, 1).value for r in range(2, len(sheet.columns) + 2)] == [c.label for c in sheet.columns]
            dvs = {d["sqref"]: d for d in validations(ws)}
            for r, column in enumerate(sheet.columns, start=2):
                assert ws.cell(r, 2).protection.locked is False
                assert ws.cell(r, 2).number_format == number_format(column)
                _check_dv(dvs.get(f"B{r}"), column, template, names, codes_ws, f"B{r}")


def _check_dv(dv, column, template, names, codes_ws, sqref) -> None:
    hint = _column_help(column, template)
    if column.codes:
        code_list = template.code_list(column.codes)
        assert dv and dv["type"] == "list" and dv["formula1"] == code_list.defined_name and dv["sqref"] == sqref
        target = names[code_list.defined_name]
        cells = codes_ws[target.split("!")[1].replace("$", "")]
        assert [row[0].value for row in cells] == list(code_list.items)
        assert dv["showErrorMessage"] is (column.kind is not Kind.CODES)
    elif column.kind is Kind.DATE:
        assert dv and dv["type"] == "date" and dv["formula1"] == "43831"
    elif column.kind is Kind.INT:
        assert dv and dv["type"] == "whole" and dv["formula1"] == str(int(column.min or 0))
    if hint:
        assert dv and dv["prompt"] == hint[:255] and dv["showInputMessage"], column.label


def test_no_inline_list_anywhere(fresh: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    for ws in wb.worksheets:
        for dv in validations(ws):
            if dv["type"] == "list":
                assert not dv["formula1"].startswith('"'), f"{ws.title} {dv['sqref']} uses an inline list"


def test_metadata_sheet_records_version(fresh: Path, ctx) -> None:
    ws = openpyxl.load_workbook(fresh)["元数据"]
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert meta["template_version"] == ctx.template.version
    assert meta["template_id"] == ctx.template.template_id
    assert meta["unit_code"] is None


# python-calamine


def test_calamine_reads_sheets_headers_and_code_lists(fresh: Path, ctx) -> None:
    wb = CalamineWorkbook.from_path(str(fresh))
    assert wb.sheet_names == [s.name for s in ctx.template.sheets]
    for sheet in ctx.template.sheets:
        rows = wb.get_sheet_by_name(sheet.name).to_python()
        if sheet.layout is Layout.TABLE:
            assert rows[0] == [c.label for c in sheet.columns]
        if sheet.layout is Layout.FORM:
            assert [r[0] for r in rows[1:]] == [c.label for c in sheet.columns]
    codes = wb.get_sheet_by_name("代码表").to_python()
    for i, code_list in enumerate(ctx.template.code_lists):
        column = [row[i] for row in codes[1:] if i < len(row) and row[i] != ""]
        assert codes[0][i] == code_list.label and column == list(code_list.items)
    prefilled = wb.get_sheet_by_name("注册情况").to_python()[1:]
    assert [tuple(r[:2]) for r in prefilled if r[0]] == list(ctx.template.sheet("registration").prefill)


# LibreOffice: an independent Excel-format client


@pytest.mark.libreoffice
def test_libreoffice_round_trip_keeps_dropdowns_names_and_formats(fresh: Path, soffice: str, tmp_path: Path, ctx) -> None:
    converted = convert(soffice, fresh, tmp_path / "lo")
    before, after = describe(fresh), describe(converted)
    assert after["sheets"] == before["sheets"]
    unquoted = {name: ref.replace("'", "") for name, ref in before["names"].items()}  # LO drops optional quotes
    assert {name: ref.replace("'", "") for name, ref in after["names"].items()} == unquoted
    for sheet in ctx.template.sheets:
        b, a = before[sheet.name], after[sheet.name]
        assert a["state"] == b["state"], sheet.name
        assert [_essence(d) for d in a["validations"]] == [_essence(d) for d in b["validations"]], sheet.name
        for coord, (value, *_rest) in b["cells"].items():
            if value is not None:
                assert a["cells"][coord][0] == value, f"{sheet.name}!{coord}"
        if sheet.layout is Layout.TABLE:
            for letter, (_w, fmt, _locked) in b["columns"].items():
                assert a["columns"][letter][1] == fmt, f"{sheet.name} column {letter}"


def _essence(dv: dict) -> tuple:
    # An "any value" validation (input hint only) has no formula; LibreOffice writes a dummy "0" for it.
    formula = dv["formula1"] if dv["type"] else None
    return dv["sqref"], dv["type"], formula, dv["prompt"], dv["showErrorMessage"]


@pytest.mark.libreoffice
def test_libreoffice_converts_template_to_pdf(fresh: Path, soffice: str, tmp_path: Path) -> None:
    pdf = convert(soffice, fresh, tmp_path / "pdf", "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


# Filled templates


def test_unit_option_prefills_unit_and_code(ctx, tmp_path: Path) -> None:
    path = make_template(tmp_path / "u.xlsx", ctx, "石柱县")
    wb = openpyxl.load_workbook(path)
    assert wb["基本信息"]["B2"].value == "石柱土家族自治县科协"
    meta = {r[0].value: r[1].value for r in wb["元数据"].iter_rows()}
    assert meta["unit_code"] == "500240"


def test_text_that_looks_like_a_formula_stays_text(ctx, tmp_path: Path) -> None:
    contact = Contact("部门", "联系人", "1", "a@b.cn", 23)
    hostile = '=HYPERLINK("http://evil.example","点我")'
    filling = Filling(rows={"activities": [{"activity_id": "A1", "name": hostile, "remark": "+1-2"}]})
    path = write_template(tmp_path / "h.xlsx", ctx.template, contact, filling)
    ws = openpyxl.load_workbook(path)["活动台账"]
    assert ws["D2"].value == hostile and ws["D2"].data_type == "s"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("活动台账").to_python()
    assert rows[1][3] == hostile and rows[1][-1] == "+1-2"
