"""What the commands share: the --month check and the progress bar of a batch."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..api import Context

Step = Callable[[int, int, str], None]


def check_month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A click callback for --month: YYYY-MM, explained in Chinese when it is not."""
    if value is None:
        return None
    from ..api import parse_month

    try:
        year, month = parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return f"{year}-{month:02d}"


def evidence_options(command: Callable) -> Callable:
    """--received-at and --received-times: when folder files were received (a file time is no evidence)."""
    command = click.option(
        "--received-times",
        "received_times",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="CSV：每行「文件名（或 SHA-256）,接收时间」，为文件夹中的文件提供接收时间依据。",
    )(command)
    return click.option(
        "--received-at",
        "received_at",
        metavar="YYYY-MM-DD[ HH:MM]",
        help="文件夹中只有文件修改时间的报表，按这个时间接收（例如从邮箱导出的日期）。",
    )(command)


def evidence(ctx: Context, received_at: str | None, received_times: Path | None) -> dict[str, Any]:
    """The keyword arguments of consolidate_month/run_month for the two options above."""
    from ..api import parse_received_at, read_received_times

    return {
        "received_at": parse_received_at(received_at, ctx) if received_at else None,
        "received_times": read_received_times(received_times, ctx) if received_times else None,
    }


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Step | None]:
    """A transient progress bar on an interactive terminal (nothing when piped or in CI); always stopped.

    Drawn at each step, not by rich's refresh thread: a process with a second thread cannot fork safely, so the
    thread would send a lone file's check to the process pool (~0.1 s more) and keep the 简报 draft from being
    written beside the city workbook (files/isolate.py `_can_fork`)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True, auto_refresh=False) as bar:
        task = bar.add_task(label, total=None)

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{label} {name[:30]}", refresh=True)

        yield step
