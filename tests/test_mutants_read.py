"""Reading a grid at its edges (issue #19), fast enough for the mutation run: headers moved, renamed, doubled or
under a title; extra and missing columns; the form sheet; every normalisation recorded as a change; the cell
findings of the row models, each at its cell with the right wording; the proof that lets the reader skip them."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kexie_xl.read.cells import EXCEL_CELL_MAX, Change
from kexie_xl.read.fast import proven_clean, rows_adapter
from kexie_xl.read.grid import Grid, SheetGrid
from kexie_xl.read.headers import SCAN_ROWS, map_header

from .grids import check, clean_grid, context, first, found, put, put_basic, sheet_name

ACTS, TEAMS, BASIC, REG, META = (sheet_name(k) for k in ("activities", "teams", "basic", "registration", "meta"))


def _activities(grid: Grid) -> list[dict]:
    _, sub = check(grid)
    return [r.values for r in sub.rows("activities")]


CLEAN = None


def _clean_activities() -> list[dict]:
    global CLEAN
    if CLEAN is None:
        CLEAN = _activities(clean_grid())
    return CLEAN


# Headers


def test_columns_moved_renamed_spaced_and_one_extra() -> None:
    grid = clean_grid()
    rows = grid.sheets[ACTS].rows
    for row in rows:
        row[:] = row[:13] + row[16:] + row[13:16] + [""]  # 参与志愿者人数… moved to the far right
    rows[0][-4] = " 志愿者 人数 "  # an alias, with stray spaces
    rows[0][4] = "活动类型"  # an alias of 活动类别
    rows[0][-1], rows[1][-1] = "审核人", "张三"  # a column the template does not have
    report, sub = check(grid)
    assert [(f.code, f.sheet, f.cell, f.value, f.severity.value) for f in report.findings] == [
        ("header.extra", ACTS, "T1", "审核人", "警告")
    ]
    assert [r.values for r in sub.rows("activities")] == _clean_activities()
    assert sub.rows("activities")[0].cols["volunteers"] == "Q" and sub.rows("activities")[0].cell("kind") == "E2"


def test_a_title_row_and_a_two_row_header_with_a_merged_group_label() -> None:
    grid = clean_grid()
    rows = grid.sheets[ACTS].rows
    header = rows[0]
    top = [""] * len(header)
    top[13], header[13] = "参与志愿者", "人数"
    top[14], header[14] = "服务", "时长（小时）"
    rows[0:0] = [["万州区科协 2026 年科技志愿服务活动台账"], top]
    report, sub = check(grid)
    assert report.findings == []
    assert [r.values for r in sub.rows("activities")] == _clean_activities()
    assert sub.rows("activities")[0].row == 4


def test_a_group_label_is_carried_right_over_its_blank_cells() -> None:
    sheet = context().template.sheet("activities")
    labels = [c.label for c in sheet.columns]
    top = [*labels[:13], "参与志愿者", "", ""]
    below = [""] * 13 + ["人数", "时长（小时）", "受益人数"]
    found_map = map_header(SheetGrid("x", [top, below, ["A-1"]]), sheet)
    assert found_map.rows == (1, 2) and found_map.data_start == 3
    assert found_map.columns["volunteers"] == 14 and found_map.columns["hours"] == 15 and found_map.columns["beneficiaries"] == 16


def test_the_header_is_looked_for_in_the_first_rows_only() -> None:
    sheet = context().template.sheet("activities")
    labels = [c.label for c in sheet.columns]
    assert SCAN_ROWS == 10
    at_eleven = map_header(SheetGrid("x", [["标题"]] * 10 + [labels]), sheet)  # under the tenth row's group label
    at_twelve = map_header(SheetGrid("x", [["标题"]] * 11 + [labels]), sheet)
    assert (at_eleven.rows, len(at_eleven.columns), at_eleven.data_start) == ((10, 11), len(labels), 12)
    assert (at_twelve.rows, at_twelve.columns, at_twelve.data_start) == ((), {}, 1)


def test_a_column_counts_once_and_its_second_header_is_extra() -> None:
    sheet = context().template.sheet("teams")
    labels = [c.label for c in sheet.columns]
    header = map_header(SheetGrid("x", [[*labels, "队伍编号"], ["T01"]]), sheet)
    assert (header.rows, header.data_start, header.columns["team_id"]) == ((1,), 2, 1)
    assert header.extra == [(len(labels) + 1, "队伍编号")] and header.renamed == []


def test_the_header_with_more_known_columns_wins() -> None:
    sheet = context().template.sheet("teams")
    labels = [c.label for c in sheet.columns]
    header = map_header(SheetGrid("x", [["队伍编号", "备注"], ["说明"], labels, ["T01"]]), sheet)
    assert (header.rows[-1], header.data_start, len(header.columns)) == (3, 4, len(labels))


def test_a_renamed_header_is_remembered_with_the_label_shown() -> None:
    sheet = context().template.sheet("activities")
    labels = [c.label for c in sheet.columns]
    labels[4] = "活动类型"
    header = map_header(SheetGrid("x", [labels]), sheet)
    assert [(i, shown, column.key) for i, shown, column in header.renamed] == [(5, "活动类型", "kind")]


def test_a_missing_required_column_is_named_and_its_cells_are_not_read() -> None:
    grid = clean_grid()
    for row in grid.sheets[ACTS].rows:
        del row[3]  # 活动名称
    report, sub = check(grid)
    assert [(f.code, f.sheet, f.cell, f.label) for f in report.findings] == [("header.missing", ACTS, "", "活动名称")]
    assert all("name" not in r.values for r in sub.rows("activities"))


def test_blank_rows_are_skipped_and_rows_keep_their_excel_number() -> None:
    grid = clean_grid()
    rows = grid.sheets[ACTS].rows
    rows.insert(3, ["", None, "  ", "\t"])
    rows.append(["", ""])
    rows.append([])  # a row of no cells at all (another program's grid)
    report, sub = check(grid)
    assert report.findings == [] and [r.row for r in sub.rows("activities")] == [2, 3, 5, 6, 7, 8, 9, 10]


def test_a_sheet_one_column_wide_keeps_its_rows() -> None:
    grid = clean_grid()
    name = sheet_name("experience")
    rows = grid.sheets[name].rows
    grid.sheets[name].rows = [row[:1] for row in rows]  # only the first column, header and data
    _, sub = check(grid)
    first_key = next(iter(sub.rows("experience")[0].values))
    assert [(r.row, list(r.values)) for r in sub.rows("experience")] == [(n, [first_key]) for n in range(2, len(rows) + 1)]
    assert [r.values[first_key] for r in sub.rows("experience")] == [row[0] for row in rows[1:]]


def test_a_short_row_reads_as_blank_cells() -> None:
    grid = clean_grid()
    grid.sheets[ACTS].rows[8] = grid.sheets[ACTS].rows[8][:16]
    put(grid, "activities", 2, remark="已核实")  # a full row's value in a column the short row lacks is still read
    report, sub = check(grid)
    assert report.findings == [] and sub.rows("activities")[-1].values["remark"] is None
    assert sub.rows("activities")[0].values["remark"] == "已核实"


def test_a_table_with_only_its_header_has_no_records_and_no_findings() -> None:
    grid = clean_grid()
    name = sheet_name("experience")
    del grid.sheets[name].rows[1:]
    report, sub = check(grid)
    assert sub.rows("experience") == [] and sub.tables["experience"].present
    assert [f for f in report.findings if f.sheet == name] == []


def test_a_sheet_without_one_known_header_gives_rows_without_values() -> None:
    grid = clean_grid()
    name = sheet_name("experience")
    grid.sheets[name].rows = [["甲", "乙", "丙"], ["一", "二", "三"], ["四", "五", "六"]]
    report, sub = check(grid)  # no header row found: every row is data, and no cell of it is read
    assert [(r.row, r.values) for r in sub.rows("experience")] == [(1, {}), (2, {}), (3, {})]
    assert {f.code for f in report.findings if f.sheet == name} == {"header.missing"}


# The form sheet (基本信息)


def test_the_form_is_read_wherever_its_labels_are() -> None:
    grid = clean_grid()
    rows = grid.sheets[BASIC].rows
    rows[0:0] = [["说明"], []]
    report, sub = check(grid)
    assert report.findings == [] and sub.basic.cols["phone"] == "B7" and sub.basic.values["phone"] == "13812345678"
    assert sub.month == (2026, 11) and sub.report_date == date(2026, 11, 20)


def test_a_missing_required_form_field_is_named_once() -> None:
    grid = clean_grid()
    rows = grid.sheets[BASIC].rows
    del rows[3]  # 填报人
    report, _ = check(grid)
    assert [(f.code, f.sheet, f.label, f.cell) for f in report.findings] == [("header.missing", BASIC, "填报人", "")]


def test_a_form_field_with_a_bad_value() -> None:
    report, sub = check(put_basic(clean_grid(), "report_date", "下周"))
    assert found(report, "cell.date-invalid") == [("cell.date-invalid", BASIC, "B7")]
    assert sub.report_date is None and "report_date" in sub.basic.bad


def test_without_a_sheet_a_required_one_is_missing_an_optional_one_is_not() -> None:
    grid = clean_grid()
    del grid.sheets[REG]
    del grid.sheets[sheet_name("photos")]
    report, sub = check(grid)
    assert found(report) == [("sheet.missing", REG, "")]
    assert sub.rows("registration") == [] and sub.tables["registration"].present is False and sub.rows("nothing") == []
    assert sub.tables["registration"].name == REG  # a missing sheet is named as the template names it


def _renamed(grid: Grid, names: dict[str, str]) -> Grid:
    """The grid with sheets renamed (old → new), in their order."""
    sheets = {}
    for name, sheet in grid.sheets.items():
        sheet.name = names.get(name, name)
        sheets[sheet.name] = sheet
    grid.sheets = sheets
    return grid


def test_a_sheet_renamed_around_its_name_is_read_and_said_to_be() -> None:
    """Clerks add the month to a sheet's name (「活动台账（11月）」, 「11月 基本信息」): the one sheet whose name holds the
    template's is read as that sheet — the same records — with a warning naming both; spaces and full-width forms
    alone are no renaming."""
    _, clean = check(clean_grid())
    acts, basic = sheet_name("activities"), sheet_name("basic")
    grid = _renamed(clean_grid(), {acts: f"{acts}（11月）", basic: f"11月 {basic}", REG: f" {REG} "})
    report, sub = check(grid)
    assert found(report) == [("sheet.renamed", f"11月 {basic}", ""), ("sheet.renamed", f"{acts}（11月）", "")]
    assert first(report, "sheet.renamed").message == f"工作表「11月 {basic}」已按模板的「{basic}」读取"
    assert first(report, "sheet.renamed").severity.value == "警告"
    assert [r.values for r in sub.rows("activities")] == [r.values for r in clean.rows("activities")]
    assert sub.basic.values == clean.basic.values and sub.tables["activities"].name == f"{acts}（11月）"


def test_two_sheets_holding_a_name_are_neither_and_an_exact_name_wins() -> None:
    acts = sheet_name("activities")
    grid = clean_grid()
    grid.sheets[f"{acts}（10月）"] = SheetGrid(f"{acts}（10月）", [["旧的"]])  # last month's kept beside: the exact one wins
    assert grid.find(acts) is grid.sheets[acts]
    grid = _renamed(grid, {acts: f"{acts}（11月）"})
    assert grid.find(acts) is None and grid.find("", acts) is None  # which of the two is meant cannot be told
    report, _ = check(grid)
    assert ("sheet.missing", acts, "") in found(report)
    del grid.sheets[f"{acts}（10月）"]
    assert grid.find("", acts) is grid.sheets[f"{acts}（11月）"]  # an empty name holds nothing


def test_the_meta_sheet_gives_version_and_unit_code() -> None:
    grid = clean_grid()
    grid.sheets[META].rows += [["", "x"], ["only a key"], ["unit_code", ""]]
    _, sub = check(grid)
    assert (sub.template_version, sub.unit_code) == ("2026.1", "500101")
    del grid.sheets[META]
    _, sub = check(grid)
    assert (sub.template_version, sub.unit_code, sub.meta) == (None, None, {})


# Every normalisation is recorded where it happened


def test_changes_are_recorded_with_cell_label_before_and_after() -> None:
    grid = clean_grid()
    put(grid, "activities", 2, date="2026.2.10", volunteers="８", beneficiaries="１２０人")
    put(grid, "activities", 7, team_ids="Ｔ０２")
    put(grid, "activities", 6, date=46246.0)  # the Excel serial of 2026-08-12, as a number cell
    put_basic(grid, "report_month", "2026年11月")
    report, sub = check(grid)
    assert report.findings == []
    assert sorted((c.sheet, c.cell, c.label, c.before, c.after) for c in report.changes) == [
        (BASIC, "B3", "报送月份", "2026年11月", "2026-11"),
        (ACTS, "B2", "活动日期", "2026.2.10", "2026-02-10"),
        (ACTS, "B6", "活动日期", "46246", "2026-08-12"),
        (ACTS, "C7", "服务队编号", "Ｔ０２", "T02"),
        (ACTS, "N2", "参与志愿者人数", "８", "8"),
        (ACTS, "P2", "受益人数", "１２０人", "120"),
    ]
    assert [r.values for r in sub.rows("activities")] == _clean_activities()


def test_a_value_that_only_changes_type_is_no_change() -> None:
    report, _ = check(put(clean_grid(), "activities", 2, volunteers=8.0, date=date(2026, 2, 10)))
    assert report.changes == [] and isinstance(report.changes, list)
    assert Change("s", "A1", "l", "a", "b").after == "b"


# Cell findings of the row models


@pytest.mark.parametrize(
    ("values", "expected", "bounds"),
    [
        ({"script_no": 0}, ("cell.number-range", "M9"), "1–60"),
        ({"script_no": 1}, None, None),
        ({"script_no": 60}, None, None),
        ({"volunteers": -1}, ("cell.number-range", "N9"), "不小于 0"),
        ({"volunteers": 0}, None, None),
        ({"kind": "进校区"}, ("cell.code-list", "E9"), None),
        ({"volunteers": "八个"}, ("cell.not-integer", "N9"), None),
        ({"name": None}, ("cell.required", "D9"), None),
    ],
)
def test_row_model_findings_at_their_cells(values: dict, expected: tuple | None, bounds: str | None) -> None:
    report, sub = check(put(clean_grid(), "activities", 9, **values))
    assert found(report) == ([(expected[0], ACTS, expected[1])] if expected else [])
    if expected:
        finding = report.findings[0]
        key = next(iter(values))
        assert finding.label == context().template.sheet("activities").column(key).label
        assert key in sub.rows("activities")[-1].bad
        if expected[0] != "cell.required":
            assert finding.value == str(values[key])
    if bounds:
        assert bounds in report.findings[0].message


def test_a_negative_registration_total_says_its_bound() -> None:
    report, _ = check(put(clean_grid(), "registration", 3, total=-5, new=0))
    assert found(report) == [("cell.number-range", REG, "C3")]
    assert "不小于 0" in report.findings[0].message and report.findings[0].value == "-5"


def test_an_excel_error_value_says_what_it_means_and_nothing_else() -> None:
    report, sub = check(put(clean_grid(), "activities", 9, volunteers="#DIV/0!", hours="#N/A"))
    assert [(f.code, f.cell, f.value) for f in report.findings] == [
        ("cell.excel-error", "N9", "#DIV/0!"),
        ("cell.excel-error", "O9", "#N/A"),
    ]
    assert "除以了零" in report.findings[0].message and sub.rows("activities")[-1].bad == {"volunteers", "hours"}


@pytest.mark.parametrize(("length", "flagged"), [(EXCEL_CELL_MAX, False), (EXCEL_CELL_MAX + 1, True)])
def test_text_up_to_the_cell_limit(length: int, flagged: bool) -> None:
    text = "长" * length
    report, sub = check(put(clean_grid(), "activities", 9, remark=text))
    assert found(report) == ([("cell.text-too-long", ACTS, "S9")] if flagged else [])
    assert sub.rows("activities")[-1].values["remark"] == text  # kept whole
    if flagged:
        assert first(report, "cell.text-too-long").value == "长" * 20 + "…"
        assert f"{EXCEL_CELL_MAX + 1:,}" in report.findings[0].message or str(EXCEL_CELL_MAX + 1) in report.findings[0].message


def test_characters_beyond_u_ffff_count_twice_against_the_limit() -> None:
    half = EXCEL_CELL_MAX // 2
    report, _ = check(put(clean_grid(), "activities", 9, remark="😀" * (half + 1)))  # 16,384 characters, 32,768 units
    assert found(report) == [("cell.text-too-long", ACTS, "S9")]
    report, _ = check(put(clean_grid(), "activities", 9, remark="😀" * half + "长"))  # 32,767 units
    assert found(report) == []


# The grid itself


def test_grid_values_outside_the_data_are_blank_and_put_grows_it() -> None:
    sheet = SheetGrid("s", [["a", "b"], ["c"]])
    assert [sheet.value(1, 1), sheet.value(1, 2), sheet.value(2, 2), sheet.value(3, 1), sheet.value(0, 1), sheet.value(1, 0)] == [
        "a",
        "b",
        "",
        "",
        "",
        "",
    ]
    sheet.put(4, 3, "x")
    assert sheet.rows == [["a", "b"], ["c"], [], ["", "", "x"]]
    sheet.put(1, 1, "z")
    assert sheet.rows[0] == ["z", "b"]
    grid = Grid({"活动 台账": sheet, "其他": SheetGrid("o", [])})
    assert grid.names == ["活动 台账", "其他"] and grid.find("活动台账", "x") is sheet and grid.find("无") is None


def test_a_records_cell_address() -> None:
    from kexie_xl.read.submission import Record

    form = Record(row=0, values={}, cols={"unit": "B2"})
    table = Record(row=7, values={}, cols={"kind": "E"})
    assert (form.cell("unit"), form.cell("phone"), table.cell("kind"), table.cell("other")) == ("B2", "", "E7", "A7")


def test_yes_no_and_previews() -> None:
    from kexie_xl.read import cells

    assert [cells.yesno(v) for v in ("是", " y ", "ＹＥＳ", "√", 1, "否", "n", "×", 0.0)] == ["是"] * 5 + ["否"] * 4
    with pytest.raises(cells.CellProblem) as err:
        cells.yesno("也许")
    assert err.value.code == "cell.code-list"
    assert cells.preview("长" * 20) == "长" * 20 and cells.preview("长" * 21) == "长" * 20 + "…"
    assert cells.preview("abcdef", 5) == "abcde…" and cells.preview("abcde", 5) == "abcde"


def test_the_no_activity_statement_missing_from_the_form() -> None:
    grid = put(clean_grid(), "activities", 9, date=date(2026, 10, 20))
    rows = grid.sheets[BASIC].rows
    del rows[next(i for i, r in enumerate(rows) if r and r[0] == "本月无活动")]
    report, _ = check(grid)
    finding = first(report, "report.no-activity")
    assert (finding.sheet, finding.row, finding.column, finding.cell) == (BASIC, None, "", "")


def test_codes_by_item_alias_or_their_spaced_full_width_forms() -> None:
    from kexie_xl.read import cells
    from kexie_xl.schema.codelists import ACTIVITY_KIND, TEAM_STATUS

    assert cells.code("进 校园", ACTIVITY_KIND) == "进校园"  # found by the label key only
    assert cells.code("进企业 （园区）", ACTIVITY_KIND) == "进企业（园区）"
    assert cells.code(" 已 撤销 ", TEAM_STATUS) == "撤销"  # an alias, found by its label key
    assert cells.codes("进 校园,进企业(园区)；应急科普", ACTIVITY_KIND) == "进校园、进企业（园区）、应急科普"
    with pytest.raises(cells.CellProblem) as err:
        cells.codes("进校园、进月球", ACTIVITY_KIND)
    assert (err.value.code, err.value.fields) == ("cell.code-list", {"value": "进月球"})


def test_numbers_with_thousands_separators_and_non_finite_floats() -> None:
    from kexie_xl.read import cells

    assert cells.integer("1,200人") == 1200 and cells.decimal("2.5小时") == 2.5 and cells.decimal("１,０００.５") == 1000.5
    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(cells.CellProblem):
            cells.decimal(bad)


def test_values_shown_as_the_clerk_typed_them() -> None:
    from datetime import datetime

    from kexie_xl.read.cells import show

    assert show(datetime(2026, 11, 5, 8, 30)) == "2026-11-05 08:30:00" and show(datetime(2026, 11, 5)) == "2026-11-05"
    assert (show(12.0), show(12.5), show(date(2026, 11, 5)), show(" x ")) == ("12", "12.5", "2026-11-05", "x")


def test_a_finding_on_a_column_the_sheet_lacks_points_at_column_a() -> None:
    grid = clean_grid()
    for row in grid.sheets[ACTS].rows:
        del row[0]  # 活动编号
    sheet = grid.sheets[ACTS]
    sheet.rows.append(list(sheet.rows[8]))  # row 10 repeats row 9: same teams, date and name
    report, _ = check(grid)
    assert [(f.code, f.cell) for f in report.findings if f.sheet == ACTS] == [
        ("header.missing", ""),
        ("row.duplicate-activity", "A10"),
    ]


TABLES = [s for s in context().template.sheets if s.layout.value == "table"]


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
            rows_adapter(context().template, sheet.key).validate_python(records)
        except ValidationError as exc:  # only a column not in the sheet may be missing (header.missing says it)
            assert {e["type"] for e in exc.errors()} == {"missing"}, exc.errors()
            assert {e["loc"][1] for e in exc.errors()} <= {c.key for c in sheet.columns} - set(present)


def test_clean_ledger_columns_are_proven_and_each_kind_of_problem_is_not() -> None:
    activities = context().template.sheet("activities")
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
    basic = context().template.sheet("basic")
    assert not proven_clean(basic, {"unit": (None,)})
    assert proven_clean(basic, {"unit": ("万州区科协",), "report_date": (date(2026, 11, 30),)})
