"""Configuration: one TOML file, every field defaulted, mistakes explained in Chinese."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from kexie_xl.config import CONFIG_ENV, MailServer, Settings, load_settings, parse_month
from kexie_xl.errors import ConfigError
from kexie_xl.sections import description, dump


def test_defaults_follow_the_notice() -> None:
    s = Settings()
    assert s.report.deadline_day == 23 and s.report.timezone == "Asia/Shanghai"
    assert s.report.period == "calendar_month" and s.report.quarters == "calendar"
    assert s.quarterly.levels == ("支队",) and s.quarterly.minimum == 1 and s.quarterly.severity == "警告"
    assert len(s.platforms) == 2 and "全国志愿服务信息系统" in s.platforms[0].name
    assert s.receiver.mailbox == "834396688@qq.com"
    assert s.registry.district_reform_month == "2026-02"
    assert any(k.event == "全国科普月" and k.start.month == 9 for k in s.key_dates)


def test_file_overrides_and_relative_paths(tmp_path: Path) -> None:
    cfg = tmp_path / "conf" / "kexie.toml"
    cfg.parent.mkdir()
    cfg.write_text(
        '[report]\ndeadline_day = 20\n[quarterly]\nlevels = ["支队", "大队"]\nminimum = 2\n'
        '[registry]\nfile = "units.toml"\n[paths]\nstore = "db/store.sqlite"\n'
        '[[platforms]]\nname = "平台甲"\n[[platforms]]\nname = "平台乙"\n[[platforms]]\nname = "平台丙"\n',
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert s.report.deadline_day == 20 and s.quarterly.minimum == 2 and s.quarterly.levels == ("支队", "大队")
    assert s.platform_names == ("平台甲", "平台乙", "平台丙")
    assert s.registry.file == cfg.parent / "units.toml"
    assert s.paths.store == cfg.parent / "db" / "store.sqlite"


def test_environment_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text("[report]\ndeadline_day = 15\n", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(cfg))
    assert load_settings().report.deadline_day == 15


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[report]\ndeadlin_day = 20\n", "不是可识别的设置项"),
        ("[report]\ndeadline_day = 31\n", "report.deadline_day"),
        ('[registry]\ndistrict_reform_month = "2026-13"\n', "不存在"),
        ("[report\n", "格式有误"),
        ('[[platforms]]\nname = "甲"\n[[platforms]]\nname = "甲"\n', "平台名称不能重复"),
        ("[report]\ndeadline_day = 31\n", "「report.deadline_day」：应不大于 28（当前值：31）"),
        ('[quarterly]\nlevels = "支队"\n', r"「quarterly.levels」：应为列表"),
        ('[quarterly]\nseverity = "提示"\n', "应为以下之一：'警告'、'错误'（当前值：'提示'）"),
        ("[validation]\nmax_hours = 0\nbeneficiaries_warn = 1.5\n", "应大于 0.0（当前值：0）\n.*应为整数（不能有小数）"),
        ('[mail.imap]\nhost = "h"\n', "「mail.imap.user」：缺少这一项（必填）$"),  # no 当前值 for a whole table
        ("report = 5\n", "「report」：应为一个表"),
        ('[[key_dates]]\nevent = "x"\nstart = 2026-03-05\nend = 2026-03-01\n', "「key_dates.0」：重点节点「x」的结束日期早于"),
    ],
)
def test_mistakes_are_explained(tmp_path: Path, text: str, words: str) -> None:
    cfg = tmp_path / "kexie.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_settings(cfg)


def test_the_defaults_are_what_pydantic_makes_of_an_empty_file() -> None:
    """The defaults are built without pydantic (a ribbon click, sections.py); pydantic, validating a file, must
    arrive at the very same settings — from nothing, and from what `config show` prints."""
    assert Settings.validated({}) == Settings()
    assert Settings.validated(dump(Settings())) == Settings()
    changed = Settings.validated({"quarterly": {"levels": ["支队", "大队"]}, "web": {"sources": ["a"]}})
    assert changed.quarterly.levels == ("支队", "大队") and changed.web.sources == (Path("a"),)  # lists → tuples, paths
    assert changed != Settings() and hash(Settings()) == hash(Settings())  # compared by value, hashable (frozen)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_settings(tmp_path / "nope.toml")


def test_no_secret_can_be_configured_in_the_file() -> None:
    def keys(section: type) -> set[str]:
        out = set()
        for name, kind in typing.get_type_hints(section).items():
            out.add(name)
            for inner in (kind, *typing.get_args(kind)):  # MailServer | None, tuple[Platform, ...]
                if dataclasses.is_dataclass(inner):
                    out |= keys(inner)  # type: ignore[arg-type]
        return out

    assert {"host", "user", "password_env", "login_hash", "event"} <= keys(Settings)  # it does look inside

    found = {k for k in keys(Settings) if "pass" in k or "secret" in k or "token" in k}
    assert found == {"password_env"}  # the name of the environment variable that holds it, not the password
    assert "环境变量名" in description(MailServer, "password_env")


@pytest.mark.parametrize("bad", ["2026/11", "2026-1-1", "26-11", "2026-00", "abc", "2026-1", "2026-011"])
def test_parse_month_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


def test_parse_month_accepts() -> None:
    assert parse_month(" 2026-11 ") == (2026, 11) and parse_month("2026-01") == (2026, 1)
