"""Cells at Excel's limits: error values (#REF!, #N/A, …) and text longer than a cell holds (32,767 characters).

Every workbook is built by code: a clean unit workbook from the schema, then the cells patched into the sheet XML
exactly as Excel (a formula with its cached error) or another program (an over-long inline string) writes them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from kexie_xl.api import consolidate_month, validate
from kexie_xl.checks import check_grid
from kexie_xl.files.calamine import read_grid
from kexie_xl.read.cells import EXCEL_CELL_MAX, EXCEL_ERRORS, excel_error, excel_length
from kexie_xl.read.grid import Uncalculated
from kexie_xl.rules import RuleContext
from kexie_xl.schema import city as C
from kexie_xl.write.city import clip

from .builders import AS_OF, clean_filling, patch_part, sheet_part, write
from .conftest import ROOT

ACTIVITIES, BASIC, EXPERIENCE = "活动台账", "基本信息", "经验做法"
HOURS = "服务时长（小时）"
# The errors Excel shows; the first seven are the classic ones every reader knows.
CLASSIC = ("#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!")
NEWER = ("#GETTING_DATA", "#SPILL!", "#CALC!")
LONG = 50_003
MARK = f"…（原文 {LONG:,} 字，超过 Excel 单元格上限，已截断，全文见原件）"


# Building the workbooks


def _address(ctx, sheet_key: str, column_key: str, index: int = 0) -> str:
    letter, row = ctx.template.sheet(sheet_key).address(column_key, index)
    return f"{letter}{row}"


def _put(path: Path, sheet: str, cells: dict[str, str]) -> Path:
    """Replace existing cells of `sheet` by raw <c> XML: {"Q2": '<c r="Q2" t="e">…</c>'}."""

    def edit(xml: str) -> str:
        for address, element in cells.items():
            xml, n = re.subn(rf'<c r="{address}"[^>]*?(?:/>|>.*?</c>)', lambda _m, e=element: e, xml, count=1, flags=re.S)
            assert n == 1, f"{sheet}!{address} is not in the sheet"
        return xml

    patch_part(path, sheet_part(path, sheet), edit)
    return path


def _error(address: str, error: str) -> str:
    """A formula whose cached result is `error`, as Excel saves it."""
    return f'<c r="{address}" t="e"><f>VLOOKUP(A2,#REF!,2,FALSE)</f><v>{error}</v></c>'


def _text(address: str, text: str) -> str:
    return f'<c r="{address}" t="inlineStr"><is><t>{text}</t></is></c>'


@pytest.fixture
def clean(tmp_path: Path, ctx) -> Path:
    return write(tmp_path / "2026-11_万州区科协_科技志愿服务月报.xlsx", ctx.template, clean_filling())


def _at(report, cells: set[tuple[str, str]]) -> list[tuple[str, str, str, str, str]]:
    """The findings at the given (sheet, cell)s, as (code, sheet, cell, label, value)."""
    return sorted(t for t in report.flatten(("code", "sheet", "cell", "label", "value")) if t[1:3] in cells)


# What the reader gives the checks


def test_calamine_loses_error_values(clean: Path, ctx) -> None:
    """The engine's behaviour this change works around (python-calamine issue #105): classic errors read as ''."""
    cell = _address(ctx, "activities", "hours")
    _put(clean, ACTIVITIES, {cell: _error(cell, "#REF!")})
    workbook = CalamineWorkbook.from_path(str(clean))
    try:
        rows = workbook.get_sheet_by_name(ACTIVITIES).to_python(skip_empty_area=False)
    finally:
        workbook.close()
    assert rows[1][[c.key for c in ctx.template.sheet("activities").columns].index("hours")] == ""


def test_excel_error_literals_are_recognised() -> None:
    assert set(CLASSIC + NEWER) <= set(EXCEL_ERRORS)
    assert [excel_error(v) for v in ("#REF!", " #n/a ", "#DIV/0!")] == ["#REF!", "#N/A", "#DIV/0!"]
    assert [excel_error(v) for v in ("", "#1 队", "REF!", "A#REF!", 0.0, None)] == [None] * 6


# Excel error values


def test_every_error_value_in_the_grid_is_one_finding(clean: Path, ctx) -> None:
    """Whatever the engine, an error cell is its literal text; each gets cell.excel-error and nothing else."""
    grid = read_grid(clean)
    sheet = grid.sheets[ACTIVITIES]
    keys = [c.key for c in ctx.template.sheet("activities").columns]
    placed = {}
    for n, error in enumerate(CLASSIC + NEWER):
        key, index = ("hours", "volunteers", "beneficiaries")[n // 8], n % 8
        sheet.put(index + 2, keys.index(key) + 1, error)
        placed[_address(ctx, "activities", key, index)] = (ctx.template.sheet("activities").column(key).label, error)
    report, _ = check_grid(grid, ctx.template, RuleContext(ctx.settings, ctx.registry, AS_OF), clean.name)
    expected = sorted(("cell.excel-error", ACTIVITIES, cell, label, error) for cell, (label, error) in placed.items())
    assert _at(report, {(ACTIVITIES, c) for c in placed}) == expected
    assert "cell.required" not in {f.code for f in report.findings}
    letter, row = ctx.template.sheet("activities").address("hours", 0)
    first = next(f for f in report.findings if f.cell == f"{letter}{row}")
    assert (first.severity.value, first.sheet, first.row, first.column) == ("错误", ACTIVITIES, row, letter)
    assert first.message == f"工作表「活动台账」{first.cell} 「{HOURS}」是 Excel 错误值「#REF!」（{EXCEL_ERRORS['#REF!']}）"
    assert first.fix == f"请改为直接填写{HOURS}，或修正公式后重新保存。"


def test_error_text_written_by_other_programs_is_an_error_value(clean: Path, ctx) -> None:
    """Files from other programs may hold the error as text (「#N/A」 in a shared or inline string)."""
    name, team = _address(ctx, "activities", "name", 1), _address(ctx, "activities", "team_ids", 2)
    _put(clean, ACTIVITIES, {name: _text(name, "#N/A"), team: _text(team, " #REF! ")})
    report = validate(clean, ctx, as_of=AS_OF)
    assert _at(report, {(ACTIVITIES, name), (ACTIVITIES, team)}) == sorted(
        [
            ("cell.excel-error", ACTIVITIES, name, "活动名称", "#N/A"),
            ("cell.excel-error", ACTIVITIES, team, "服务队编号", "#REF!"),
        ]
    )
    assert not report.ok


def test_classic_error_cells_in_a_file_are_reported_as_such(clean: Path, ctx) -> None:
    placed = {
        (ACTIVITIES, _address(ctx, "activities", "hours", 0)): (HOURS, "#REF!"),
        (ACTIVITIES, _address(ctx, "activities", "volunteers", 1)): ("参与志愿者人数", "#N/A"),
        (ACTIVITIES, _address(ctx, "activities", "beneficiaries", 2)): ("受益人数", "#VALUE!"),
        (ACTIVITIES, _address(ctx, "activities", "name", 3)): ("活动名称", "#DIV/0!"),
        (ACTIVITIES, _address(ctx, "activities", "date", 4)): ("活动日期", "#NAME?"),
        (ACTIVITIES, _address(ctx, "activities", "kind", 5)): ("活动类别", "#NULL!"),
        (BASIC, _address(ctx, "basic", "report_date")): ("填报日期", "#NUM!"),
    }
    for sheet in (ACTIVITIES, BASIC):
        _put(clean, sheet, {cell: _error(cell, error) for (s, cell), (_, error) in placed.items() if s == sheet})
    report = validate(clean, ctx, as_of=AS_OF)
    expected = sorted(("cell.excel-error", s, cell, label, error) for (s, cell), (label, error) in placed.items())
    assert _at(report, set(placed)) == expected
    assert "cell.required" not in {f.code for f in report.findings}


def test_the_guard_tells_the_reader_which_sheets_hold_no_error_cell(clean: Path, ctx) -> None:
    """The guard decompresses every sheet anyway; the sheets it saw without an error-typed cell are not decompressed
    again to look for error values — the one with an error cell is, wherever in the sheet it is."""
    from kexie_xl.files.guard import inspect

    cell = _address(ctx, "activities", "hours", 0)
    clean_sheets: set[str] = set()
    assert inspect(clean, clean_sheets=clean_sheets) is None
    assert sheet_part(clean, ACTIVITIES) in clean_sheets and len(clean_sheets) == len(ctx.template.sheets)
    _put(clean, ACTIVITIES, {cell: _error(cell, "#REF!")})
    # the error cell past the first megabyte the guard reads (stored, not compressed: no bomb by its ratio)
    pad = lambda xml: xml.replace("<sheetData>", "<sheetData>" + " " * (1 << 20), 1)  # noqa: E731
    patch_part(clean, sheet_part(clean, ACTIVITIES), pad)
    with zipfile.ZipFile(clean) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(clean, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    clean_sheets.clear()
    assert inspect(clean, clean_sheets=clean_sheets) is None
    assert sheet_part(clean, ACTIVITIES) not in clean_sheets and sheet_part(clean, BASIC) in clean_sheets
    assert read_grid(clean, clean_sheets=clean_sheets).sheets[ACTIVITIES].value(2, 1 + _column(ctx, "hours")) == "#REF!"
    # told wrongly that the sheet is clean, the reader does not look (so the guard's word must be right)
    assert (
        read_grid(clean, clean_sheets={sheet_part(clean, ACTIVITIES)}).sheets[ACTIVITIES].value(2, 1 + _column(ctx, "hours"))
        == ""
    )


def test_an_error_cell_written_with_single_quotes_is_seen_by_the_guard_too(clean: Path, ctx) -> None:
    """XML allows t='e' as well as t="e" (other programs write it): the sheet is not taken as clean."""
    from kexie_xl.files.guard import inspect

    cell = _address(ctx, "activities", "hours", 0)
    _put(clean, ACTIVITIES, {cell: _error(cell, "#N/A").replace('"', "'")})
    clean_sheets: set[str] = set()
    assert inspect(clean, clean_sheets=clean_sheets) is None and sheet_part(clean, ACTIVITIES) not in clean_sheets
    report = validate(clean, ctx, as_of=AS_OF)
    assert _at(report, {(ACTIVITIES, cell)}) == [("cell.excel-error", ACTIVITIES, cell, HOURS, "#N/A")]


def _column(ctx, key: str) -> int:
    return [c.key for c in ctx.template.sheet("activities").columns].index(key)


def test_newer_error_cells_do_not_make_the_file_unreadable(clean: Path, ctx) -> None:
    cells = {_address(ctx, "activities", "hours", i): error for i, error in enumerate(NEWER)}
    _put(clean, ACTIVITIES, {cell: _error(cell, error) for cell, error in cells.items()})
    report = validate(clean, ctx, as_of=AS_OF)
    assert report.readable
    assert _at(report, {(ACTIVITIES, c) for c in cells}) == sorted(
        ("cell.excel-error", ACTIVITIES, cell, HOURS, error) for cell, error in cells.items()
    )


# Formulas saved without their result: a program that writes formulas and does not calculate them (openpyxl)


def _formula(address: str, formula: str, value: str | None = None, kind: str = "") -> str:
    """A formula cell as a program saves it: with its result (<v>), an empty one, or none."""
    typed = f' t="{kind}"' if kind else ""
    return f'<c r="{address}"{typed}><f>{formula}</f>{"" if value is None else f"<v>{value}</v>"}</c>'


def test_formulas_saved_by_openpyxl_are_named_never_called_empty(clean: Path, ctx, tmp_path: Path) -> None:
    """openpyxl saves a formula without its result; Excel shows the value (it calculates on opening), so 「没有
    填写」 would be a wrong reply, and an optional cell's value would be lost without a word. Each such cell gets
    cell.formula-no-value with its formula and no other finding; the other cells read as before."""
    import openpyxl

    from kexie_xl.api.checking import check_workbook

    _report, before = check_workbook(clean, ctx, as_of=AS_OF)
    placed = {
        (ACTIVITIES, _address(ctx, "activities", "date", 0)): ("活动日期", "=DATE(2026,11,5)"),
        (ACTIVITIES, _address(ctx, "activities", "volunteers", 1)): ("参与志愿者人数", "=4+5"),
        (ACTIVITIES, _address(ctx, "activities", "script_no", 2)): ("宣讲稿编号", "=3*1"),  # optional: was lost
        (ACTIVITIES, _address(ctx, "activities", "kind", 3)): ("活动类别", '=IF(A5<>"","科普讲座","")'),
        (BASIC, _address(ctx, "basic", "reporter")): ("填报人", '=CONCAT("张","三")'),
    }
    workbook = openpyxl.load_workbook(clean)
    for (sheet, cell), (_label, formula) in placed.items():
        workbook[sheet][cell] = formula
    path = tmp_path / "openpyxl.xlsx"
    workbook.save(path)
    report, sub = check_workbook(path, ctx, as_of=AS_OF)
    assert sub is not None and before is not None
    expected = sorted(("cell.formula-no-value", s, cell, label, formula) for (s, cell), (label, formula) in placed.items())
    assert _at(report, set(placed)) == expected
    assert "cell.required" not in {f.code for f in report.findings}
    first = next(f for f in report.findings if f.code == "cell.formula-no-value" and f.sheet == ACTIVITIES)
    cell = _address(ctx, "activities", "date", 0)
    assert first.message == f"工作表「活动台账」{cell} 「活动日期」是公式（=DATE(2026,11,5)），但文件里没有保存它的计算结果"
    assert first.severity.value == "错误" and "请用 Excel 或 WPS 打开本文件、保存后重新报送" in first.fix
    assert first.fix.endswith("或直接填写活动日期。")
    # the formula cells hold nothing; every other value is what the clean workbook says
    rows, clean_rows = sub.rows("activities"), before.rows("activities")
    cleared = {(0, "date"), (1, "volunteers"), (2, "script_no"), (3, "kind")}
    for i, (row, was) in enumerate(zip(rows, clean_rows, strict=True)):
        assert {k: v for k, v in row.values.items() if (i, k) not in cleared} == {
            k: v for k, v in was.values.items() if (i, k) not in cleared
        }
    assert all(rows[i].values[key] is None and key in rows[i].bad for i, key in cleared)
    assert sub.basic.values["reporter"] is None and before.basic.values["reporter"]


def test_what_counts_as_a_saved_result(clean: Path, ctx) -> None:
    """No <v>, an empty one or <v/> in a number cell: no result. A result, even an empty text formula's (Excel saves
    =IF(…,"",…) as t="str" with <v></v>), is read as saved."""
    from kexie_xl.api.checking import check_workbook

    hours = [_address(ctx, "activities", "hours", i) for i in range(5)]
    remark, many = _address(ctx, "activities", "remark", 0), _address(ctx, "activities", "beneficiaries", 0)
    long = "+".join(["A1"] * 20)  # shown by its first 40 characters
    _put(
        clean,
        ACTIVITIES,
        {
            hours[0]: _formula(hours[0], "4+4"),
            hours[1]: _formula(hours[1], "4+4", ""),
            hours[2]: f'<c r="{hours[2]}" s="3"><f>4&amp;4</f><v/></c>',
            hours[3]: _formula(hours[3], "4+4", "8"),
            hours[4]: f'<c r="{hours[4]}"><f t="shared" si="0"/></c>',  # shares another cell's formula
            remark: _formula(remark, 'IF(1,"","")', "", "str"),
            many: _formula(many, long),
        },
    )
    report, sub = check_workbook(clean, ctx, as_of=AS_OF)
    assert sub is not None
    assert _at(report, {(ACTIVITIES, c) for c in [*hours, remark, many]}) == sorted(
        [
            ("cell.formula-no-value", ACTIVITIES, many, "受益人数", f"={long}"[:40] + "…"),
            ("cell.formula-no-value", ACTIVITIES, hours[0], HOURS, "=4+4"),
            ("cell.formula-no-value", ACTIVITIES, hours[1], HOURS, "=4+4"),
            ("cell.formula-no-value", ACTIVITIES, hours[2], HOURS, "=4&4"),
            ("cell.formula-no-value", ACTIVITIES, hours[4], HOURS, "共享公式"),
        ]
    )
    assert sub.rows("activities")[3].values["hours"] == 8 and sub.rows("activities")[0].values["remark"] is None


def test_a_formula_in_a_prefixed_package_and_a_value_already_read_stay_as_they_are(clean: Path, ctx) -> None:
    """Sheet XML written with a namespace prefix (<x:c>, <x:f>) is searched the same way; a value the engine read
    is never replaced."""
    from kexie_xl.files.calamine import _cells_to_patch

    def _uncalculated(xml: bytes) -> dict:
        return _cells_to_patch(xml)[1]

    xml = b'<x:c r="O2"><x:f>4+4</x:f></x:c><x:c r="P2" t="str"><x:f>A1</x:f><x:v>t</x:v></x:c><c r="Q2"><f>1</f></c>'
    found = _uncalculated(xml)
    assert found == {(2, 15): Uncalculated("4+4"), (2, 17): Uncalculated("1")}
    # cells never closed (a damaged or hostile sheet) are read in one pass; the closed one after them is found
    assert _uncalculated(b'<c r="A1"><f>1</f>' * 50_000 + b'<c r="B3"><f>2</f></c>') == {(3, 2): Uncalculated("2")}
    assert _uncalculated(b'<xm:f>codes!A1</xm:f><c r="C1" s="1"/><c r="D1"><v>3</v></c>') == {}  # no formula in a cell
    # error cells the same way: an unclosed one is no cell; one without a literal or an address is left to calamine
    errors = b'<c r="E2" t="e"><v>#REF!</v>' * 50_000 + b"<c r='F2' t='e'><f>1/0</f><v>#DIV/0!</v></c>"
    errors += b'<c r="G2" t="e"><v></v></c><c t="e"><v>#N/A</v></c><c r="H2" t="e"/>'
    assert _cells_to_patch(errors) == ({(2, 6): b"#DIV/0!"}, {})

    assert str(found[(2, 15)]) == "=4+4" and str(Uncalculated("")) == "共享公式"
    cell = _address(ctx, "activities", "hours", 0)
    _put(clean, ACTIVITIES, {cell: _formula(cell, "4+4")})
    grid = read_grid(clean)
    column = 1 + _column(ctx, "hours")
    assert grid.sheets[ACTIVITIES].value(2, column) == Uncalculated("4+4")
    assert read_grid(clean, clean_sheets={sheet_part(clean, ACTIVITIES)}).sheets[ACTIVITIES].value(2, column) == ""


def test_a_long_sheet_is_searched_in_pieces_that_cut_no_cell() -> None:
    """A sheet is walked in ~64 KB pieces ending at a cell's end (only pieces that may hold a formula or an error are
    walked): the cells found are those of one walk over the whole sheet, wherever they fall."""
    from kexie_xl.files.calamine import _PIECE, _cells_to_patch, _walk

    cells, expected_errors, expected_formulas = [], {}, {}
    for n in range(1, 12_001):
        ref = f"B{n}"
        if n % 997 == 0:
            cells.append(f'<c r="{ref}"><f>A{n}*2</f></c>')
            expected_formulas[(n, 2)] = Uncalculated(f"A{n}*2")
        elif n % 1_499 == 0:
            cells.append(f'<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
            expected_errors[(n, 2)] = b"#DIV/0!"
        else:
            cells.append(f'<c r="{ref}" s="3"><v>{n}</v></c>')
    xml = "".join(f'<row r="{n}">{c}</row>' for n, c in enumerate(cells, 1)).encode()
    assert len(xml) > 5 * _PIECE
    whole: tuple[dict, dict] = ({}, {})
    _walk(xml, *whole)
    assert _cells_to_patch(xml) == whole == (expected_errors, expected_formulas)


def test_the_guard_sends_the_reader_to_sheets_with_formulas_only(clean: Path, ctx) -> None:
    """The template's dropdowns (<formula1>) and Excel's x14 dropdown lists (<xm:f>) are not cell formulas: a clean
    workbook's sheets stay clean; a sheet with one <f> is looked at again."""
    from kexie_xl.files.guard import inspect, may_hold_formulas

    assert b"<formula1>" in zipfile.ZipFile(clean).read(sheet_part(clean, ACTIVITIES))
    for xml, may in [
        (b"<c><f>1</f></c>", True),
        (b'<c><f t="shared" ref="A1:A2" si="0">1</f></c><c><f t="shared" si="0"/></c>', True),
        (b"<x:c><x:f>1</x:f></x:c>", True),
        (b"<dataValidation><formula1>$A$1</formula1></dataValidation><cfRule><formula>1</formula></cfRule>", False),
        (b"<x14:dataValidation><x14:formula1><xm:f>codes!$A$1</xm:f></x14:formula1></x14:dataValidation>", False),
        (b"<c><f>1</f></c><x14:formula1><xm:f>codes!$A$1</xm:f></x14:formula1>", True),
    ]:
        assert may_hold_formulas(xml) is may, xml
    clean_sheets: set[str] = set()
    assert inspect(clean, clean_sheets=clean_sheets) is None and len(clean_sheets) == len(ctx.template.sheets)
    cell = _address(ctx, "activities", "hours", 0)
    _put(clean, ACTIVITIES, {cell: _formula(cell, "4+4", "8")})
    clean_sheets.clear()
    assert inspect(clean, clean_sheets=clean_sheets) is None
    assert sheet_part(clean, ACTIVITIES) not in clean_sheets and sheet_part(clean, BASIC) in clean_sheets


# Text longer than a cell holds


@pytest.fixture
def long_text(clean: Path, ctx) -> tuple[Path, str, str]:
    """The clean workbook with a 50,003-character 经验做法 (openpyxl and Excel cannot write it; other programs can)."""
    cell = _address(ctx, "experience", "text")
    text = "经验做法正文。" + "字" * (LONG - 7)
    _put(clean, EXPERIENCE, {cell: _text(cell, text)})
    return clean, cell, text


def test_text_beyond_the_cell_limit_is_a_warning(long_text, ctx) -> None:
    path, cell, text = long_text
    report = validate(path, ctx, as_of=AS_OF)
    assert report.flatten(("code", "severity", "sheet", "cell", "label", "value")) == [
        ("cell.text-too-long", "警告", EXPERIENCE, cell, "内容", text[:20] + "…"),
    ]
    finding = report.findings[0]
    assert f"有 {LONG:,} 字" in finding.message and report.ok


def test_characters_beyond_u_ffff_count_twice() -> None:
    emoji = "😀" * (EXCEL_CELL_MAX // 2 + 1)  # fewer characters than the limit, more UTF-16 units
    assert len(emoji) < EXCEL_CELL_MAX < excel_length(emoji)
    for text in (emoji, "字" * LONG, "a" * (EXCEL_CELL_MAX + 1)):
        cut = clip(text)
        assert excel_length(cut) <= EXCEL_CELL_MAX and cut.endswith("已截断，全文见原件）")
        assert text.startswith(cut[:100])
    for text in ("", "短文本", "a" * EXCEL_CELL_MAX, "😀" * (EXCEL_CELL_MAX // 2)):
        assert clip(text) is text


def test_city_workbook_cuts_long_text_visibly(long_text, ctx, tmp_path: Path) -> None:
    path, _cell, text = long_text
    result = consolidate_month([path], ctx, "2026-11", output=tmp_path / "city.xlsx", store_path=tmp_path / "s.db")
    assert result.counts.by_status == {C.ADOPTED: 1}
    workbook = CalamineWorkbook.from_path(str(tmp_path / "city.xlsx"))
    try:
        rows = workbook.get_sheet_by_name(C.EXPERIENCE).to_python()
    finally:
        workbook.close()
    header = rows[0]
    written = rows[1][header.index("内容")]
    assert written.endswith(MARK) and excel_length(written) <= EXCEL_CELL_MAX
    assert written == text[: EXCEL_CELL_MAX - len(MARK)] + MARK


def test_new_codes_are_documented() -> None:
    catalogue = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    for code in ("cell.excel-error", "cell.text-too-long", "cell.formula-no-value"):
        assert f"| `{code}` |" in catalogue
