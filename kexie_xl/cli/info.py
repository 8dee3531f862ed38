"""`kexie-xl units` and `kexie-xl config`: what the registry and the settings say."""

from __future__ import annotations

import json
from datetime import date

import click

from .common import check_month


@click.command()
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="只列出这一天有效的单位（YYYY-MM-DD）。")
@click.option("--month", callback=check_month, help="只列出这个报送月份应报送的单位（YYYY-MM）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def units(obj: dict, as_of: object, month: str | None, as_json: bool) -> None:
    """列出单位名录（含有效期、别名、发件地址）。

    \b
    示例：
      kexie-xl units --month 2026-11
      kexie-xl units --as-of 2025-12-01 --json
    """
    from ..api import load_context

    ctx = load_context(obj["config"])
    found = list(ctx.registry.units)
    if month:
        year, mon = (int(p) for p in month.split("-"))
        found = ctx.registry.active_in_month(year, mon)
    elif as_of is not None:
        found = ctx.registry.active_on(as_of.date())  # type: ignore[attr-defined]
    if as_json:
        from ..sections import dump

        click.echo(json.dumps([dump(u) for u in found], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"单位名录（{len(found)} 个）")
    for header in ("编码", "名称", "类型", "有效期", "别名"):
        table.add_column(header)
    for u in found:
        span = f"{_d(u.valid_from)} – {_d(u.valid_to)}"
        table.add_row(u.code, u.name, u.type, span, "、".join(u.aliases))
    Console().print(table)


def _d(day: date | None) -> str:
    return day.isoformat() if day else "…"


@click.group("config")
def config_group() -> None:
    """查看配置（kexie.toml）。"""


@config_group.command("show")
@click.pass_obj
def config_show(obj: dict) -> None:
    """显示生效的配置（合并默认值后），JSON 格式。

    \b
    示例：
      kexie-xl config show
      kexie-xl --config 我的配置.toml config show
    """
    from ..api import find_config_file, load_settings
    from ..sections import dump

    settings = load_settings(obj["config"])
    source = find_config_file(obj["config"])
    click.echo(f"# 配置来源：{source or '内置默认值'}", err=True)
    click.echo(json.dumps(dump(settings), ensure_ascii=False, indent=2))
