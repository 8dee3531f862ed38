"""`kexie-xl template`: write the standard template that units fill in."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import TEMPLATE_FILENAME


@click.command()
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(TEMPLATE_FILENAME),
    show_default=True,
    help="输出文件。",
)
@click.option("--unit", help="预先填好「填报单位」，如 --unit 万州区科协（也接受别名和单位编码）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件。")
@click.pass_obj
def template(obj: dict, out: Path, unit: str | None, force: bool) -> None:
    """生成标准月报模板（.xlsx，无宏）。

    \b
    示例：
      kexie-xl template
      kexie-xl template -o 万州区.xlsx --unit 万州区科协
    """
    from ..api import load_context, make_template

    ctx = load_context(obj["config"])
    path = make_template(out, ctx, unit, overwrite=force)
    click.echo(f"已生成模板：{path}（版本 {ctx.template.version}）")
