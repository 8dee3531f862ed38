"""`kexie-xl report --quarter 2026Q4 | --year 2026 | --months 2026-09..2026-11`: the period's report workbook."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--quarter", help="季度，如 2026Q4。")
@click.option("--year", type=int, help="年份，如 2026。")
@click.option("--months", help="起止月份，如 2026-09..2026-11。")
@click.option(
    "-o", "--out", "output", type=click.Path(dir_okay=False, path_type=Path), help="输出的工作簿（默认：当前目录下按范围命名）。"
)
@click.option(
    "--store", "store", type=click.Path(dir_okay=False, path_type=Path), help="汇总库（SQLite）文件（默认：配置 [paths] store）。"
)
@click.option("--force", is_flag=True, help="覆盖已存在的同名报告。")
@click.pass_obj
def report(
    obj: dict, quarter: str | None, year: int | None, months: str | None, output: Path | None, store: Path | None, force: bool
) -> None:
    """季度或全年统计报告：各单位每月活动、类别与服务对象、支队季度达标、注册增长、报送记录、最活跃的服务队。

    数据来自汇总库（kexie-xl consolidate / run 汇总过的月份），与各月全市月报的口径相同；合计为公式，带原生图表，
    已设置横向打印、按页宽缩放、每页重复表头。

    \b
    示例：
      kexie-xl report --quarter 2026Q4
      kexie-xl report --year 2026 -o 2026年科技志愿服务统计.xlsx
    """
    from ..api import period_report

    chosen = [v for v in (quarter, str(year) if year else None, months) if v]
    if len(chosen) != 1:
        raise click.UsageError("请只指定一个范围：--quarter 2026Q4、--year 2026 或 --months 2026-09..2026-11。")
    result = period_report(chosen[0], obj["config"], store_path=store, output=output, force=force)
    click.echo(result)
