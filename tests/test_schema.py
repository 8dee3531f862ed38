"""The schema: consistent with itself, and the row models generated from it behave as the columns say."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kexie_xl.schema import codelists
from kexie_xl.schema.rows import SPLIT_CHARS, row_model, split_multi
from kexie_xl.schema.types import Kind, Layout, column_letter
from kexie_xl.write.template import MAX_PROMPT, MAX_PROMPT_TITLE, _column_help


def test_code_lists_are_sound(ctx) -> None:
    keys = [c.key for c in ctx.template.code_lists]
    assert len(keys) == len(set(keys))
    for code_list in ctx.template.code_lists:
        assert code_list.items and len(set(code_list.items)) == len(code_list.items), code_list.key
        for alias, target in code_list.aliases:
            assert target in code_list.items and alias not in code_list.items, (code_list.key, alias)


def test_some_lists_are_too_long_for_an_inline_dropdown(ctx) -> None:
    # Why the dropdowns use defined names: Excel "repairs" inline lists longer than 255 characters.
    longest = max(len(",".join(c.items)) for c in ctx.template.code_lists)
    assert longest > 255


def test_columns_are_sound(ctx) -> None:
    template = ctx.template
    sheet_keys = {s.key for s in template.sheets}
    for sheet in template.data_sheets:
        labels = [label for c in sheet.columns for label in c.labels]
        assert len(labels) == len(set(labels)), f"{sheet.name}: a label or alias is used twice"
        for column in sheet.columns:
            if column.kind in (Kind.CODE, Kind.CODES, Kind.YESNO):
                template.code_list(column.codes)  # exists
            if column.kind is Kind.REFS:
                assert column.refs in sheet_keys
            assert len(column.label) <= MAX_PROMPT_TITLE
            assert len(_column_help(column, template)) <= MAX_PROMPT, column.label
        if sheet.layout is Layout.TABLE:
            assert sheet.entry_rows >= len(sheet.prefill)
    assert [s.name for s in template.sheets] == [
        "填报说明",
        "基本信息",
        "注册情况",
        "服务队",
        "活动台账",
        "经验做法",
        "图片清单",
        "代码表",
        "元数据",
    ]


def test_activity_model_accepts_labels_aliases_and_keys(ctx) -> None:
    model = row_model(ctx.template, "activities")
    good = {
        "活动编号": "A1",
        "活动日期": date(2026, 11, 5),
        "服务队编号": "T01",
        "活动名称": "科普讲座",
        "活动类别": "进企业",
        "开展方式": "线上+线下",
        "参与志愿者人数": 12.0,
        "服务时长（小时）": 2.5,
        "受益人数": 100,
        "服务对象": "青少年、老年人",
        "宣讲稿编号": "",
    }
    row = model.model_validate(good)
    assert row.kind == "进企业（园区）" and row.delivery == "线上线下结合" and row.volunteers == 12
    assert row.audience == "青少年、老年人" and row.script_no is None
    by_alias = model.model_validate({**{k: v for k, v in good.items() if k != "服务时长（小时）"}, "时长": 3})
    assert by_alias.hours == 3


@pytest.mark.parametrize(
    ("field", "value", "loc"),
    [
        ("活动名称", "", "name"),
        ("活动类别", "进校区", "kind"),
        ("服务对象", "青少年、外星人", "audience"),
        ("参与志愿者人数", -3, "volunteers"),
        ("参与志愿者人数", 2.5, "volunteers"),
        ("宣讲稿编号", 61, "script_no"),
        ("活动日期", "2026.13.5", "date"),
    ],
)
def test_activity_model_rejects(ctx, field: str, value: object, loc: str) -> None:
    model = row_model(ctx.template, "activities")
    row = {
        "活动编号": "A1",
        "活动日期": date(2026, 11, 5),
        "服务队编号": "T01",
        "活动名称": "讲座",
        "活动类别": "进社区",
        "开展方式": "线下",
        "参与志愿者人数": 3,
        "服务时长（小时）": 1,
        "受益人数": 10,
        field: value,
    }
    with pytest.raises(ValidationError) as err:
        model.model_validate(row)
    # pydantic reports the location under the alias the input used: the Chinese header, as the clerk wrote it.
    assert {e["loc"][0] for e in err.value.errors()} == {field}
    assert model.model_fields[loc].title == field


def test_models_are_built_once(ctx) -> None:
    assert row_model(ctx.template, "teams") is row_model(ctx.template, "teams")


def test_split_multi_and_letters() -> None:
    assert split_multi("T01、T02，T03,T04;T05；T06/T07 ") == ["T01", "T02", "T03", "T04", "T05", "T06", "T07"]
    assert [column_letter(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
    assert split_multi("T01") == ["T01"] and split_multi("Ｔ０１") == ["Ｔ０１"] and split_multi(" ") == [] == split_multi("")


@given(st.text(alphabet=st.sampled_from([*SPLIT_CHARS, " ", "\u3000", "\t", "T", "0", "1", "Ｔ", "１", "-", "_", "队", "²"])))
def test_split_multi_splits_at_every_separator_and_trims(value: str) -> None:
    import re

    expected = [p.strip() for p in re.split(f"[{re.escape(SPLIT_CHARS)}]", value) if p.strip()]
    assert split_multi(value) == expected


def test_sheet_addresses(ctx) -> None:
    acts = ctx.template.sheet("activities")
    assert acts.address("activity_id", 0) == ("A", 2)
    assert acts.address("kind", 21) == ("E", 23)
    assert ctx.template.sheet("basic").address("phone") == ("B", 5)


def test_registration_rows_cover_every_platform_and_source(ctx) -> None:
    sheet = ctx.template.sheet("registration")
    assert len(sheet.prefill) == len(ctx.settings.platforms) * len(codelists.REGISTRATION_ITEM.items)
    assert sheet.prefill[-1][1] == codelists.TEAM_ITEM
