"""`kexie-xl quarterly FILE…`: each counted team's activities and status per quarter."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quarter", help="只看这一个季度，如 2026Q4（默认：当年到统计日期为止的各季度）。")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="统计截至这一天（默认：每份报表的填报日期）。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="把「季度达标」表和服务队标注写入副本，放到这个目录（原文件不动）。",
)
@click.pass_obj
def quarterly(
    obj: dict, files: tuple[Path, ...], quarter: str | None, as_of: datetime | None, fmt: str, out_dir: Path | None
) -> None:
    """季度达标：原则上各科技志愿服务支队每季度服务活动不少于 1 次。

    状态：达标 / 未达标（季度已结束）/ 待开展（季度未结束，附剩余天数）/ 豁免（尚未成立、季度最后一个月
    成立、已撤销）。计入的队伍层级、最少次数等在配置 [quarterly] 中设置。
    退出码：0 没有未达标；1 有未达标；2 有文件无法读取。

    \b
    示例：
      kexie-xl quarterly 2026-11_万州区科协_科技志愿服务月报.xlsx
      kexie-xl quarterly 收件/*.xlsx --quarter 2026Q3 --format json
      kexie-xl quarterly 本单位月报.xlsx --as-of 2026-12-31 --out 季度达标
    """
    from ..api import MISSED, load_context, mark_workbook, parse_quarter, team_quarters, today, validate_many, workbook_files

    quarters = None
    year = None
    if quarter:
        try:
            year, q = parse_quarter(quarter)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--quarter") from None
        quarters = [q]
    ctx = load_context(obj["config"])
    files = tuple(workbook_files(files))
    results = []
    code = 0
    for path, report, sub in validate_many(files, ctx, as_of=as_of.date() if as_of else today(ctx)):
        if sub is None:
            results.append({"file": path.name, "readable": False, "message": report.findings[0].message})
            code = 2
            continue
        day = as_of.date() if as_of else (sub.report_date or today(ctx))
        statuses = team_quarters(sub, ctx, day, quarters, year, on_report_date=False)
        if any(s.status == MISSED for s in statuses):
            code = max(code, 1)
        marked = None
        if out_dir is not None:
            marked = mark_workbook(path, report, as_of=day, statuses=statuses, out_dir=out_dir, quarterly_only=True)
        results.append(
            {
                "file": path.name,
                "readable": True,
                "unit": report.unit,
                "unit_code": report.unit_code,
                "month": report.month,
                "as_of": day.isoformat(),
                "marked_copy": str(marked) if marked else None,
                "teams": [s.to_dict() for s in statuses],
            }
        )
    if fmt == "json":
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        _print(results)
    sys.exit(code)


COLOURS = {"达标": "green", "未达标": "red", "待开展": "yellow", "豁免": "bright_black"}


def _print(results: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    for result in results:
        if not result["readable"]:
            console.print(f"[bold]{result['file']}[/bold]  [red]无法读取[/red]  {result['message']}\n")
            continue
        teams = result["teams"]
        missed = sum(1 for t in teams if t["status"] == "未达标")
        pending = sum(1 for t in teams if t["status"] == "待开展")
        console.print(
            f"[bold]{result['file']}[/bold]  {result['unit'] or ''} {result['month'] or ''}  "
            f"统计截至 {result['as_of']}  未达标 {missed}  待开展 {pending}"
        )
        if not teams:
            console.print("  （没有计入考核的队伍）\n")
            continue
        quarters = sorted({t["quarter"] for t in teams})
        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in ("队伍编号", "队伍名称", *quarters, "说明"):
            table.add_column(column, overflow="fold")
        rows: dict[str, dict] = {}
        for t in teams:
            row = rows.setdefault(t["team_id"], {"name": t["team_name"], "reasons": []})
            colour = COLOURS[t["status"]]
            row[t["quarter"]] = f"[{colour}]{t['status']}[/{colour}] {t['count']}"
            if t["reason"]:
                row["reasons"].append(f"{t['quarter']} {t['reason']}")
        for team_id, row in rows.items():
            table.add_row(team_id, row["name"], *(row.get(q, "") for q in quarters), "；".join(row["reasons"]))
        console.print(table)
        if result["marked_copy"]:
            console.print(f"  标注：{result['marked_copy']}")
        console.print()
