"""Files validated once (kexie_xl/validcache.py): a kexie.toml or registry file pydantic accepted is built again
without pydantic — the same settings and units, type for type — until the file or the validating code changes;
invalid data is never marked, and nothing the cache holds can let invalid data through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kexie_xl import validcache
from kexie_xl.config import Settings, load_settings
from kexie_xl.context import load_context
from kexie_xl.errors import ConfigError
from kexie_xl.schema.units import Unit
from kexie_xl.validcache import _code_files, _mark, _typed, cache_folder, validated_once

# Every kind of field a file can set: sections, a list of sections, optional sections, paths, a list of paths,
# whole numbers where a float is wanted, dates, literals, booleans, a field with a `check`.
RICH = """
[report]
deadline_day = 12
trust_file_times = true
[quarterly]
levels = ["支队", "大队"]
minimum = 2
severity = "错误"
[validation]
max_hours = 10
beneficiaries_warn = 5000
[[platforms]]
name = "志愿重庆"
short = "重庆"
[[platforms]]
name = "科技志愿服务平台"
short = "科技"
[receiver]
department = "市科协科普部"
phone = "023-00000000"
[registry]
file = "units.toml"
district_reform_month = "2026-03"
[paths]
store = "data/store.sqlite"
archive = "data/archive"
[mail]
accept_unknown_senders = false
[mail.imap]
host = "imap.example"
user = "office"
timeout = 30
[web]
sources = ["收件", "补报"]
max_upload_mb = 20
[[key_dates]]
event = "全国科普日"
start = 2026-09-01
end = 2026-09-30
"""

UNITS = """
[[unit]]
code = "X01"
name = "测试区科协"
type = "区县科协"
aliases = ["测试区"]
senders = ["Office@Test.CN"]
valid_from = 2026-01-01

[[unit]]
code = "X02"
name = "测试学会"
type = "市级学会"
"""

SHOW = r"""
import json, sys
from kexie_xl.context import load_context
from kexie_xl.validcache import _typed
ctx = load_context(sys.argv[1])
print(json.dumps({"pydantic": "pydantic" in sys.modules, "settings": repr(_typed(ctx.settings)),
                  "units": [repr(_typed(u)) for u in ctx.registry.units]}))
"""


def _config(folder: Path, text: str = RICH) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.toml").write_text(UNITS, encoding="utf-8")
    (folder / "kexie.toml").write_text(text, encoding="utf-8")
    return folder / "kexie.toml"


def _show(config: Path, cache: Path) -> dict[str, Any]:
    env = {**os.environ, "KEXIE_XL_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", SHOW, str(config)], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def _marks(cache: Path) -> list[str]:
    folder = cache / "validated"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_file_validated_once_is_built_again_without_pydantic(tmp_path: Path) -> None:
    config, cache = _config(tmp_path / "office"), tmp_path / "cache"
    first = _show(config, cache)
    assert first["pydantic"] is True  # new to this code: pydantic validated it
    assert [m.split("-")[0] for m in _marks(cache)] == ["Settings", "Unit"]
    again = _show(config, cache)
    assert again["pydantic"] is False  # the same file: not even imported
    assert again["settings"] == first["settings"] and again["units"] == first["units"]  # type for type
    ctx = load_context(config)  # and what it holds is the file's
    assert ctx.settings.validation.max_hours == 10.0 and type(ctx.settings.validation.max_hours) is float
    assert ctx.settings.paths.store == config.parent / "data" / "store.sqlite"
    assert ctx.settings.web.sources == (config.parent / "收件", config.parent / "补报")
    assert ctx.settings.mail.imap is not None and ctx.settings.mail.imap.timeout == 30.0
    assert ctx.settings.key_dates[0].start == date(2026, 9, 1)
    assert ctx.registry.by_code("X01").senders == ("office@test.cn",)  # the field's check ran (lower-cased)


def test_a_changed_file_is_validated_again(tmp_path: Path) -> None:
    config, cache = _config(tmp_path / "office"), tmp_path / "cache"
    _show(config, cache)
    config.write_text(RICH.replace("deadline_day = 12", "deadline_day = 40"), encoding="utf-8")
    env = {**os.environ, "KEXIE_XL_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", SHOW, str(config)], capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "deadline_day" in done.stderr
    (config.parent / "units.toml").write_text(UNITS.replace('type = "市级学会"', 'type = "公司"'), encoding="utf-8")
    config.write_text(RICH, encoding="utf-8")
    with pytest.raises(ConfigError, match="第 2 个单位有误"):
        load_context(config)


def test_invalid_data_is_never_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("KEXIE_XL_CACHE", str(cache))
    config = _config(tmp_path / "office", "[quarterly]\nminimum = 0\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="minimum"):
            load_settings(config)
    assert _marks(cache) == []


def test_no_mark_where_the_rebuilt_settings_would_differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pydantic takes a midnight datetime for a date; `trusted` would keep the datetime: no mark, pydantic every time."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("KEXIE_XL_CACHE", str(cache))
    text = '[[key_dates]]\nevent = "x"\nstart = 2026-03-01T00:00:00\nend = 2026-03-05\n'
    config = _config(tmp_path / "office", text)
    for _ in range(2):
        settings = load_settings(config)
        assert type(settings.key_dates[0].start) is date
    assert _marks(cache) == []


def test_a_mark_that_does_not_fit_the_data_leaves_it_to_pydantic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mark not left by kexie_xl (put there by hand) makes `trusted` try; what it cannot build, pydantic judges —
    with its message."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("KEXIE_XL_CACHE", str(cache))
    data = {"reprot": {"deadline_day": 12}}  # a misspelt section
    mark = _mark(Settings, [data])
    assert mark is not None
    mark.parent.mkdir(parents=True)
    mark.write_bytes(b"")
    config = _config(tmp_path / "office", "[reprot]\ndeadline_day = 12\n")
    with pytest.raises(ConfigError, match="reprot"):
        load_settings(config)


def test_nothing_is_marked_where_there_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path / "office")
    monkeypatch.setenv("KEXIE_XL_CACHE", "off")
    assert cache_folder() is None and _mark(Settings, [{}]) is None
    assert load_settings(config).report.deadline_day == 12
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("KEXIE_XL_CACHE", str(blocked / "cache"))  # cannot be made: validated as without a cache
    assert load_settings(config).report.deadline_day == 12
    assert blocked.read_text(encoding="utf-8") == ""


def test_a_cache_folder_that_cannot_be_looked_into_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder without the right to look into it (as root, chmod cannot show it: is_file is made to say so)."""
    config, cache = _config(tmp_path / "office"), tmp_path / "cache"
    monkeypatch.setenv("KEXIE_XL_CACHE", str(cache))
    load_settings(config)
    assert [m.split("-")[0] for m in _marks(cache)] == ["Settings"]

    def refused(self: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", refused)
    assert load_settings(config).report.deadline_day == 12  # validated again, no crash


def test_the_cache_folder_may_start_with_a_tilde_but_is_never_relative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEXIE_XL_CACHE", "~/kexie-cache")
    assert cache_folder() == Path.home() / "kexie-cache"
    monkeypatch.setenv("KEXIE_XL_CACHE", "cache")  # would move with the working folder: the user's folder instead
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(validcache.sys, "platform", "linux")
    assert cache_folder() == Path.home() / ".cache" / "kexie_xl"


def test_validated_once_calls_pydantic_only_for_new_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEXIE_XL_CACHE", str(tmp_path / "cache"))
    calls: list[int] = []

    def validate(items: list[dict[str, Any]]) -> list[Unit]:
        calls.append(len(items))
        return [Unit.validated(i) for i in items]

    items = [{"code": "A", "name": "甲", "type": "市级学会"}, {"code": "B", "name": "乙", "aliases": ["乙会"]}]
    first = validated_once(Unit, items, validate)
    again = validated_once(Unit, items, validate)
    other = validated_once(Unit, items[:1], validate)
    assert calls == [2, 1]  # the same items once; other items again
    assert [_typed(u) for u in again] == [_typed(u) for u in first] and len(other) == 1


def test_old_marks_go_when_a_new_one_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEXIE_XL_CACHE", str(tmp_path / "cache"))
    items = [{"code": "A", "name": "甲", "type": "市级学会"}]
    validated_once(Unit, items, lambda xs: [Unit.validated(i) for i in xs])
    folder = tmp_path / "cache" / "validated"
    (used,) = folder.iterdir()
    stale, recent = folder / f"Settings-{'0' * 64}", folder / f"Settings-{'1' * 64}"
    written = folder / f"Unit-{'2' * 64}.4242.tmp"  # a mark being written when its run was killed
    foreign = folder / "笔记.txt"  # not a mark: never removed, however old
    old = validcache.MARK_DAYS + 1
    for path, days in ((stale, old), (recent, validcache.MARK_DAYS - 1), (used, old), (written, old), (foreign, old)):
        path.touch()
        os.utime(path, (0, path.stat().st_mtime - days * 86400))
    validated_once(Unit, items, lambda xs: pytest.fail("a marked file is not validated again"))
    assert stale.exists()  # using a mark prunes nothing
    validated_once(Unit, [*items, {"code": "B", "name": "乙"}], lambda xs: [Unit.validated(i) for i in xs])
    left = {p.name for p in folder.iterdir()}
    assert {recent.name, foreign.name} < left and len(left) == 3  # and the new mark
    assert not {stale.name, used.name, written.name} & left


def test_typed_tells_apart_what_equality_does_not() -> None:
    assert _typed(1) != _typed(1.0) and 1 == 1.0
    assert _typed((1, 2)) != _typed([1, 2])
    assert _typed(datetime(2026, 3, 1)) != _typed(date(2026, 3, 1))
    a = Settings()
    assert _typed(a) == _typed(Settings())


def test_trusted_builds_what_pydantic_builds_for_every_kind_of_field() -> None:
    import tomllib

    data = tomllib.loads(RICH)
    assert _typed(Settings.trusted(data)) == _typed(Settings.validated(data))


def test_the_digest_covers_the_code_that_validates() -> None:
    names = {p.name for p in _code_files(Settings)}
    assert {"sections.py", "config.py", "validcache.py", "version.py"} <= names
    assert "units.py" in {p.name for p in _code_files(Unit)}
    assert all(p.is_file() for p in _code_files(Settings))


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("win32", {"LOCALAPPDATA": "C:/Users/a/AppData/Local"}, Path("C:/Users/a/AppData/Local/kexie_xl/Cache")),
        ("win32", {}, None),
        ("darwin", {}, Path.home() / "Library" / "Caches" / "kexie_xl"),
        ("linux", {"XDG_CACHE_HOME": "/var/cache/u"}, Path("/var/cache/u/kexie_xl")),
        ("linux", {"XDG_CACHE_HOME": "relative"}, Path.home() / ".cache" / "kexie_xl"),  # ignored, as XDG says
        ("linux", {}, Path.home() / ".cache" / "kexie_xl"),
    ],
)
def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], expected: Path | None) -> None:
    for name in ("KEXIE_XL_CACHE", "LOCALAPPDATA", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(validcache.sys, "platform", platform)
    assert cache_folder() == expected
