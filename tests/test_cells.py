"""Normalisation of typed values: properties over many inputs (hypothesis), and the edge cases by name."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xlsxwriter.utility import _datetime_to_excel_datetime

from kexie_xl.read import cells
from kexie_xl.read.cells import CellProblem, excel_error
from kexie_xl.schema.codelists import ACTIVITY_KIND
from kexie_xl.write.rows import Plan, Styles, _cell, _column, render, serial

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(
    days,
    st.sampled_from(
        [
            "{y}.{m}.{d}",
            "{y}/{m}/{d}",
            "{y}-{m:02d}-{d:02d}",
            "{y}年{m}月{d}日",
            "{y}{m:02d}{d:02d}",
            "{y} 年 {m} 月 {d} 日",
            "{y}-{m}-{d} 00:00:00",
        ]
    ),
    st.booleans(),
)
def test_every_textual_date_form_parses_to_the_same_day(day: date, form: str, full_width: bool) -> None:
    text = form.format(y=day.year, m=day.month, d=day.day)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert cells.day(text) == day


@given(days)
def test_excel_serials_date_cells_and_short_forms(day: date) -> None:
    serial = (day - cells.EXCEL_EPOCH).days
    assert cells.day(float(serial)) == day == cells.day(datetime.combine(day, datetime.min.time()))
    assert cells.day(f"{day.month}月{day.day}日", day.year) == day


@pytest.mark.parametrize("bad", ["2026.13.5", "2026-02-30", "明天", "11月5日", "5", "2026.11"])
def test_impossible_or_incomplete_dates_are_reported(bad: str) -> None:
    with pytest.raises(CellProblem) as err:
        cells.day(bad)  # no year known for 11月5日 here
    assert err.value.code == "cell.date-invalid"


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "人", "人次", "个", " 人"]))
def test_integers_with_units_and_full_width_digits(n: int, unit: str) -> None:
    assert cells.integer(f"{n}{unit}".translate(FULL_WIDTH)) == n == cells.integer(float(n))


@pytest.mark.parametrize(
    ("raw", "code"),
    [("2.5", "cell.not-integer"), ("十二", "cell.not-integer"), (True, "cell.not-integer"), (float("nan"), "cell.not-integer")],
)
def test_non_integers(raw: object, code: str) -> None:
    with pytest.raises(CellProblem) as err:
        cells.integer(raw)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("raw", "month"),
    [
        ("2026-11", "2026-11"),
        ("2026.11", "2026-11"),
        ("2026年11月", "2026-11"),
        ("2026年11月份", "2026-11"),
        ("202611", "2026-11"),
        (2026.11, "2026-11"),
        (2026.1, "2026-10"),
        (date(2026, 11, 1), "2026-11"),
        ("２０２６-１１", "2026-11"),
    ],
)
def test_months(raw: object, month: str) -> None:
    assert cells.month(raw) == month


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "023-63003526", "63003526", "(023)63003526", "138 1234 5678", 13812345678.0, "０２３－６３００３５２６"],
)
def test_phones_accepted(raw: object) -> None:
    assert cells.phone(raw)


@pytest.mark.parametrize("raw", ["1380023", "12345678901", "电话", "023-123"])
def test_phones_rejected(raw: object) -> None:
    with pytest.raises(CellProblem):
        cells.phone(raw)


def test_codes_aliases_brackets_and_multi() -> None:
    assert cells.code("进企业(园区)", ACTIVITY_KIND) == "进企业（园区）"
    assert cells.code(" 进园区 ", ACTIVITY_KIND) == "进企业（园区）"
    assert cells.refs("Ｔ０１，T02; T03") == "T01、T02、T03"
    assert [cells.yesno(v) for v in ("是", "Y", "无", "否")] == ["是", "是", "否", "否"]
    with pytest.raises(CellProblem) as err:
        cells.code("进校区", ACTIVITY_KIND)
    assert err.value.fields == {"value": "进校区"}


# Round trip: values written into the template by the writer come back from the reader unchanged


# an Excel error literal (「#DIV/0!」) is not text in a workbook: openpyxl writes it as an error value, and reading
# reports it as cell.excel-error (tests/test_cell_limits.py)
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s.strip() != "" and excel_error(s) is None
)


@given(
    name=text,
    remark=st.one_of(st.none(), text),
    volunteers=st.integers(min_value=0, max_value=500),
    hours=st.sampled_from([0.5, 1.0, 1.5, 2.0, 7.5, 24.0]),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 11, 20)),
    kind=st.sampled_from(ACTIVITY_KIND.items),
)
def test_template_filled_and_read_gives_the_same_values(
    tmp_path_factory, ctx, name, remark, volunteers, hours, day, kind
) -> None:
    from kexie_xl.api import check_workbook

    from .builders import changed, clean_filling, write

    filling = changed(
        clean_filling(), "activities", 0, name=name, remark=remark, volunteers=volunteers, hours=hours, date=day, kind=kind
    )
    path = write(tmp_path_factory.mktemp("rt") / "rt.xlsx", ctx.template, filling)
    _report, sub = check_workbook(path, ctx, as_of=date(2026, 11, 30))
    row = sub.rows("activities")[0].values
    assert (row["name"], row["remark"], row["volunteers"], row["hours"], row["date"], row["kind"]) == (
        name,
        remark,
        volunteers,
        hours,
        day,
        kind,
    )


# Cells as the city workbook writes them (write/rows.py; read back by openpyxl, calamine and LibreOffice in
# tests/test_city_rows.py)

CITY_KEYS = ("unit", "n", "day", "note", "status")
TRICKY = [
    "<r>x</r>",
    "<r><t>ok</t></r>",
    "<r></t></r>",
    "_x0041_",
    " lead",
    "trail ",
    "a&b<c>d",
    "\x01\x1f",
    "tab\there",
    "line\nbreak",
    "cr\rhere",
    "\ufffe",
    "𠀀𠀁",
    "=1+1",
    "未达标",
    "待开展",
    "{0}\x00",
]
VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.booleans(),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
)


def test_an_integer_no_double_holds_is_written_as_its_digits() -> None:
    styles = Styles(1, 2, 3, 4, 5, {})
    (row,) = render([{"n": 2**53 + 1, "unit": float("nan")}], Plan.of(CITY_KEYS, styles), 2)
    assert f"<t>{2**53 + 1}</t>" in row and "<t>nan</t>" in row and "<v>" not in row


def test_rows_are_numbered_from_the_first_row() -> None:
    styles = Styles(1, 2, 3, 4, 5, {})
    rendered = render([{"unit": "甲", "n": 1}, {"unit": "乙"}], Plan.of(CITY_KEYS, styles), 7)
    assert rendered[0] == '<row r="7"><c r="A7" s="1" t="inlineStr"><is><t>甲</t></is></c><c r="B7" s="3"><v>1</v></c></row>'
    assert rendered[1] == '<row r="8"><c r="A8" s="1" t="inlineStr"><is><t>乙</t></is></c></row>'


COLUMN = st.one_of(
    st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(TRICKY)), max_size=6),
    st.lists(st.one_of(st.none(), st.integers(-(10**17), 10**17)), max_size=6),
    st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), max_size=6),
    st.lists(st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1))), max_size=6),
    st.lists(VALUES, max_size=6),
)


@given(values=COLUMN, wrap=st.booleans(), status=st.booleans())
def test_a_column_of_one_kind_is_written_as_cell_by_cell(values: list[Any], wrap: bool, status: bool) -> None:
    """The comprehension for a column of one plain kind writes what the general cell writer writes."""
    styles = Styles(1, 2, 3, 4, 5, {"未达标": 6, "待开展": 7})
    style = 2 if wrap else 1
    expected = [_cell(f"C{n}", v, style, wrap, status, styles) for n, v in enumerate(values, 4)]
    assert _column(values, "C", 4, wrap, status, styles) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_serial_days_are_xlsxwriter_s(day: date) -> None:
    assert serial(day) == _datetime_to_excel_datetime(datetime.combine(day, time()), False, False)
