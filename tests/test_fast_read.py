"""The reader's column-wise fast pass (read/fast.py) takes a value only where the per-cell normaliser would return
exactly that value and record no change: checked over every table column of the template with generated values."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kexie_xl.read import cells
from kexie_xl.read.fast import MISS, clean_column, proven_clean, rows_adapter
from kexie_xl.read.submission import ID_COLUMNS, NORMALISERS
from kexie_xl.schema.standard import build_template
from kexie_xl.schema.types import Kind, Layout

TEMPLATE = build_template(("全国志愿服务信息系统（中国志愿服务网）", "志愿重庆"), ())
COLUMNS = [(s.key, c) for s in TEMPLATE.sheets if s.layout is Layout.TABLE for c in s.columns]
TABLES = [s for s in TEMPLATE.sheets if s.layout is Layout.TABLE]
ITEMS = sorted({i for _k, c in COLUMNS if c.codes for i in TEMPLATE.code_list(c.codes).items})
ALIASES = sorted({a for _k, c in COLUMNS if c.codes for a, _i in TEMPLATE.code_list(c.codes).aliases})

raw_values = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", "#REF!", " #N/A", "# 1", "T01", "T01、T02", "T01,T02", "Ｔ０１", "T 01", "A-1.2_x"]),
    st.sampled_from(ITEMS),
    st.sampled_from(ALIASES or ["x"]),
    st.builds(lambda i: f" {i} ", st.sampled_from(ITEMS)),
    st.text(max_size=12),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0, 10**6).map(math.floor).map(float),
    st.booleans(),
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.datetimes(datetime(1950, 1, 1), datetime(2099, 12, 31)),
    st.sampled_from(["是", "否", "Y", "2026-11-05", "2026.11.5", "12人", "1" * 17000]),
)


def _normalise(column, value):
    if column.open_list:
        return cells.text(value)
    normalise = cells.ident if column.key in ID_COLUMNS else NORMALISERS[column.kind]
    extra = TEMPLATE.code_list(column.codes) if column.codes and column.kind is not Kind.YESNO else 2026
    return normalise(value, extra)


@pytest.mark.parametrize(("sheet", "column"), COLUMNS, ids=[f"{s}.{c.key}" for s, c in COLUMNS])
@given(values=st.lists(raw_values, max_size=30))
def test_the_fast_pass_agrees_with_the_per_cell_path(sheet: str, column, values: list) -> None:
    extra = TEMPLATE.code_list(column.codes) if column.codes and column.kind is not Kind.YESNO else 2026
    fast = clean_column(values, column, extra)
    assert len(fast) == len(values)
    for raw, value in zip(values, fast, strict=True):
        if value is MISS:
            continue
        if raw is None or raw == "":
            assert value is None
            continue
        assert cells.excel_error(raw) is None
        expected = _normalise(column, raw)  # raises CellProblem if the fast pass let a bad value through
        assert value == expected and type(value) is type(expected), (raw, value, expected)
        unchanged = (
            expected == raw or (column.kind is Kind.DATE and isinstance(raw, date)) or cells.show(raw) == cells.show(expected)
        )
        assert unchanged, (raw, expected)  # the per-cell path would have recorded no change either
        assert not (type(value) is str and len(value) > cells.EXCEL_CELL_MAX // 2)  # long text is measured the long way


def test_the_common_cells_take_the_fast_pass() -> None:
    by_key = {c.key: c for _s, c in COLUMNS}
    kinds = TEMPLATE.code_list(by_key["kind"].codes)
    assert clean_column([datetime(2026, 11, 5), "2026.11.5"], by_key["date"], 2026) == [date(2026, 11, 5), MISS]
    assert clean_column([3.0, 2.5, True, "12人"], by_key["volunteers"], 2026) == [3, MISS, MISS, MISS]
    assert clean_column([kinds.items[0], " " + kinds.items[0]], by_key["kind"], kinds) == [kinds.items[0], MISS]
    assert clean_column(["A2026-001", "Ａ2026-001", None, ""], by_key["activity_id"], 2026) == ["A2026-001", MISS, None, None]
    assert clean_column(["T01、T02", "T01,T02"], by_key["team_ids"], 2026) == ["T01、T02", MISS]
    assert clean_column(["科普讲座", " 科普讲座", "#REF!"], by_key["name"], 2026) == ["科普讲座", MISS, MISS]


# The reader skips the row model where proven_clean says it can find nothing: that must never hide a finding.
typed_values = st.one_of(
    st.none(),
    st.integers(-3, 70),
    st.integers(-(10**30), 10**30),
    st.booleans(),
    st.floats(-1, 100),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)),
    st.sampled_from(["T01", "是", "", " x "]),
)


@pytest.mark.parametrize("sheet", TABLES, ids=[s.key for s in TABLES])
@given(data=st.data())
def test_a_table_proven_clean_has_nothing_for_the_row_model_to_find(sheet, data) -> None:
    rows = data.draw(st.integers(1, 4))
    present = data.draw(st.lists(st.sampled_from([c.key for c in sheet.columns]), unique=True, min_size=1))
    columns = {key: data.draw(st.lists(typed_values, min_size=rows, max_size=rows)) for key in present}
    if proven_clean(sheet, columns):
        records = [{key: values[n] for key, values in columns.items()} for n in range(rows)]
        try:
            rows_adapter(TEMPLATE, sheet.key).validate_python(records)
        except ValidationError as exc:  # only a column not in the sheet may be missing (header.missing says it)
            assert {e["type"] for e in exc.errors()} == {"missing"}, exc.errors()
            assert {e["loc"][1] for e in exc.errors()} <= {c.key for c in sheet.columns} - set(present)


def test_clean_ledger_columns_are_proven_and_each_kind_of_problem_is_not() -> None:
    activities = TEMPLATE.sheet("activities")
    clean = {
        "activity_id": ["A1", "A2"],
        "date": [date(2026, 11, 5), date(2026, 11, 6)],
        "team_ids": ["T01", "T01、T02"],
        "name": ["科普讲座", "义诊"],
        "kind": ["科普讲座", "科普讲座"],
        "delivery": ["线下", "线上"],
        "script_no": [None, 60],
        "volunteers": [3, 0],
        "hours": [2.5, 0.0],
        "beneficiaries": [40, 1],
    }
    assert proven_clean(activities, clean)
    assert proven_clean(activities, {"name": ["x"]})  # the other columns are not in the sheet: header.missing
    for key, bad in [
        ("date", None),  # a required cell blank
        ("date", datetime(2026, 11, 5)),  # not exactly a date
        ("volunteers", -1),  # below min 0
        ("volunteers", True),  # a bool is not a count
        ("volunteers", 2.0),  # a float in a whole-number column
        ("script_no", 61),  # above max 60
        ("script_no", 0),  # below min 1
        ("hours", 2),  # an int in a decimal column: the model decides
        ("hours", math.inf),
        ("hours", math.nan),
        ("name", 5),
    ]:
        column = [*clean[key][:1], bad]
        assert not proven_clean(activities, {**clean, key: column}), (key, bad)
    assert proven_clean(activities, {**clean, "script_no": [None, None]})  # an optional column left blank
    basic = TEMPLATE.sheet("basic")
    assert not proven_clean(basic, {"unit": (None,)})
    assert proven_clean(basic, {"unit": ("万州区科协",), "report_date": (date(2026, 11, 30),)})
