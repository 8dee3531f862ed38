"""The reader's column-wise fast pass (read/fast.py) takes a value only where the per-cell normaliser would return
exactly that value and record no change: checked over every table column of the template with generated values."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kexie_xl.read import cells
from kexie_xl.read.fast import MISS, clean_column
from kexie_xl.read.submission import ID_COLUMNS, NORMALISERS
from kexie_xl.schema.standard import build_template
from kexie_xl.schema.types import Kind, Layout

TEMPLATE = build_template(("全国志愿服务信息系统（中国志愿服务网）", "志愿重庆"), ())
COLUMNS = [(s.key, c) for s in TEMPLATE.sheets if s.layout is Layout.TABLE for c in s.columns]
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
