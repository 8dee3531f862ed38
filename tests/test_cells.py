"""Normalisation of typed values: properties over many inputs (hypothesis), and the edge cases by name."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
import xlsxwriter.worksheet
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import _datetime_to_excel_datetime

from kexie_xl.read import cells
from kexie_xl.read.cells import EXCEL_CELL_MAX, CellProblem, excel_error
from kexie_xl.schema.codelists import ACTIVITY_KIND
from kexie_xl.write.rows import Plan, SafeTextSheet, Styles, TableSheet, _cell, _column, render, serial, shared_text

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
            "{y}年{m}月{d}号",
            "{y}{m:02d}{d:02d}",
            "{y} 年 {m} 月 {d} 日",
            "{y}-{m}-{d} 00:00:00",
            "{y}年{m}月{d}日上午9:00-11:30",  # the time of day a ledger gives: the day is the date
            "{y}.{m}.{d} 14:00至16:30",
            "{y}-{m:02d}-{d:02d} 下午3点半",
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
    assert cells.day(f"{day.month}月{day.day}日", day.year) == day == cells.day(f"{day.month}月{day.day}号", day.year)
    evening, all_day = f"{day.month}月{day.day}号晚上7点30分", f"{day.month}.{day.day} 全天"
    assert cells.day(evening, day.year) == day == cells.day(all_day, day.year)


@pytest.mark.parametrize(
    "bad",
    [
        *("2026.13.5", "2026-02-30", "明天", "11月5日", "5", "2026.11", "2026年11月5号号", "11月号"),
        # a day run into a clock time, a span of days, a weekday or a bare number after the date: not taken
        *("2026-11-514:00", "2026.11.5-6", "2026年11月5日至6日", "2026-11-05至2026-11-07", "2026-11-05 星期四"),
        *("2026-11-05 14", "2026-11-05上午上午"),
    ],
)
def test_impossible_or_incomplete_dates_are_reported(bad: str) -> None:
    with pytest.raises(CellProblem) as err:
        cells.day(bad)  # no year known for 11月5日 here
    assert err.value.code == "cell.date-invalid"


def test_a_long_text_is_no_date_and_spaces_inside_one_count_once() -> None:
    """A hostile cell — a date followed by tens of thousands of spaces — is refused at once (the patterns' neighbouring
    \\s* used to try every split of the run); a date's own spaces, however many, still read."""
    assert cells.day("2026-11-05   14:00") == date(2026, 11, 5) == cells.day("2026年 11 月　5日  上午", 2026)
    for hostile in ("2026-11-05" + " " * 50_000 + "x", "11月5日" + " " * 50_000 + "上午" + " " * 50_000 + "x"):
        with pytest.raises(CellProblem):
            cells.day(hostile, 2026)
    longest = "2026 年 11 月 05 号 上午 09 : 00 : 00 至 下午 11 : 30 : 00"  # every part the patterns allow, spaced
    assert cells.day(longest) == date(2026, 11, 5) and len(longest) < cells.DATE_TEXT_MAX
    with pytest.raises(CellProblem) as err:
        cells.day("2026-11-05" + "x" * cells.DATE_TEXT_MAX)
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
CITY_STATUS = {"未达标": "#FFC7CE", "待开展": "#FFEB9C"}
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
    # From 1900-01-02: xlsxwriter writes 1900-01-01 as serial 0 (test_xlsxwriter_writes_1900_01_01_as_day_0)
    st.dates(min_value=date(1900, 1, 2), max_value=date(2200, 12, 31)),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)),
)


ST = Styles(1, 2, 3, 4, 5, {"未达标": 6, "待开展": 7})


class SharedStrings:
    """A shared string table as xlsxwriter keeps one: each new text gets the next index."""

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}
        self.count = 0  # references, as <sst count>

    def __call__(self, text: str, times: int = 1) -> int:
        self.count += times
        return self.texts.setdefault(text, len(self.texts))


TEXT = '<c r="B7" s="{s}" t="s"><v>0</v></c>'


@pytest.mark.parametrize(
    ("value", "wrap", "status", "xml", "stored"),
    [
        ("", False, False, "", None),
        (None, False, False, "", None),
        ("a&b<c>d", False, False, TEXT.format(s=1), "a&b<c>d"),  # xlsxwriter escapes it in sharedStrings.xml
        (" a ", True, False, TEXT.format(s=2), " a "),
        ("<r>x</r>", False, False, TEXT.format(s=1), "<r><t>&lt;r&gt;x&lt;/r&gt;</t></r>"),  # one plain run
        ("<r>&</r>", False, False, TEXT.format(s=1), "<r><t>&lt;r&gt;&amp;&lt;/r&gt;</t></r>"),
        ("<r>x", False, False, TEXT.format(s=1), "<r>x"),
        ("x</r>", False, False, TEXT.format(s=1), "x</r>"),
        ("未达标", False, True, TEXT.format(s=6), "未达标"),
        ("未达标", False, False, TEXT.format(s=1), "未达标"),
        ("别的", True, True, TEXT.format(s=2), "别的"),
        (True, False, False, TEXT.format(s=1), "是"),
        (False, True, False, TEXT.format(s=2), "否"),
        (12, False, False, '<c r="B7" s="3"><v>12</v></c>', None),
        (12, True, False, '<c r="B7" s="2"><v>12</v></c>', None),
        (2.5, False, False, '<c r="B7" s="4"><v>2.5</v></c>', None),
        (3.0, False, False, '<c r="B7" s="3"><v>3</v></c>', None),
        (2.5, True, False, '<c r="B7" s="2"><v>2.5</v></c>', None),
        (float("inf"), False, False, TEXT.format(s=1), "inf"),
        (2**53 + 1, True, False, TEXT.format(s=2), str(2**53 + 1)),
        (10**400, False, False, TEXT.format(s=1), str(10**400)),
        (date(2026, 11, 6), False, False, '<c r="B7" s="5"><v>46332</v></c>', None),
        (datetime(2026, 11, 6, 15, 30), True, False, '<c r="B7" s="2"><v>46332</v></c>', None),
        (date(1900, 2, 28), False, False, '<c r="B7" s="5"><v>59</v></c>', None),
        (date(1900, 3, 1), False, False, '<c r="B7" s="5"><v>61</v></c>', None),
        (time(8, 30), False, False, TEXT.format(s=1), "08:30:00"),
    ],
)
def test_each_kind_of_value_as_a_cell(value: Any, wrap: bool, status: bool, xml: str, stored: str | None) -> None:
    style = 2 if wrap else 1
    strings = SharedStrings()
    assert _cell("B7", value, style, wrap, status, ST, strings) == xml
    assert list(strings.texts) == ([stored] if stored is not None else [])
    column = SharedStrings()
    assert _column([value], "B", 7, wrap, status, ST, column) == [xml] and column.texts == strings.texts


@pytest.mark.parametrize(
    "column",
    [
        ["a", "b&c", "a"],
        ["a", "<r>b</r>"],
        ["未达标", 3, None, "待开展", ""],
        [True, 3, 2.5, date(2026, 11, 6), "x"],
        [1, None, 10**15 - 1, -(10**15) + 1],
        [1.5, None, 2.0],
        [date(2026, 11, 6), None, date(1900, 3, 1)],
    ],
)
@pytest.mark.parametrize(("wrap", "status"), [(False, False), (True, False), (False, True)])
def test_columns_are_written_as_their_cells(column: list[Any], wrap: bool, status: bool) -> None:
    """Columns of one plain kind, or mixed: each cell as the general writer writes it, the same texts shared."""
    one, other = SharedStrings(), SharedStrings()
    expected = [_cell(f"D{n}", v, 2 if wrap else 1, wrap, status, ST, one) for n, v in enumerate(column, 3)]
    assert _column(column, "D", 3, wrap, status, ST, other) == expected and other.texts == one.texts
    assert other.count == one.count
    assert "" not in [e for e, v in zip(expected, column, strict=True) if v not in (None, "")]


def test_a_text_longer_than_a_cell_is_cut_visibly() -> None:
    from kexie_xl.write.city import clip

    for long in ("长" * (EXCEL_CELL_MAX + 1), "𠀀" * (EXCEL_CELL_MAX // 2 + 1)):  # "𠀀" counts twice in Excel
        assert clip(long) != long and shared_text(long) == clip(long)
        strings = SharedStrings()
        assert _cell("A2", long, 1, False, False, ST, strings) == '<c r="A2" s="1" t="s"><v>0</v></c>'
        assert list(strings.texts) == [clip(long)]
        column = SharedStrings()
        assert _column([long, "短"], "A", 2, False, False, ST, column)[0] == '<c r="A2" s="1" t="s"><v>0</v></c>'
        assert list(column.texts) == [clip(long), "短"]
    assert shared_text("长" * (EXCEL_CELL_MAX // 2)) == "长" * (EXCEL_CELL_MAX // 2)


@pytest.mark.parametrize(
    ("day", "number"), [(date(1900, 1, 1), 1), (date(1900, 2, 28), 59), (date(1900, 3, 1), 61), (date(2026, 11, 6), 46332)]
)
def test_serial_days(day: date, number: int) -> None:
    assert serial(day) == number


def test_render_writes_each_column_by_its_plan() -> None:
    plan = Plan.of(CITY_KEYS, ST, wrap=("note",), status_key="status")
    rows = [{"unit": "甲", "note": "长文", "status": "未达标"}, {}, {"n": 3, "status": "达标"}]
    strings = SharedStrings()
    assert render(rows, plan, 2, strings) == [
        '<row r="2"><c r="A2" s="1" t="s"><v>0</v></c><c r="D2" s="2" t="s"><v>1</v></c><c r="E2" s="6" t="s"><v>2</v></c></row>',
        "",
        '<row r="4"><c r="B4" s="3"><v>3</v></c><c r="E4" s="1" t="s"><v>3</v></c></row>',
    ]
    assert list(strings.texts) == ["甲", "长文", "未达标", "达标"]


def test_an_integer_no_double_holds_is_written_as_its_digits() -> None:
    strings = SharedStrings()
    (row,) = render([{"n": 2**53 + 1, "unit": float("nan")}], Plan.of(CITY_KEYS, ST), 2, strings)
    assert list(strings.texts) == ["nan", str(2**53 + 1)] and "<v>0</v>" in row and "<v>1</v>" in row


def test_rows_are_numbered_from_the_first_row() -> None:
    rendered = render([{"unit": "甲", "n": 1}, {"unit": "乙"}], Plan.of(CITY_KEYS, ST), 7, SharedStrings())
    assert rendered[0] == '<row r="7"><c r="A7" s="1" t="s"><v>0</v></c><c r="B7" s="3"><v>1</v></c></row>'
    assert rendered[1] == '<row r="8"><c r="A8" s="1" t="s"><v>1</v></c></row>'


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
    one, other = SharedStrings(), SharedStrings()
    expected = [_cell(f"C{n}", v, 2 if wrap else 1, wrap, status, ST, one) for n, v in enumerate(values, 4)]
    assert _column(values, "C", 4, wrap, status, ST, other) == expected and other.texts == one.texts
    assert other.count == one.count


@given(st.dates(min_value=date(1900, 1, 2), max_value=date(9999, 12, 31)))
def test_serial_days_are_xlsxwriter_s(day: date) -> None:
    assert serial(day) == _datetime_to_excel_datetime(datetime.combine(day, time()), False, False)


def test_xlsxwriter_writes_1900_01_01_as_day_0() -> None:
    """xlsxwriter takes any datetime whose ISO calendar is (1900, 1, 1) — the Monday 1900-01-01 — for a time without
    a date and subtracts a day: Excel then shows 1900-01-00. Rendered rows write Excel's serial 1 for that day
    (test_serial_days), so the comparisons with xlsxwriter start on 1900-01-02. If xlsxwriter changes, this says so."""
    assert _datetime_to_excel_datetime(datetime(1900, 1, 1), False, False) == 0
    assert _datetime_to_excel_datetime(datetime(1900, 1, 2), False, False) == serial(date(1900, 1, 2)) == 2


# The rendered rows inside an xlsxwriter workbook (TableSheet) and the literal text guard (SafeTextSheet)


class CityFormats:
    """The five cell styles of the city workbook's tables, in a test workbook."""

    def __init__(self, wb: Any) -> None:
        self.text = wb.add_format({"border": 1, "valign": "top"})
        self.wrap = wb.add_format({"border": 1, "valign": "top", "text_wrap": True})
        self.int = wb.add_format({"border": 1, "num_format": "0"})
        self.dec = wb.add_format({"border": 1, "num_format": "0.0"})
        self.day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        self.status = {k: wb.add_format({"border": 1, "bg_color": v, "align": "center"}) for k, v in CITY_STATUS.items()}

    def styles(self) -> Styles:
        return Styles.of(self.text, self.wrap, self.int, self.dec, self.day, self.status)


def table_book(path: Path, worksheet_class: type) -> tuple[Any, CityFormats, Any]:
    """A workbook with sheet「t」 of `worksheet_class` and its header row written: (workbook, formats, sheet)."""
    wb = xlsxwriter.Workbook(str(path))
    f = CityFormats(wb)
    ws = wb.add_worksheet("t", worksheet_class=worksheet_class)
    for c, key in enumerate(CITY_KEYS):
        ws.write_string(0, c, key, f.text)
    return wb, f, ws


def rendered_book(path: Path, rows: list[dict[str, Any]]) -> None:
    """`rows` rendered into sheet「t」 below a header row, as the city workbook's tables are."""
    wb, f, ws = table_book(path, TableSheet)
    ws.add_rows(
        render(rows, Plan.of(CITY_KEYS, f.styles(), wrap=("note",), status_key="status"), 2, ws.shared), 1, len(CITY_KEYS) - 1
    )
    wb.close()


def calamine_sheet(path: Path, name: str = "t") -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_repeated_texts_make_the_shared_string_table_xlsxwriter_makes(tmp_path: Path) -> None:
    """Rendered rows fill the shared string table as xlsxwriter's own cell writer does: sharedStrings.xml (its texts,
    their order, <sst count> and uniqueCount) is the one xlsxwriter writes for the same cells in the same order."""
    rows = [{"unit": u, "note": n, "status": "未达标"} for u, n in [("甲", "x"), ("乙", "x"), ("甲", "y"), ("甲", "x")]]
    ours = tmp_path / "ours.xlsx"
    rendered_book(ours, rows)
    theirs = tmp_path / "theirs.xlsx"
    wb, f, ws = table_book(theirs, xlsxwriter.worksheet.Worksheet)
    for c, key in enumerate(CITY_KEYS):  # column by column, as render asks
        for r, row in enumerate(rows, 1):
            if row.get(key):
                ws.write_string(r, c, row[key], f.text)
    wb.close()
    sst = [zipfile.ZipFile(p).read("xl/sharedStrings.xml").decode() for p in (ours, theirs)]
    assert sst[0] == sst[1] and 'count="17" uniqueCount="10"' in sst[0]  # 5 headers + 12 cells; 5 + 甲乙xy未达标


def test_the_shared_string_count_is_one_per_text_cell_in_every_kind_of_column(tmp_path: Path) -> None:
    """<sst count> counts every cell that refers to the table once, whether its column is all texts (each distinct
    text looked up once, counted per cell) or mixed (each cell through the general writer)."""
    path = tmp_path / "count.xlsx"
    rows = [{"unit": "甲", "n": "八"}, {"unit": "甲", "n": 2}, {"unit": "乙", "n": "八"}, {"unit": "甲", "n": "九"}]
    rendered_book(path, rows)
    with zipfile.ZipFile(path) as zf:
        sheet, sst = zf.read("xl/worksheets/sheet1.xml").decode(), zf.read("xl/sharedStrings.xml").decode()
    assert sheet.count('t="s"') == 5 + 4 + 3  # the header, 甲甲乙甲, 八八九 (2 is a number)
    assert 'count="12" uniqueCount="9"' in sst  # 5 headers + 甲乙 + 八九


def test_a_row_with_no_value_keeps_its_place(tmp_path: Path) -> None:
    path = tmp_path / "gap.xlsx"
    rendered_book(path, [{"unit": "甲"}, {"unit": None, "n": ""}, {"unit": "丙", "n": 3}])
    assert calamine_sheet(path) == [list(CITY_KEYS), ["甲", "", "", "", ""], [""] * 5, ["丙", 3.0, "", "", ""]]


@pytest.mark.parametrize(("row", "how"), [(1, "cell"), (2, "cell"), (1, "height"), (2, "height")])
def test_a_cell_written_through_xlsxwriter_among_rendered_rows_is_refused(tmp_path: Path, row: int, how: str) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "mixed.xlsx"))
    f = CityFormats(wb)
    ws = wb.add_worksheet("t", worksheet_class=TableSheet)
    ws.write_string(0, 0, "head")
    assert ws.add_rows(render([{"unit": "甲"}, {"unit": "乙"}], Plan.of(CITY_KEYS, f.styles()), 2, ws.shared), 1, 4) == 2
    if how == "cell":
        ws.write_string(row, 3, "would be lost")
    else:
        ws.set_row(row, 30)
    with pytest.raises(ValueError, match=f"^row {row + 1} holds both rendered rows and cells written through xlsxwriter$"):
        wb.close()
    with pytest.raises(ValueError, match=r"^rendered rows are added once per sheet$"):
        ws.add_rows([], 5, 1)


def test_the_sheet_s_dimension_covers_the_rendered_rows(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "dim.xlsx"
    rendered_book(path, [{"unit": "甲"}, {"n": 2}, {"status": "未达标"}])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:E4"/>' in xml and xml.count("<row ") == 4
    assert openpyxl.load_workbook(path, read_only=True)["t"].max_row == 4


def test_a_plain_text_through_safe_text_sheet_keeps_its_format_and_stays_plain(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("t", worksheet_class=SafeTextSheet)
    ws.write_string(0, 0, "x</r>", wb.add_format({"bold": True}))
    ws.write_string(1, 0, "<r>x")
    wb.close()
    import zipfile

    strings = zipfile.ZipFile(path).read("xl/sharedStrings.xml").decode()
    assert "<si><t>x&lt;/r&gt;</t></si>" in strings and "<si><t>&lt;r&gt;x</t></si>" in strings  # no rich runs
    read = openpyxl.load_workbook(path)["t"]
    assert read["A1"].value == "x</r>" and read["A1"].font.b and read["A2"].value == "<r>x"


@pytest.mark.parametrize("text", ["<r>x</r>", "<r><t>ok</t></r>", "<r></t></r>"])
def test_text_shaped_like_rich_string_xml_is_written_literally_through_xlsxwriter(tmp_path: Path, text: str) -> None:
    path = tmp_path / "safe.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("t", worksheet_class=SafeTextSheet)
    bold = wb.add_format({"bold": True})
    ws.write_string(0, 0, text)
    ws.write(1, 0, text, bold)
    ws.write_row(2, 0, [text, "plain"])
    wb.close()
    assert calamine_sheet(path) == [[text, ""], [text, ""], [text, "plain"]]
    ws_read = openpyxl.load_workbook(path)["t"]
    assert [str(ws_read.cell(r, 1).value) for r in (1, 2, 3)] == [text] * 3 and ws_read.cell(2, 1).font.b


def test_each_style_of_a_rendered_row_is_its_format(tmp_path: Path) -> None:
    """Styles.of hands each xlsxwriter Format's index to the right kind of cell."""
    path = tmp_path / "styles.xlsx"
    rendered_book(path, [{"unit": "甲", "n": 3, "day": date(2026, 11, 6), "note": "长文", "status": "未达标"}, {"n": 2.5}])
    ws = openpyxl.load_workbook(path)["t"]
    a, b, c, d, e = ws[2][:5]
    assert (a.border.left.style, a.alignment.vertical, a.alignment.wrap_text) == ("thin", "top", None)
    assert (b.number_format, c.number_format, ws["B3"].number_format) == ("0", "yyyy-mm-dd", "0.0")
    assert d.alignment.wrap_text and e.fill.fgColor.rgb == "FFFFC7CE" and e.alignment.horizontal == "center"
