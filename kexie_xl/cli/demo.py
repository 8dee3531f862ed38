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
@click.option(
    "--months",
    "months",
    help="生成连续几个月（如 2026-09..2026-11）：各单位逐月结转台账，共用一个汇总库，从第二个月起预置跨月问题。",
)
@click.pass_obj
def demo(obj: dict, out: Path, month: str, seed: int, months: str | None) -> None:
    """生成一个月的演示数据（全部单位的填报表、邮件、清单），并跑一遍现有的全部步骤。

    --months 生成连续几个月（每月一个子目录，共用一个汇总库），逐月汇总并核对跨月问题。

    \b
    示例：
      kexie-xl demo
      kexie-xl demo --out /tmp/demo --month 2026-10 --seed 7
      kexie-xl demo --months 2026-09..2026-11
    """
    from ..api import demo_month, demo_series, load_context, month_range

    ctx = load_context(obj["config"])
    if months:
        with progress_bar("演示") as step:
            results = demo_series(out, ctx, month_range(months), seed, progress=step)
        click.echo("\n\n".join(r.summary() for r in results))
        return
    with progress_bar("演示") as step:
        result = demo_month(out, ctx, month, seed, progress=step)
    click.echo(result.summary())
