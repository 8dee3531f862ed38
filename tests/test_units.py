"""The unit registry: every unit of the notice, lookups as of a date around the 2025–26 district change."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kexie_xl.errors import ConfigError
from kexie_xl.schema.units import Unit, builtin_units, load_registry

DIVISION_CODES = {
    "500101",
    "500102",
    "500103",
    "500104",
    "500105",
    "500106",
    "500107",
    "500108",
    "500109",
    "500110",
    "500111",
    "500112",
    "500113",
    "500114",
    "500115",
    "500116",
    "500117",
    "500118",
    "500119",
    "500120",
    "500151",
    "500152",
    "500153",
    "500154",
    "500155",
    "500156",
    "500229",
    "500230",
    "500231",
    "500233",
    "500235",
    "500236",
    "500237",
    "500238",
    "500240",
    "500241",
    "500242",
    "500243",
}


@pytest.fixture(scope="module")
def registry():
    return load_registry("2026-02")


def test_every_unit_of_the_notice_with_real_codes(registry) -> None:
    codes = {u.code for u in registry.units}
    assert codes == DIVISION_CODES | {"WSJK", "LJXQ", "CQGX"}
    for unit in registry.units:
        if unit.code.isdigit():
            assert unit.division_code == unit.code, "numeric codes are 行政区划代码, never invented"
        else:
            assert unit.division_code is None


def test_41_units_before_the_change_and_39_after(registry) -> None:
    before = registry.active_in_month(2025, 12)
    after = registry.active_in_month(2026, 2)
    assert len(before) == 41 and len(after) == 39
    assert {"500105", "500112"} <= {u.code for u in before}
    assert not {"500105", "500112"} & {u.code for u in after}
    ljxq_before = next(u for u in before if u.code == "LJXQ")
    ljxq_after = next(u for u in after if u.code == "LJXQ")
    assert (ljxq_before.name, ljxq_before.type) == ("两江新区科技创新局", "经开区/新区/高新区")
    assert (ljxq_after.name, ljxq_after.type) == ("两江新区科协", "区县科协")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("石柱县", "500240"),
        ("石柱县科协", "500240"),
        ("石柱土家族自治县", "500240"),
        ("石柱土家族自治县科协", "500240"),
        ("秀山县", "500241"),
        ("万州区", "500101"),
        ("万州区科学技术协会", "500101"),
        ("500101", "500101"),
        ("  万州区 科协 ", "500101"),
        ("万盛经开区科协", "WSJK"),
        ("重庆高新区科协", "CQGX"),
        ("忠县科协", "500233"),
    ],
)
def test_lookup_by_name_alias_or_code(registry, text: str, code: str) -> None:
    unit = registry.lookup(text, date(2026, 11, 1))
    assert unit is not None and unit.code == code


def test_lookup_respects_validity_dates(registry) -> None:
    assert registry.lookup("江北区科协", date(2025, 10, 1)).code == "500105"
    assert registry.lookup("江北区科协", date(2026, 1, 31)).code == "500105"
    assert registry.lookup("江北区科协", date(2026, 2, 1)) is None
    assert registry.lookup("渝北区科协").successor == "LJXQ"
    assert registry.lookup("两江新区科协", date(2025, 6, 1)).name == "两江新区科技创新局"
    assert registry.lookup("两江新区科技创新局", date(2026, 6, 1)).name == "两江新区科协"
    assert registry.lookup("不存在的单位") is None


def test_cut_over_month_is_a_setting() -> None:
    later = load_registry("2026-05")
    assert later.lookup("江北区科协", date(2026, 4, 30)) is not None
    assert later.lookup("江北区科协", date(2026, 5, 1)) is None
    assert len(later.active_in_month(2026, 4)) == 41


def test_template_dropdown_lists_current_units_only(registry) -> None:
    names = registry.names_current(date(2026, 11, 1))
    assert "江北区科协" not in names and "两江新区科协" in names and "两江新区科技创新局" not in names
    assert len(names) == 39


def test_user_file_adds_units_and_replaces_by_code(tmp_path: Path) -> None:
    user = tmp_path / "units.toml"
    user.write_text(
        '[[unit]]\ncode = "XH-NXH"\nname = "重庆市农学会"\ntype = "市级学会"\nsenders = ["NXH@Example.org"]\n\n'
        '[[unit]]\ncode = "500101"\nname = "万州区科协"\nregion = "万州区"\ntype = "区县科协"\n'
        'division_code = "500101"\nsenders = ["wz@example.org"]\n',
        encoding="utf-8",
    )
    reg = load_registry("2026-02", user)
    assert reg.lookup("重庆市农学会").type == "市级学会"
    assert reg.by_sender("nxh@example.org").code == "XH-NXH"
    assert reg.by_sender("WZ@example.org", date(2026, 11, 1)).code == "500101"
    assert len([u for u in reg.units if u.code == "500101"]) == 1
    assert len(reg.active_in_month(2026, 11)) == 40


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('[[unit]]\ncode = "X"\nname = "甲"\ntype = "协会"\n', "单位类型「协会」"),
        ('[[unit]]\ncode = "X"\nname = "甲"\nvalid_to = 2025-01-01\n[[unit]]\ncode = "X"\nname = "乙"\n', "有效期重叠"),
        ('[[unit]]\ncode = "X"\nname = "甲"\nsuccessor = "NOPE"\n', "继承单位编码「NOPE」"),
        ('[[unit]]\ncode = "X"\nname = \n', "格式有误"),
        ('[[unit]]\ncode = "X"\nnmae = "甲"\n', "第 1 个单位有误"),
        ('[[unit]]\ncode = ""\nname = "甲"\nvalid_from = "x"\n', "code：不能为空；valid_from：应为日期，如 2026-03-01"),
    ],
)
def test_bad_user_file_gives_a_chinese_message(tmp_path: Path, body: str, words: str) -> None:
    user = tmp_path / "units.toml"
    user.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_registry("2026-02", user)


@pytest.mark.parametrize("reform", ["2026-02", "2025-07"])
def test_the_shipped_registry_is_the_same_built_with_or_without_pydantic(reform: str) -> None:
    """The shipped units are built without pydantic (every ribbon click loads them); validated, they are equal."""
    trusted = builtin_units(reform)
    assert trusted == builtin_units(reform, trusted=False) and len(trusted) >= 41


def test_the_trusted_path_still_checks_and_normalises() -> None:
    unit = Unit.trusted({"code": "X", "name": "甲", "senders": [" A@B.cn ", ""]})
    assert unit.senders == ("a@b.cn",) and unit.type == "其他"
    with pytest.raises(ValueError, match="单位类型「协会」"):
        Unit.trusted({"code": "X", "name": "甲", "type": "协会"})
    with pytest.raises(TypeError):
        Unit.trusted({"code": "X", "nmae": "甲"})
