"""Verbs: check workbooks — a file (guarded, in a worker process) or a book already open — and mark them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context, load_context
from ..errors import KexieError
from ..findings import Report

if TYPE_CHECKING:
    from ..read.grid import Grid
    from ..read.submission import Submission
    from ..rules.quarterly import QuarterStatus
    from ..write.marks import CellMark, ToolSheet

from .workers import _init_worker, worker_context

log = logging.getLogger("kexie_xl")

Progress = Callable[[int, int, str], None]
MARKED_SUFFIX = "（已校验）"
QUARTERLY_SUFFIX = "（季度达标）"


def make_template(out: str | Path, ctx: Context, unit: str | None = None, *, overwrite: bool = False) -> Path:
    """Write the standard template; with `unit`, 填报单位 and the unit code are filled in."""
    from ..schema import standard
    from ..write.template import Filling, write_template

    filling = Filling()
    if unit:
        found = ctx.registry.lookup(unit)
        if found is None:
            raise KexieError(f"单位名录中没有「{unit}」；可用 kexie-xl units 查看全部单位。")
        filling = Filling(
            basic={"unit": found.name},
            meta={standard.META_UNIT_CODE: found.code, standard.META_UNIT_NAME: found.name},
        )
    return write_template(out, ctx.template, ctx.contact, filling, overwrite=overwrite)


def validate(path: str | Path, ctx: Context | None = None, *, as_of: date | None = None) -> Report:
    """Check one workbook file; always returns a Report (an unreadable file is one file-level finding)."""
    report, _ = check_workbook(Path(path), ctx or load_context(), as_of=as_of)
    return report


def check_workbook(
    path: Path, ctx: Context, *, as_of: date | None = None, name: str | None = None
) -> tuple[Report, Submission | None]:
    """The Report and, when the file could be read, the typed Submission (for marks, quarterly, consolidation).

    `name` is the file's name as received, when `path` is an archived copy.
    """
    from ..checks import check_grid
    from ..files.calamine import UnreadableWorkbook, read_grid
    from ..files.guard import inspect
    from ..findings import make
    from ..rules import RuleContext

    name = name or path.name
    clean: set[str] = set()  # worksheets the guard saw without error cells: not decompressed again to look
    problem = inspect(path, name, clean_sheets=clean)
    if problem is None:
        try:
            unread = [*ctx.template.sheet("instructions").names, *ctx.template.sheet("codes").names]
            grid = read_grid(path, skip=unread, clean_sheets=clean)
        except UnreadableWorkbook as exc:
            problem = make("file.unreadable", file=name, reason=str(exc))
    if problem is not None:
        code = "file.encrypted" if problem.code == "file.unreadable" and "密码" in problem.message else None
        if code:
            problem = make(code, file=name)
        return Report(name, [problem], [], readable=False), None
    if not grid.find(*ctx.template.sheet("activities").names) and not grid.find(*ctx.template.sheet("basic").names):
        reason = "找不到「基本信息」和「活动台账」工作表"
        return Report(name, [make("file.not-template", file=name, reason=reason)], [], readable=False), None
    rules = RuleContext(ctx.settings, ctx.registry, as_of or today(ctx))
    return check_grid(grid, ctx.template, rules, name)


AsOf = date | Mapping[Path, date] | None  # "today" for the check: one day, or one per file (e.g. its receipt)


def validate_many(
    paths: Iterable[Path], ctx: Context, *, as_of: AsOf = None, progress: Progress | None = None
) -> Iterator[tuple[Path, Report, Submission | None]]:
    """Check each file in its own worker process; one bad file never stops the batch (a crash, abort or limit
    is that file's finding)."""
    for path, checked in _isolated_checks(list(paths), ctx, as_of, None, progress, None, send_back=True):
        yield path, checked.report, checked.submission


def workbook_files(paths: Iterable[Path]) -> list[Path]:
    """The workbooks named, a folder standing for every workbook in it (sub-folders too), kexie_xl's own marked
    copies, backups and Excel's lock files left out. A folder without any workbook is an error (exit 2)."""
    from ..errors import InputMissing

    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)  # a missing file is that file's finding
            continue
        from ..consolidate.intake import SPREADSHEET_SUFFIXES, own_output  # only for a folder: a file needs none of it

        found = [
            f for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in SPREADSHEET_SUFFIXES and not own_output(f)
        ]
        if not found:
            raise InputMissing(f"文件夹「{path}」里没有工作簿（.xlsx/.xlsm/.xls）。")
        out += found
    return out


@dataclass
class Checked:
    """One file checked (and marked, when asked) in a worker process."""

    report: Report
    submission: Submission | None = None
    marked: Path | None = None
    note: str = ""  # why no marked copy was written, when one was asked for
    statuses: list[QuarterStatus] = field(default_factory=list)  # the counted teams' quarters (check_book)


@dataclass(frozen=True)
class MarkRequest:
    out_dir: Path | None = None
    in_place: bool = False


def check_files(
    paths: Iterable[Path],
    ctx: Context,
    *,
    as_of: AsOf = None,
    mark: MarkRequest | None = None,
    progress: Progress | None = None,
    store: Path | None = None,
) -> Iterator[tuple[Path, Checked]]:
    """Check each file — and write its marked copy (findings + 季度达标) when `mark` is given — in a worker
    process. The Submission is not sent back (it can be large); use `validate_many` when it is needed.

    With `store` (see `history_store`), each workbook is also compared with its unit's previous adopted report
    there (history.* findings; the store is only read)."""
    yield from _isolated_checks(list(paths), ctx, as_of, mark, progress, store)


def history_store(ctx: Context, store: Path | None = None) -> Path | None:
    """The store `kexie-xl validate` compares with: `store` if given (it must exist), else the configured one when
    that file exists; None when there is none or [cross_month] is disabled. A store that cannot be read is a
    StoreError (exit 2) here, before any workbook is checked."""
    import os

    from ..errors import InputMissing

    if not ctx.settings.cross_month.enabled:
        return None
    if store is not None and not store.is_file():
        raise InputMissing(f"找不到汇总库「{store}」：请检查 --store 的路径。")
    path = Path(os.path.abspath(store or ctx.settings.paths.store))
    if not path.is_file():
        return None
    from ..consolidate.store import Store  # only when there is a store to compare with

    Store.reader(path).close()
    return path


def _isolated_checks(
    paths: list[Path],
    ctx: Context,
    as_of: AsOf,
    mark: MarkRequest | None,
    progress: Progress | None,
    store: Path | None,
    *,
    send_back: bool = False,
) -> Iterator[tuple[Path, Checked]]:
    """`send_back`: the worker returns the Submission too (pickling a 10,000-row ledger's costs ~0.2 s each way,
    so only when the caller reads it)."""
    from ..files.isolate import Failed, run_isolated
    from ..findings import make

    default = today(ctx)
    days = as_of if isinstance(as_of, Mapping) else {}
    jobs = [(path, days.get(path) or (as_of if isinstance(as_of, date) else default), mark, store, send_back) for path in paths]
    results = run_isolated(_check_job, jobs, initializer=_init_worker, initargs=(ctx,))
    for n, (path, (_job, result)) in enumerate(zip(paths, results, strict=True), start=1):
        if isinstance(result, Failed):
            finding = make("file.unreadable", file=path.name, reason=result.reason)
            result = Checked(Report(path.name, [finding], [], readable=False))
        if progress:
            progress(n, len(paths), path.name)
        yield path, result


def _check_job(job: tuple[Path, date, MarkRequest | None, Path | None, bool]) -> Checked:
    """In the worker: check (against the unit's previous report when a store is given), and mark when asked (a
    marking problem is a note, not a failure of the check)."""
    ctx = worker_context()
    path, day, mark, store, send_back = job
    from ..checks.pipeline import gc_paused

    with gc_paused():  # the check only; marking (openpyxl's objects refer to each other) keeps the GC
        report, sub = check_workbook(path, ctx, as_of=day)
    if store is not None and sub is not None:
        from dataclasses import replace

        from ..consolidate.history import submission_history

        try:
            history = submission_history(store, ctx.settings, sub, report.unit_code, report.findings)
        except KexieError:  # the store went away or changed since it was checked: the file's own findings stand
            log.warning("history of %s not compared: store %s unreadable", path.name, store)
            history = []
        report = replace(report, findings=[*report.findings, *history])
    if mark is None:
        return Checked(report, sub if send_back else None)
    if sub is None:
        return Checked(report)
    try:
        marked = mark_workbook(
            path, report, as_of=day, statuses=team_quarters(sub, ctx, day), out_dir=mark.out_dir, in_place=mark.in_place
        )
    except KexieError as exc:
        return Checked(report, note=str(exc))
    note = "" if marked is not None else unmarkable_note(path)
    return Checked(report, marked=marked, note=note)


def unmarkable_note(path: Path) -> str:
    """Why a checked file gets findings but no marked copy (.xls, .xlsb, .ods: marks cannot be written into them
    without losing the clerk's content), and how to get one."""
    from ..formats import sniff

    return f"{sniff(path).label}不能直接标注（问题已全部列出）；请另存为 Excel 工作簿（*.xlsx）后再校验，即可得到标注副本"


def team_quarters(
    sub: Submission,
    ctx: Context,
    as_of: date,
    quarters: Sequence[int] | None = None,
    year: int | None = None,
    *,
    on_report_date: bool = True,
) -> list[QuarterStatus]:
    """The quarterly status of every counted team of one submission (rules.quarterly.submission_statuses)."""
    from ..rules.quarterly import submission_statuses

    return submission_statuses(sub, ctx.settings.quarterly, as_of, quarters, year, on_report_date=on_report_date)


def mark_workbook(
    path: Path,
    report: Report,
    *,
    as_of: date,
    statuses: Sequence[QuarterStatus] = (),
    out_dir: Path | None = None,
    in_place: bool = False,
    quarterly_only: bool = False,
    name: str | None = None,
) -> Path | None:
    """Write the findings (and the 季度达标 sheet) into a copy of `path`, or into `path` after a backup.

    With `quarterly_only`, only the quarterly findings are marked and only 季度达标 is written (kexie-xl
    quarterly). Returns the marked file, or None for a legacy .xls (which cannot be edited without loss).
    `name` is the file's name as received, when `path` is an archived copy (the marked copy is named after it).
    """
    import shutil

    from ..files.marking import write_marked
    from ..write.save import save_atomic

    marks = marks_for(report, statuses, as_of, quarterly_only=quarterly_only)
    suffix = QUARTERLY_SUFFIX if quarterly_only else MARKED_SUFFIX

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    if in_place:
        backup = path.with_name(f"{path.stem}（校验前备份）{path.suffix}")
        n = 1
        while backup.exists():  # never overwrite an earlier backup: it may be the only unmarked original
            n += 1
            backup = path.with_name(f"{path.stem}（校验前备份{n}）{path.suffix}")
        shutil.copy2(path, backup)
        target = path
    else:
        from ..consolidate.intake import safe_name

        folder = out_dir or path.parent
        received = Path(safe_name(name)) if name else path
        stem = received.stem if received.stem.endswith(suffix) else received.stem + suffix
        target = folder / safe_name(f"{stem}{path.suffix}")
        if target.resolve() == path.resolve():
            raise KexieError(f"「{path.name}」已是标注副本；请用 --in-place 在它上面重新标注，或用 --out 指定目录。")
    save_atomic(target, lambda tmp: write_marked(path, tmp, marks.cells, marks.sheets), overwrite=True)
    return target


@dataclass(frozen=True)
class Marks:
    """What to write into a checked workbook: fills and notes on cells, and the tool's sheets."""

    cells: list[CellMark]
    sheets: list[ToolSheet]


def marks_for(report: Report, statuses: Sequence[QuarterStatus], as_of: date, *, quarterly_only: bool = False) -> Marks:
    """The one place that turns a check into marks — for a file copy (mark_workbook) and for the open book
    (the ribbon): every finding (or only the quarterly ones) on its cell, 校验结果, 季度达标."""
    from dataclasses import replace

    from ..schema.standard import TEAMS
    from ..write.marks import cell_marks, quarterly_sheet, result_sheet

    if quarterly_only:
        report = replace(report, findings=[f for f in report.findings if f.code.startswith("rule.quarterly")])
    sheets = [] if quarterly_only else [result_sheet(report, as_of.isoformat())]
    if statuses:
        teams = next((f.sheet for f in report.findings if f.code.startswith("rule.quarterly")), TEAMS.name)
        sheets.append(quarterly_sheet(statuses, teams))
    return Marks(cell_marks(report), sheets)


def check_book(grid: Grid, ctx: Context, name: str, *, as_of: date | None = None) -> Checked:
    """A workbook that is already open (the ribbon; later the WPS add-in): the same template check, rules and
    quarter statuses as a file — only the file guard does not apply (Excel has parsed it)."""
    from ..checks import check_grid
    from ..findings import make
    from ..rules import RuleContext

    day = as_of or today(ctx)
    if not grid.find(*ctx.template.sheet("activities").names) and not grid.find(*ctx.template.sheet("basic").names):
        reason = "找不到「基本信息」和「活动台账」工作表"
        return Checked(Report(name, [make("file.not-template", file=name, reason=reason)], [], readable=False))
    report, sub = check_grid(grid, ctx.template, RuleContext(ctx.settings, ctx.registry, day), name)
    return Checked(report, sub, statuses=team_quarters(sub, ctx, day))


SUBMISSION_NAME = "{month}_{unit}_科技志愿服务月报.xlsx"  # the name the template asks a month's book to have
SUBMITTED_NAME = "{month}_{unit}_科技志愿服务月报（报送件）{suffix}"  # 生成报送件: never the open book's own name


def submission_copy(copy: Path, report: Report, folder: Path) -> Path:
    """生成报送件: a clean copy of the open book (saved by Excel to `copy`) beside it, under a name of its own."""
    from ..consolidate.intake import safe_name

    suffix = copy.suffix.lower() if copy.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    unit = report.unit or "未填单位"
    name = safe_name(SUBMITTED_NAME.format(month=report.month or "未填月份", unit=unit, suffix=suffix))
    return clean_copy(copy, folder / name)


def next_month_workbook(sub: Submission, ctx: Context, folder: Path) -> tuple[str, Path]:
    """新建下月台账: next month's workbook beside this one, carrying the roster, the year's ledger (not across a
    new year) and the registration totals with 本月新增 cleared. Never overwrites: an existing one is an error."""
    from ..write.template import Filling, write_template

    if sub.month is None:
        raise KexieError("请先在「基本信息」填写报送月份（如 2026-11），再新建下月台账。")
    year, month = sub.month
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    new_month = f"{year}-{month:02d}"
    basic = {k: sub.basic.values.get(k) for k in ("unit", "reporter", "phone", "email")}
    basic["report_month"] = new_month
    rows = {
        "teams": [r.values for r in sub.rows("teams")],
        "activities": [] if month == 1 else [r.values for r in sub.rows("activities")],  # a new year, a new ledger
        "registration": [{**r.values, "new": 0} for r in sub.rows("registration")],
    }
    target = folder / SUBMISSION_NAME.format(month=new_month, unit=basic["unit"] or "本单位")
    if target.exists():
        raise KexieError(f"「{target.name}」已经存在，没有覆盖。")
    write_template(target, ctx.template, ctx.contact, Filling(basic=basic, rows=rows))
    return new_month, target


def clean_copy(source: Path, target: Path) -> Path:
    """What the city receives: `source` without any mark, note or tool sheet of kexie_xl, written atomically."""
    from ..files.marking import write_marked
    from ..write.save import save_atomic

    return save_atomic(target, lambda out: write_marked(source, out, [], []), overwrite=True)


def today(ctx: Context) -> date:
    """Today in the reporting time zone (Asia/Shanghai by default)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(ctx.settings.report.timezone)).date()
