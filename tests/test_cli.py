"""The command line: thin, Chinese, with help and examples for every command, and the documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kexie_xl.cli import cli

from .conftest import ROOT

EMPTY = str(ROOT / "tests" / "data" / "empty.toml")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", EMPTY, *args])
    return result.exit_code, result.output


def commands() -> list[tuple[str, ...]]:
    out = []
    for name, cmd in cli.commands.items():
        sub = getattr(cmd, "commands", None)
        out += [(name, s) for s in sub] if sub else [(name,)]
    return out


@pytest.mark.parametrize("path", commands())
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    code, out = run(*path, "--help")
    assert code == 0 and "示例" in out and "kexie-xl" in out


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in commands():
        assert f"kexie-xl {' '.join(path)}" in readme, path


def test_template_command(tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    code, text = run("template", "-o", str(out), "--unit", "两江新区科协")
    assert code == 0 and "已生成模板" in text
    assert openpyxl.load_workbook(out)["基本信息"]["B2"].value == "两江新区科协"
    code, text = run("template", "-o", str(out))
    assert code == 1 and "已存在" in text and "--force" in text
    code, text = run("template", "-o", str(out), "--unit", "火星科协", "--force")
    assert code == 1 and "错误：单位名录中没有「火星科协」" in text


def test_units_command() -> None:
    code, text = run("units", "--month", "2026-11", "--json")
    assert code == 0 and len(json.loads(text)) == 39
    code, text = run("units", "--as-of", "2025-12-01", "--json")
    assert code == 0 and "江北区科协" in {u["name"] for u in json.loads(text)}
    code, text = run("units", "--month", "2026-13")
    assert code == 2 and "不存在" in text


def test_config_show_and_a_bad_config(tmp_path: Path) -> None:
    code, text = run("config", "show")
    assert code == 0 and json.loads(text[text.index("{") :])["report"]["deadline_day"] == 23
    bad = tmp_path / "bad.toml"
    bad.write_text("[report]\ndeadline = 3\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "config", "show"])
    assert result.exit_code == 2 and "错误：配置文件" in result.output and "deadline" in result.output


def test_demo_command_prints_where_things_are(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, text = run("demo", "--out", str(out), "--month", "2026-10", "--seed", "3")
    assert code == 0 and "演示数据已生成" in text and str(out / "manifest.json") in text
    assert "与预置清单一致" in text and len(list((out / "校验结果").glob("*（已校验）.xlsx"))) == 41
    code, text = run("demo", "--month", "2026/10")
    assert code == 2 and "YYYY-MM" in text


def test_python_m_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "kexie_xl", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("kexie-xl ")


MAIN = """
import atexit, sys, threading, time
from pathlib import Path
from kexie_xl.cli import main
out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))
if sys.argv[2] == "thread":  # a thread still at work when the command ends: a normal exit waits for it
    threading.Thread(target=lambda: (time.sleep(0.5), (out / "thread").write_text("done"))).start()
sys.argv = ["kexie-xl", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--version"], 0),
        (["consolidate", "没有这个文件夹", "--month", "2026-11"], 2),  # a KexieError: its exit code
        (["nosuch"], 2),  # a usage error
    ],
)
def test_the_command_line_ends_without_teardown_but_as_a_normal_exit_would(tmp_path: Path, args: list[str], code: int) -> None:
    """cli.main ends through os._exit (no interpreter teardown, ~0.1 s): the exit code, everything printed and the
    atexit handlers are as a normal exit leaves them."""
    done = subprocess.run([sys.executable, "-c", MAIN, str(tmp_path), "-", *args], capture_output=True, text=True)
    assert done.returncode == code, done.stderr
    assert (tmp_path / "atexit").read_text() == "ran"
    if args == ["--version"]:
        assert done.stdout.startswith("kexie-xl ") and done.stdout.endswith("\n")
    else:
        assert "错误：" in done.stderr


def test_the_command_line_waits_for_a_running_thread(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", MAIN, str(tmp_path), "thread", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("kexie-xl ")
    assert (tmp_path / "thread").read_text() == "done"  # not cut off: the normal exit waited for it


def test_a_long_output_reaches_a_pipe_whole(ctx, tmp_path: Path) -> None:
    """What the command wrote is flushed before os._exit, however much (here the JSON of 600 findings)."""
    from dataclasses import replace

    from .builders import clean_filling, write

    filling = clean_filling()
    base = filling.rows["activities"][0]
    filling.rows["activities"] = [{**base, "activity_id": f"A{n:04d}", "hours": 99} for n in range(600)]  # type: ignore[index]
    sheets = tuple(replace(s, entry_rows=700) if s.key == "activities" else s for s in ctx.template.sheets)
    book = write(tmp_path / "多.xlsx", replace(ctx.template, sheets=sheets), filling)
    done = subprocess.run(
        [sys.executable, "-m", "kexie_xl", "--config", EMPTY, "validate", str(book), "--format", "json", "--no-mark"],
        capture_output=True,
    )
    (report,) = json.loads(done.stdout)
    hours = [f for f in report["findings"] if f["code"] == "cell.number-range"]
    assert len(hours) == 600 and len(done.stdout) > 65536  # past any pipe's buffer, and whole (it parsed)


def test_reference_docs_are_current() -> None:
    code, text = run("docs", "--out", str(ROOT / "docs"), "--check")
    assert code == 0, text


def test_usage_errors_are_chinese_with_one_exit_code(tmp_path: Path) -> None:
    cases = [
        ("consolidate", "--month", "2026-11"),  # missing SOURCES
        ("consolidate", str(tmp_path / "没有这个文件夹"), "--month", "2026-11"),
        ("consolidate", str(tmp_path), "--month", "2026-1"),
        ("nosuch",),
        ("validate", "--format", "xml", str(tmp_path)),
        ("validate", str(tmp_path)),  # a folder without workbooks
    ]
    for args in cases:
        code, text = run(*args)
        assert code == 2, (args, text)
        assert "错误：" in text and not any(word in text for word in ("Error", "Missing", "No such", "Usage")), text
    code, text = run("validate", "--help")
    assert "用法：" in text and "显示帮助并退出" in text and "Show this message" not in text


def test_validate_takes_folders_and_a_batch_goes_past_a_marked_copy(demo, tmp_path: Path) -> None:
    out, manifest = demo
    folder = tmp_path / "收件"
    folder.mkdir()
    names = [out / f["path"] for f in manifest["files"][:3]]
    for path in names:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "~$锁定.xlsx").write_bytes(b"lock")
    code, text = run(
        "--config", str(out / manifest["config"]), "validate", str(folder), "--format", "json", "--out", str(tmp_path / "标注")
    )
    files = [r["file"] for r in json.loads(text)]
    assert sorted(files) == sorted(p.name for p in names) and code in (0, 1)
    marked = sorted((tmp_path / "标注").glob("*.xlsx"))
    assert len(marked) == 3
    (folder / marked[0].name).write_bytes(marked[0].read_bytes())  # an already-marked copy among the sources
    code, text = run(
        "--config",
        str(out / manifest["config"]),
        "validate",
        str(folder / marked[0].name),
        *(str(p) for p in sorted(folder.glob("2026*.xlsx"))),
        "--out",
        str(folder),
    )
    assert "未标注：" in text and text.count("标注：") >= 3  # skipped with a note, the others marked
