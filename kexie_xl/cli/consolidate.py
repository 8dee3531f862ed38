"""`kexie-xl consolidate SOURCES… --month YYYY-MM`: the city-level monthly submission workbook."""

from __future__ import annotations

from pathlib import Path

import click

from .common import check_month, evidence, evidence_options, progress_bar


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--month", required=True, callback=check_month, help="汇总的报送月份（YYYY-MM）。")
@click.option(
    "-o",
    "--out",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="全市月报文件（默认：当前目录下的 重庆市科技志愿服务月报_YYYY-MM.xlsx）。",
)
@click.option(
    "--store", "store", type=click.Path(dir_okay=False, path_type=Path), help="汇总库（SQLite）文件（默认：配置 [paths] store）。"
)
@click.option("--strict", is_flag=True, help="有「错误」的报表不采用（默认采用并附上问题）。")
@click.option("--force", is_flag=True, help="覆盖已存在且内容不同的全市月报。")
@evidence_options
@click.pass_obj
def consolidate(
    obj: dict,
    sources: tuple[Path, ...],
    month: str,
    output: Path | None,
    store: Path | None,
    strict: bool,
    force: bool,
    received_at: str | None,
    received_times: Path | None,
) -> None:
    """汇总各单位报来的工作簿，生成全市月报（含未报/逾期清单、收件清单和图表）。

    SOURCES 可以是工作簿、文件夹（含子文件夹）或 .zip 压缩包；同一内容重复运行不会重复计入。

    \b
    示例：
      kexie-xl consolidate 收件/2026-11 --month 2026-11
      kexie-xl consolidate 收件.zip 补报/ --month 2026-11 -o 全市月报.xlsx --strict
      kexie-xl consolidate 收件/2026-11 --month 2026-11 --received-times 接收时间.csv

    按时/逾期只依据邮件日期、服务器收到时间或人工指定的时间；文件夹里的文件只有修改时间时，报送状态为
    「未核实」（不计逾期），可用 --received-at 或 --received-times 补充依据。
    """
    from ..api import consolidate_month, load_context

    ctx = load_context(obj["config"])
    times = evidence(ctx, received_at, received_times)
    with progress_bar("读取") as step:
        result = consolidate_month(
            list(sources),
            ctx,
            month,
            output=output,
            store_path=store,
            strict=strict,
            force=force,
            progress=step,
            on_wait=lambda text: click.echo(text, err=True),
            **times,
        )
    click.echo(result.summary())
