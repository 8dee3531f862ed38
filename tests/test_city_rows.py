"""The city workbook's table rows rendered beside xlsxwriter (write/rows.py) read back exactly as the same values
written cell by cell through xlsxwriter: values, number formats, fills, wrapping — in openpyxl, python-calamine and
LibreOffice. And a unit's text that looks like xlsxwriter's rich-string XML ("<r>…</r>") stays what it was."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from kexie_xl.read.cells import EXCEL_CELL_MAX
from kexie_xl.write.city import clip
from kexie_xl.write.rows import SafeTextSheet

from .conftest import convert
from .test_cells import CITY_KEYS, TRICKY, VALUES, calamine_sheet, rendered_book, table_book

KEYS, WRAP = CITY_KEYS, ("note",)
ROWS = st.lists(st.fixed_dictionaries({k: VALUES for k in KEYS}), max_size=8)


def _exact(value: Any) -> bool:
    try:
        return math.isfinite(float(value)) and float(value) == value
    except OverflowError:
        return False


def _reference(path: Path, rows: list[dict[str, Any]]) -> None:
    """The same rows through xlsxwriter's own cell writers, by the rules write/city.py follows."""
    wb, f, ws = table_book(path, SafeTextSheet)
    for r, row in enumerate(rows, start=1):
        for c, key in enumerate(KEYS):
            value, fmt = row.get(key), f.wrap if key in WRAP else None
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                ws.write_string(r, c, "是" if value else "否", fmt or f.text)
            elif isinstance(value, (int, float)) and _exact(value):
                ws.write_number(r, c, float(value), fmt or (f.int if float(value).is_integer() else f.dec))
            elif isinstance(value, date):
                ws.write_datetime(r, c, datetime.combine(value, time()), fmt or f.day)
            else:
                text = clip(str(value))
                style = f.status[text] if key == "status" and text in f.status else fmt or f.text
                ws.write_string(r, c, text, style)
    wb.close()


def _cells(path: Path) -> list[list[tuple[Any, ...]]]:
    """Each cell as openpyxl reads it: value, number format, fill, wrapping."""
    ws = openpyxl.load_workbook(path)["t"]
    return [
        [(c.value, c.number_format, c.fill.fgColor.rgb if c.fill.fill_type else None, bool(c.alignment.wrap_text)) for c in row]
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=len(KEYS))
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_rendered_rows_read_back_as_xlsxwriter_s_own(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    rendered_book(ours, rows)
    _reference(theirs, rows)
    assert _cells(ours) == _cells(theirs)
    assert calamine_sheet(ours) == calamine_sheet(theirs)
    assert openpyxl.load_workbook(ours)["t"].dimensions == openpyxl.load_workbook(theirs)["t"].dimensions or not any(
        v not in (None, "") for row in rows for v in row.values()
    )


def test_tricky_texts_survive_libreoffice_and_read_back_literally(tmp_path: Path, soffice: str) -> None:
    rows = [{"unit": text, "note": text, "n": n, "day": date(2026, 11, 2)} for n, text in enumerate(TRICKY)]
    rows.append({"unit": "x" * (EXCEL_CELL_MAX + 10)})
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    rendered_book(ours, rows)
    _reference(theirs, rows)
    read = calamine_sheet(ours)
    assert read == calamine_sheet(theirs)
    literal = [t if t != "\ufffe" else "_xFFFE_" for t in TRICKY]  # U+FFFE cannot be in a cell: its escape stays
    assert [r[0] for r in read[1:]] == [*literal, clip("x" * (EXCEL_CELL_MAX + 10))]
    back = convert(soffice, ours, tmp_path / "lo")
    skip = {"_xfffe_"}  # LibreOffice writes that escape back in lower case
    assert [r[:2] for r in calamine_sheet(back) if r[0].lower() not in skip] == [r[:2] for r in read if r[0].lower() not in skip]
    ws = openpyxl.load_workbook(back)["t"]
    assert ws.cell(2, 1).value == "<r>x</r>" and ws.cell(2, 3).value == datetime(2026, 11, 2)
    assert ws.cell(2, 3).number_format == "yyyy\\-mm\\-dd" or ws.cell(2, 3).number_format == "yyyy-mm-dd"


def test_a_unit_s_texts_shaped_like_xml_reach_the_city_workbook_and_the_period_report_unchanged(ctx, tmp_path: Path) -> None:
    from kexie_xl.api import consolidate_month, period_report
    from kexie_xl.schema import city as C

    from .builders import changed, clean_filling, write
    from .conftest import ROOT

    filling = changed(clean_filling(), "activities", 7, name="<r>应急</r>", remark="a&b<c>")
    filling = changed(filling, "teams", 2, name="<r><t>队</t></r>")
    source = write(tmp_path / "2026-11_万州区科协.xlsx", ctx.template, filling)
    city, store = tmp_path / "city.xlsx", tmp_path / "store.sqlite"
    result = consolidate_month([source], ctx, "2026-11", output=city, store_path=store)
    assert result.counts.by_status == {C.ADOPTED: 1}
    book = CalamineWorkbook.from_path(str(city))
    detail = book.get_sheet_by_name(C.DETAIL).to_python()
    row = dict(zip(detail[0], detail[1], strict=True))
    assert row["活动名称"] == "<r>应急</r>" and row["备注"] == "a&b<c>", row
    import zipfile

    with zipfile.ZipFile(city) as zf:  # every text a shared string: some readers (exceljs…) read no inline string
        sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        sst = zf.read("xl/sharedStrings.xml").decode()
        assert not [x for x in sheets if "inlineStr" in x] and "&lt;r&gt;应急&lt;/r&gt;" in sst
        refs = sum(x.count('t="s"') for x in sheets)  # <sst count>: every cell that refers to the table, as Excel keeps it
        assert refs > 50 and f'count="{refs}"' in sst[: sst.index(">", sst.index("<sst"))]
    report = tmp_path / "year.xlsx"
    period_report("2026", ROOT / "tests" / "data" / "empty.toml", store_path=store, output=report)
    teams = CalamineWorkbook.from_path(str(report)).get_sheet_by_name("季度达标").to_python()
    assert any("<r><t>队</t></r>" in r for r in teams)
