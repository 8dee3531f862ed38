"""`kexie-xl docs`: regenerate the reference documents from the code."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("docs"), show_default=True, help="输出目录。"
)
@click.option("--check", is_flag=True, help="只检查文档是否最新（不一致时退出码 1），供 CI 使用。")
@click.pass_obj
def docs(obj: dict, out: Path, check: bool) -> None:
    """由代码生成参考文档：模板各列说明（template.md）、问题代码（findings.md）和命令行帮助（cli.md）。

    \b
    示例：
      kexie-xl docs
      kexie-xl docs --check
    """
    from ..api import findings_markdown, load_context, template_markdown

    ctx = load_context(obj["config"])
    wanted = {"template.md": template_markdown(ctx.template), "findings.md": findings_markdown(), "cli.md": cli_markdown()}
    stale = []
    for name, text in wanted.items():
        path = out / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        click.echo(f"错误：{'、'.join(stale)} 不是最新的，请运行 kexie-xl docs 重新生成。", err=True)
        raise SystemExit(1)
    click.echo(("已更新：" + "、".join(stale)) if stale else "文档已是最新。")


def cli_markdown() -> str:
    """docs/cli.md: the --help of every command, as the terminal shows it."""
    from click.testing import CliRunner

    from . import cli

    out = ["# 命令行参考 · CLI reference", "", "由 `kexie-xl docs` 从各命令的 `--help` 生成，请勿手工编辑。", ""]
    paths: list[tuple[str, ...]] = [()]
    for name, command in sorted(cli.commands.items()):
        subcommands = getattr(command, "commands", None)
        paths += [(name, sub) for sub in sorted(subcommands)] if subcommands else [(name,)]
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="kexie-xl", terminal_width=100)
        out += [f"## kexie-xl {' '.join(path)}".rstrip(), "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(out)
