"""`kexie-xl demo`: a realistic month for every unit, then every step of the job that exists."""

from __future__ import annotations

from pathlib import Path

import click

from .common import check_month, progress_bar

DEFAULT_MONTH = "2026-11"
DEFAULT_SEED = 2026


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="输出目录（已有的演示数据会被替换）。",
)
@click.option("--month", default=DEFAULT_MONTH, show_default=True, callback=check_month, help="演示的报送月份（YYYY-MM）。")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, help="随机种子：同一种子生成完全相同的数据。")
@click.pass_obj
def demo(obj: dict, out: Path, month: str, seed: int) -> None:
    """生成一个月的演示数据（全部单位的填报表、邮件、清单），并跑一遍现有的全部步骤。

    \b
    示例：
      kexie-xl demo
      kexie-xl demo --out /tmp/demo --month 2026-10 --seed 7
    """
    from ..api import demo_month, load_context

    ctx = load_context(obj["config"])
    with progress_bar("演示") as step:
        result = demo_month(out, ctx, month, seed, progress=step)
    click.echo(result.summary())
