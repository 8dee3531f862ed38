"""`kexie-xl validate FILE…`: check workbooks, mark what is wrong, print a table or JSON."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from ..findings import Report, Severity
from .common import progress_bar


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="标注副本写到这个目录（默认：与原文件同目录，文件名加「（已校验）」）。",
)
@click.option("--in-place", is_flag=True, help="直接在原文件上标注（先在同目录保存 .bak 备份）。")
@click.option("--no-mark", is_flag=True, help="只输出结果，不写标注副本。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="以这一天为「今天」判断日期（默认今天，北京时间）。")
@click.option("--show-changes", is_flag=True, help="列出读取时自动规范的写法（如 2026.11.5 → 2026-11-05）。")
@click.option(
    "--store",
    "store",
    type=click.Path(dir_okay=False, path_type=Path),
    help="与这个汇总库中该单位上次采用的月报比较（默认：配置的汇总库，存在时；只读，不改动）。",
)
@click.pass_obj
def validate(
    obj: dict,
    files: tuple[Path, ...],
    out_dir: Path | None,
    in_place: bool,
    no_mark: bool,
    fmt: str,
    as_of: datetime | None,
    show_changes: bool,
    store: Path | None,
) -> None:
    """校验填报的月报工作簿，在副本中标出问题（原文件不动）。FILES 可以是工作簿或文件夹（含子文件夹）。

    退出码：0 没有错误；1 有「错误」级问题；2 有文件无法读取。

    \b
    示例：
      kexie-xl validate 2026-11_万州区科协_科技志愿服务月报.xlsx
      kexie-xl validate 收件/*.xlsx --out 校验结果 --format json
      kexie-xl validate 本单位月报.xlsx --in-place
      kexie-xl validate 收件/ --store kexie_store.sqlite   # 同时与上次采用的月报比较（跨月问题）
    """
    from ..api import MarkRequest, check_files, history_store, load_context, today, workbook_files

    if in_place and out_dir:
        raise click.UsageError("--in-place 和 --out 只能选一个。")
    ctx = load_context(obj["config"])
    files = tuple(workbook_files(files))
    history = history_store(ctx, store)
    day = as_of.date() if as_of else today(ctx)
    reports: list[Report] = []
    marked: dict[str, Path] = {}
    notes: dict[str, str] = {}
    mark = None if no_mark else MarkRequest(out_dir, in_place)
    with progress_bar("校验", enabled=len(files) >= 4 and fmt == "text") as step:
        for _path, checked in check_files(files, ctx, as_of=day, mark=mark, progress=step, store=history):
            reports.append(checked.report)
            if checked.marked is not None:
                marked[checked.report.file] = checked.marked
            if checked.note:
                notes[checked.report.file] = checked.note
    if fmt == "json":
        payload = [
            {**r.to_dict(), "marked_copy": str(marked[r.file]) if r.file in marked else None, "mark_note": notes.get(r.file, "")}
            for r in reports
        ]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print(reports, marked, show_changes, notes)
    sys.exit(max((r.exit_code for r in reports), default=0))


def _print(reports: list[Report], marked: dict[str, Path], show_changes: bool, notes: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..api import short_message

    console = Console(highlight=False, soft_wrap=True)
    for report in reports:
        head = f"[bold]{report.file}[/bold]"
        if report.unit or report.month:
            head += f"  {report.unit or '（未填单位）'} {report.month or ''}"
        verdict = "[green]通过[/green]" if report.ok else ("[red]无法读取[/red]" if not report.readable else "[red]未通过[/red]")
        console.print(f"{head}  {verdict}  错误 {report.errors}  警告 {report.warnings}")
        if report.findings:
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for column in ("工作表", "单元格", "级别", "问题", "怎么改"):
                table.add_column(column, overflow="fold")
            for f in report.findings:
                style = "red" if f.severity is Severity.ERROR else "yellow"
                table.add_row(f.sheet, f.cell, f"[{style}]{f.severity.value}[/{style}]", short_message(f.message), f.fix)
            console.print(table)
        if report.changes:
            console.print(
                f"  已自动识别 {len(report.changes)} 处写法（原文件不变）"
                + ("：" if show_changes else "；加 --show-changes 查看。")
            )
            if show_changes:
                for c in report.changes:
                    console.print(f"    「{c.sheet}」{c.cell} {c.label}：{c.before} → {c.after}")
        if report.file in marked:
            console.print(f"  标注：{marked[report.file]}")
        elif report.file in notes:
            console.print(f"  未标注：{notes[report.file]}")
        console.print()
