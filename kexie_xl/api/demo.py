"""Verb: the demo — generate a realistic month and run every step of the job on it."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context, load_context

if TYPE_CHECKING:
    from ..sample import DemoResult

from .checking import MarkRequest, Progress, check_files

log = logging.getLogger("kexie_xl")


def make_demo(out_dir: str | Path, ctx: Context, month: str, seed: int, *, progress: Progress | None = None) -> DemoResult:
    """Generate a realistic month for every active unit, then run every step of the job that exists on it.

    Steps so far: validate each workbook and write its marked copy under 校验结果/, compared with the manifest.
    """

    from ..sample import write_demo

    out = Path(out_dir)
    result = write_demo(out, ctx, month, seed, progress=progress)
    _validate_month(result, progress)
    return result


def _validate_month(result: DemoResult, progress: Progress | None) -> None:
    """Check each workbook of a demo month (marked copies under 校验结果/) and compare with its manifest."""
    import json

    out = result.out_dir
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    demo_ctx = load_context(out / manifest["config"])
    # each workbook is checked as of the day it arrived, as the office would (a late unit's activities up to
    # its own report date count for it)
    days = {out / f["path"]: date.fromisoformat(f["received"][:10]) for f in manifest["files"]}
    marked_dir = out / "校验结果"
    found: dict[str, set[tuple[str, str, str]]] = {}
    for path, checked in check_files(list(days), demo_ctx, as_of=days, mark=MarkRequest(marked_dir), progress=progress):
        found[path.name] = set(checked.report.flatten(("code", "sheet", "cell")))
    planted = {Path(f["path"]).name: {(x["code"], x["sheet"], x["cell"]) for x in f["findings"]} for f in manifest["files"]}
    result.disagreements = [
        f"{name}: 多出 {sorted(found[name] - planted[name])}，缺少 {sorted(planted[name] - found[name])}"
        for name in sorted(planted)
        if found.get(name) != planted[name]
    ]
    result.steps.append(_validation_line(found, planted, marked_dir))


def _validation_line(
    found: dict[str, set[tuple[str, str, str]]], planted: dict[str, set[tuple[str, str, str]]], marked_dir: Path
) -> str:
    with_errors = sum(1 for f in found.values() if f)
    total = sum(len(f) for f in found.values())
    agree = "与预置清单一致" if found == planted else "与预置清单不一致（请报告此问题）"
    return (
        f"校验：{len(found)} 份，{len(found) - with_errors} 份无问题，{with_errors} 份共 {total} 处问题，"
        f"{agree}；标注副本在 {marked_dir}"
    )


def demo_month(out: Path, ctx: Context, month: str, seed: int, progress: Progress | None = None) -> DemoResult:
    """The demo: generate the month and validate it (api.make_demo), then run the month on its .eml messages."""
    import json

    from ..context import load_context
    from ..schema.city import CITY_FILENAME
    from .month import run_month

    result = make_demo(out, ctx, month, seed, progress=progress)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    demo_ctx = load_context(out / manifest["config"])
    run = run_month(
        demo_ctx,
        manifest["month"],
        sources=[out / "mail"],
        fetch=False,
        output=out / CITY_FILENAME.format(month=manifest["month"]),
        force=True,
    )
    result.steps += run.summary().splitlines()
    return result


def demo_series(out: Path, ctx: Context, months: list[str], seed: int, progress: Progress | None = None) -> list[DemoResult]:
    """A series of demo months in one store (sample/series.py): each month generated, validated and run in order,
    and its cross-month findings (history.*) compared with the ones its manifest planted."""
    import json

    from ..context import load_context
    from ..sample.series import write_series
    from ..schema.city import CITY_FILENAME
    from .month import run_month

    results = write_series(out, ctx, months, seed, progress=progress)
    for result in results:
        _validate_month(result, progress)
        manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
        demo_ctx = load_context(result.out_dir / manifest["config"])
        run = run_month(
            demo_ctx,
            result.month,
            sources=[result.out_dir / "mail"],
            fetch=False,
            output=result.out_dir / CITY_FILENAME.format(month=result.month),
            force=True,
        )
        result.steps += run.summary().splitlines()
        found = {
            (u, f["code"], f["sheet"], f["cell"], f["value"]) for u, fs in run.consolidation.city.history.items() for f in fs
        }
        planted = {(h["unit"], h["code"], h["sheet"], h["cell"], h["value"]) for h in manifest.get("history", [])}
        agree = (
            "与预置清单一致"
            if found == planted
            else f"与预置清单不一致：多出 {sorted(found - planted)}，缺少 {sorted(planted - found)}"
        )
        if found != planted:
            result.disagreements.append(f"{result.month} 跨月问题{agree}")
        result.steps.append(f"跨月核对（与各单位上次采用的月报比较）：{len(found)} 处，{agree}")
    return results


def month_range(text: str) -> list[str]:
    """「2026-09..2026-11」 → the months from the first to the last (KexieError in Chinese otherwise)."""
    from ..sample.series import month_range as months

    return months(text)
