"""`kexie-xl run --month YYYY-MM`: the whole month, headless — fetch, archive, validate, consolidate, feedback."""

from __future__ import annotations

from pathlib import Path

import click

from .common import check_month, evidence, evidence_options, progress_bar


@click.command("run")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--month", required=True, callback=check_month, help="报送月份（YYYY-MM）。")
@click.option("--no-fetch", is_flag=True, help="不连接收件邮箱，只处理已归档的邮件和给出的来源。")
@click.option("--send", is_flag=True, help="通过 SMTP 发送反馈邮件（默认只生成草稿 .eml）。")
@click.option("-o", "--out", "output", type=click.Path(dir_okay=False, path_type=Path), help="全市月报文件。")
@click.option("--store", "store", type=click.Path(dir_okay=False, path_type=Path), help="汇总库文件。")
@click.option("--force", is_flag=True, help="覆盖已存在且内容不同的全市月报。")
@evidence_options
@click.pass_obj
def run(
    obj: dict,
    sources: tuple[Path, ...],
    month: str,
    no_fetch: bool,
    send: bool,
    output: Path | None,
    store: Path | None,
    force: bool,
    received_at: str | None,
    received_times: Path | None,
) -> None:
    """一条命令完成一个月：收取邮件 → 归档 → 校验 → 汇总 → 反馈。

    收件邮箱在配置 [mail.imap] 中设置（只读，不删除、不移动、不标记邮件）；密码用环境变量或系统钥匙串。
    也可以附带额外的来源（文件夹、工作簿、.zip、.eml）。

    \b
    示例：
      kexie-xl run --month 2026-11
      kexie-xl run --month 2026-11 --send
      kexie-xl run --month 2026-11 --no-fetch 补报/
    """
    from ..api import load_context, run_month

    ctx = load_context(obj["config"])
    times = evidence(ctx, received_at, received_times)
    with progress_bar("读取") as step:
        result = run_month(
            ctx,
            month,
            sources=list(sources),
            fetch=not no_fetch,
            send=send,
            output=output,
            store_path=store,
            force=force,
            progress=step,
            on_wait=lambda text: click.echo(text, err=True),
            **times,
        )
    click.echo(result.summary())
