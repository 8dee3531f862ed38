"""What the commands share: the --month check and the progress bar of a batch."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

Step = Callable[[int, int, str], None]


def check_month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A click callback for --month: YYYY-MM, explained in Chinese when it is not."""
    if value is None:
        return None
    from ..config import parse_month

    try:
        year, month = parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return f"{year}-{month:02d}"


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Step | None]:
    """A transient progress bar on an interactive terminal (nothing when piped or in CI); always stopped."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=None)

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{label} {name[:30]}")

        yield step
