"""The verbs both adapters (CLI and ribbon) call. Each runs the stages in order; heavy libraries load lazily."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .context import Context, load_context
from .errors import KexieError
from .findings import Report

if TYPE_CHECKING:
    from .consolidate.archive import Archive
    from .consolidate.intake import Input
    from .consolidate.merge import CityMonth
    from .consolidate.run import Facts, RunCounts
    from .consolidate.store import Store
    from .read.grid import Grid
    from .read.submission import Submission
    from .rules.quarterly import QuarterStatus
    from .sample import DemoResult
    from .write.marks import CellMark, ToolSheet

log = logging.getLogger("kexie_xl")
Progress = Callable[[int, int, str], None]
MARKED_SUFFIX = "（已校验）"
QUARTERLY_SUFFIX = "（季度达标）"

__all__ = [
    "Context",
    "Report",
    "check_workbook",
    "consolidate_month",
    "load_context",
    "make_demo",
    "make_template",
    "mark_workbook",
    "validate",
    "validate_many",
]


def make_template(out: str | Path, ctx: Context, unit: str | None = None, *, overwrite: bool = False) -> Path:
    """Write the standard template; with `unit`, 填报单位 and the unit code are filled in."""
    from .schema import standard
    from .write.template import Filling, write_template

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
    from .files.calamine import UnreadableWorkbook, read_grid
    from .files.guard import inspect
    from .findings import make
    from .rules import RuleContext
    from .rules.run import check_grid

    name = name or path.name
    problem = inspect(path, name)
    if problem is None:
        try:
            unread = [*ctx.template.sheet("instructions").names, *ctx.template.sheet("codes").names]
            grid = read_grid(path, skip=unread)
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
    for path, checked in _isolated_checks(list(paths), ctx, as_of, None, progress):
        yield path, checked.report, checked.submission


def workbook_files(paths: Iterable[Path]) -> list[Path]:
    """The workbooks named, a folder standing for every workbook in it (sub-folders too), kexie_xl's own marked
    copies, backups and Excel's lock files left out. A folder without any workbook is an error (exit 2)."""
    from .consolidate.intake import WORKBOOK_SUFFIXES, own_output
    from .errors import InputMissing

    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)  # a missing file is that file's finding
            continue
        found = [
            f for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES and not own_output(f)
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
    paths: Iterable[Path], ctx: Context, *, as_of: AsOf = None, mark: MarkRequest | None = None, progress: Progress | None = None
) -> Iterator[tuple[Path, Checked]]:
    """Check each file — and write its marked copy (findings + 季度达标) when `mark` is given — in a worker
    process. The Submission is not sent back (it can be large); use `validate_many` when it is needed."""
    yield from _isolated_checks(list(paths), ctx, as_of, mark, progress)


def _isolated_checks(
    paths: list[Path], ctx: Context, as_of: AsOf, mark: MarkRequest | None, progress: Progress | None
) -> Iterator[tuple[Path, Checked]]:
    from .files.isolate import Failed, run_isolated
    from .findings import make

    default = today(ctx)
    days = as_of if isinstance(as_of, Mapping) else {}
    jobs = [(path, days.get(path) or (as_of if isinstance(as_of, date) else default), mark) for path in paths]
    results = run_isolated(_check_job, jobs, initializer=_init_worker, initargs=(ctx,))
    for n, (path, (_job, result)) in enumerate(zip(paths, results, strict=True), start=1):
        if isinstance(result, Failed):
            finding = make("file.unreadable", file=path.name, reason=result.reason)
            result = Checked(Report(path.name, [finding], [], readable=False))
        if progress:
            progress(n, len(paths), path.name)
        yield path, result


def _check_job(job: tuple[Path, date, MarkRequest | None]) -> Checked:
    """In the worker: check, and mark when asked (a marking problem is a note, not a failure of the check)."""
    assert _WORKER_CTX is not None
    ctx = _WORKER_CTX
    path, day, mark = job
    report, sub = check_workbook(path, ctx, as_of=day)
    if mark is None:
        return Checked(report, sub)
    if sub is None:
        return Checked(report)
    try:
        marked = mark_workbook(
            path, report, as_of=day, statuses=team_quarters(sub, ctx, day), out_dir=mark.out_dir, in_place=mark.in_place
        )
    except KexieError as exc:
        return Checked(report, note=str(exc))
    note = "" if marked is not None else "旧版 .xls 文件不能直接标注；请另存为 .xlsx 后再校验以得到标注副本"
    return Checked(report, marked=marked, note=note)


def team_quarters(
    sub: Submission,
    ctx: Context,
    as_of: date,
    quarters: Sequence[int] | None = None,
    year: int | None = None,
    *,
    on_report_date: bool = True,
) -> list[QuarterStatus]:
    """The quarterly status of every counted team of one submission.

    Validation judges a report as of the day it was filled in (`on_report_date`), so its findings do not change
    with the calendar; `kexie-xl quarterly --as-of` judges exactly as of the date asked.
    """
    from .rules.quarterly import judgement_day, quarterly_status, submission_rows

    teams, activities = submission_rows(sub, sub.unit_code or "")
    day = judgement_day(sub, as_of) if on_report_date else as_of
    year = year or (sub.month[0] if sub.month else day.year)
    return quarterly_status(teams, activities, ctx.settings.quarterly, day, year, quarters)


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

    from .files.marking import write_marked
    from .write.save import save_atomic

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
        from .consolidate.intake import safe_name

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

    from .schema.standard import TEAMS
    from .write.marks import cell_marks, quarterly_sheet, result_sheet

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
    from .findings import make
    from .rules import RuleContext
    from .rules.run import check_grid

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
    from .consolidate.intake import safe_name

    suffix = copy.suffix.lower() if copy.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    unit = report.unit or "未填单位"
    name = safe_name(SUBMITTED_NAME.format(month=report.month or "未填月份", unit=unit, suffix=suffix))
    return clean_copy(copy, folder / name)


def next_month_workbook(sub: Submission, ctx: Context, folder: Path) -> tuple[str, Path]:
    """新建下月台账: next month's workbook beside this one, carrying the roster, the year's ledger (not across a
    new year) and the registration totals with 本月新增 cleared. Never overwrites: an existing one is an error."""
    from .write.template import Filling, write_template

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
    from .files.marking import write_marked
    from .write.save import save_atomic

    return save_atomic(target, lambda out: write_marked(source, out, [], []), overwrite=True)


SUMMARY_FILES = 10  # refused / unidentified / held files named in the summary, per status


@dataclass
class Consolidation:
    """What a consolidation run did and where its outputs are."""

    month: str
    output: Path
    store: Path
    counts: RunCounts
    city: CityMonth
    photos: int
    unchanged: bool = False

    def summary(self) -> str:
        from .schema.city import LATE, MISSING, ON_TIME, QUARANTINED, REJECTED, UNIDENTIFIED, UNVERIFIED

        by = self.counts.by_status
        units = self.city.units
        n = {s: [u.unit.name for u in units if u.status == s] for s in (ON_TIME, LATE, UNVERIFIED, MISSING)}
        unverified = f"，报送时间未核实 {len(n[UNVERIFIED])}" if n[UNVERIFIED] else ""
        lines = [
            f"{self.month} 汇总：收到 {self.counts.received} 份（本次新读取 {self.counts.checked} 份）；"
            f"采用 {by.get('采用', 0)}，被替代 {by.get('被替代', 0)}，退回 {by.get('退回', 0)}，"
            f"无法识别 {by.get('无法识别', 0)}，待确认 {by.get('待确认', 0)}",
            f"  应报 {len(units)} 个单位：按时 {len(n[ON_TIME])}，逾期 {len(n[LATE])}{unverified}，未报 {len(n[MISSING])}",
        ]
        if n[LATE]:
            lines.append(f"  逾期：{'、'.join(n[LATE])}")
        if n[UNVERIFIED]:
            lines.append(
                f"  报送时间未核实（只有文件修改时间，不计逾期；可用 --received-at 或 --received-times "
                f"补充依据）：{'、'.join(n[UNVERIFIED])}"
            )
        if n[MISSING]:
            lines.append(f"  未报：{'、'.join(n[MISSING])}")
        refused = [u.unit.name for u in units if u.status == REJECTED]
        if refused:
            lines.append(f"  报表被退回、本月没有采用的单位：{'、'.join(refused)}")
        for status in (REJECTED, UNIDENTIFIED, QUARANTINED):
            files = [r for r in self.city.intake if r["status"] == status]
            for r in files[:SUMMARY_FILES]:
                lines.append(f"  {status}：{r['file']}（{r['reason'] or '—'}）")
            if len(files) > SUMMARY_FILES:
                lines.append(f"  {status}：另有 {len(files) - SUMMARY_FILES} 份，见全市月报的「收件清单」")
        state = "（与上次相同，未改写）" if self.unchanged else ""
        lines.append(f"  全市月报：{self.output}{state}")
        lines.append(f"  汇总库：{os.path.normpath(self.store)}；图片 {self.photos} 张")
        return "\n".join(lines)


def consolidate_month(
    sources: Sequence[Path],
    ctx: Context,
    month: str,
    *,
    output: Path | None = None,
    store_path: Path | None = None,
    strict: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
    lock_wait: float | None = None,
    received_at: datetime | None = None,
    received_times: dict[str, datetime] | None = None,
) -> Consolidation:
    """Take in the sources, keep every file in the archive and every submission in the store, and write the
    city workbook for `month`. One run per store at a time (a second one waits briefly, then refuses).

    `received_at` / `received_times` (file name or sha256 → time) supply evidence of when files that have only
    a file time were received; without it such a unit's 报送状态 is 未核实, never 逾期.
    """
    from .config import parse_month
    from .consolidate.store import LOCK_WAIT_SECONDS, Store, store_lock
    from .schema.city import CITY_FILENAME

    year, mon = parse_month(month)
    month = f"{year}-{mon:02d}"
    output = Path(os.path.abspath(output or CITY_FILENAME.format(month=month)))
    store_path = Path(os.path.abspath(store_path or ctx.settings.paths.store))
    _writable(output.parent, "全市月报")
    with store_lock(store_path, LOCK_WAIT_SECONDS if lock_wait is None else lock_wait, on_wait=on_wait):
        archive = _open_archive(ctx, store_path, output)
        store = Store(store_path, keep_file=lambda path: _keep(archive, path))
        try:
            evidence = (received_at, received_times)
            return _consolidate(sources, ctx, month, archive, store, output, strict, force, progress, evidence)
        finally:
            store.close()


def _consolidate(
    sources: Sequence[Path],
    ctx: Context,
    month: str,
    archive: Archive,
    store: Store,
    output: Path,
    strict: bool,
    force: bool,
    progress: Progress | None,
    evidence: tuple[datetime | None, dict[str, datetime] | None],
) -> Consolidation:
    from .consolidate.intake import Collector, supply_evidence
    from .consolidate.merge import merge_month
    from .consolidate.run import copy_photos, take_in
    from .errors import OutputError
    from .mail.intake import MailIntake
    from .write.city import write_city

    year, mon = (int(p) for p in month.split("-"))
    units = ctx.registry.active_in_month(year, mon)
    tz = ctx.settings.report.timezone
    own = (store.path, Path(f"{store.path}.lock"), output)
    collector = Collector(archive, tz, MailIntake(archive.root, month, tz), own=own)
    try:
        intake = supply_evidence(collector.collect(list(sources)), *evidence)
    except FileNotFoundError as exc:
        from .errors import InputMissing

        raise InputMissing(f"找不到「{exc.args[0]}」：请检查路径（文件夹、工作簿、.zip 或邮件文件）。") from None
    except OSError as exc:
        raise OutputError(
            f"无法写入归档目录「{archive.root}」（{exc.strerror or exc}）；请检查磁盘空间和写入权限，汇总库和全市月报都没有改动。"
        ) from None
    first_day = date(year, mon, 1)

    def sender_unit(address: str) -> tuple[str, str] | None:
        unit = ctx.registry.by_sender(address, first_day) or ctx.registry.by_sender(address)
        return (unit.code, unit.name) if unit else None

    counts = take_in(
        store,
        intake,
        month,
        units,
        strict,
        lambda items: _check_many(items, ctx, month, progress),
        sender_unit,
        ctx.settings.mail.accept_unknown_senders,
    )
    city = merge_month(store, ctx.settings, units, month)
    photos = copy_photos(city, intake.photos, output)
    unchanged = _write_city_once(output, city, ctx, force, write_city)
    return Consolidation(month, output, store.path, counts, city, photos, unchanged)


def read_received_times(path: Path, ctx: Context) -> dict[str, datetime]:
    """A small CSV the office keeps: file name (or SHA-256) → the time it was received, one per line
    (e.g. 「2026-11_万州区科协_科技志愿服务月报.xlsx,2026-11-20 09:30」); a header line is allowed; UTF-8 or the
    GBK that Excel writes on Chinese Windows."""
    import csv

    data = path.read_bytes()
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    out: dict[str, datetime] = {}
    for n, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [c.strip() for c in row if c.strip()]
        if not cells or (n == 1 and not any(ch.isdigit() for ch in "".join(cells[1:2]))):
            continue  # blank line, or a header
        if len(cells) < 2:
            raise KexieError(
                f"「{path.name}」第 {n} 行应有两列：文件名（或 SHA-256）和接收时间，如 「万州区科协.xlsx,2026-11-20 09:30」。"
            )
        out[cells[0]] = parse_received_at(cells[1], ctx, f"「{path.name}」第 {n} 行")
    return out


def parse_received_at(text: str, ctx: Context, where: str = "--received-at") -> datetime:
    """「2026-11-20」 or 「2026-11-20 09:30」 (also with / or .) in the reporting time zone."""
    from zoneinfo import ZoneInfo

    cleaned = text.strip().replace("/", "-").replace(".", "-").replace("T", " ")
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(cleaned, pattern).replace(tzinfo=ZoneInfo(ctx.settings.report.timezone))
        except ValueError:
            continue
    raise KexieError(f"{where}：「{text}」不是日期时间；请写成 2026-11-20 或 2026-11-20 09:30。")


def _open_archive(ctx: Context, store_path: Path, output: Path) -> Archive:
    """The archive beside (or configured for) the store, ready to write; leftovers of a killed run removed.
    Called while holding the store's lock."""
    from .consolidate.archive import Archive
    from .errors import OutputError
    from .write.save import remove_stale_temps

    archive = Archive(ctx.settings.paths.archive_root(store_path))
    try:
        archive.ensure()
        archive.clear_tmp()
        remove_stale_temps(output.parent)
    except OSError as exc:
        raise OutputError(
            f"无法写入归档目录「{archive.root}」（{exc.strerror or exc}）；请换一个可写的位置"
            "（配置 [paths] archive），或请管理员开放权限。"
        ) from None
    return archive


def _keep(archive: Archive, path: Path) -> None:
    archive.put_file(path)


def _writable(folder: Path, what: str) -> None:
    """Fail early, before the long work, when an output folder cannot take a file."""
    import tempfile

    from .errors import OutputError

    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{what}的位置「{folder}」是一个文件，不是文件夹；请用 -o 指定别的位置。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".~kexie-probe-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"无法在「{folder}」中写入{what}（{exc.strerror or exc}）；请用 -o 换一个可写的文件夹，或请管理员开放权限。"
        ) from None


def _check_many(items: list[Input], ctx: Context, month: str, progress: Progress | None) -> Iterator[tuple[Input, Facts]]:
    """Check new workbooks for the store, each in a worker process (a crash or a limit costs that file only)."""
    from .consolidate.run import facts_of
    from .files.isolate import Failed, run_isolated
    from .findings import make

    jobs = [(item.path, item.received.date(), item.name, month) for item in items]
    results = run_isolated(_work, jobs, initializer=_init_worker, initargs=(ctx,))
    for n, (item, (_job, result)) in enumerate(zip(items, results, strict=True), start=1):
        if isinstance(result, Failed):
            finding = make("file.unreadable", file=item.name, reason=result.reason)
            result = facts_of(item.name, Report(item.name, [finding], [], readable=False), None, ctx.registry, month)
        if progress:
            progress(n, len(items), item.name)
        yield item, result


_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _work(job: tuple[Path, date, str, str]) -> Facts:
    assert _WORKER_CTX is not None
    return _check_for_store(job, _WORKER_CTX)


def _check_for_store(job: tuple[Path, date, str, str], ctx: Context) -> Facts:
    """Check one workbook and turn it into what the store keeps; any failure becomes its finding."""
    from .consolidate.run import facts_of
    from .findings import make

    path, day, name, month = job
    try:
        report, sub = check_workbook(path, ctx, as_of=day, name=name)
    except Exception as exc:  # the batch goes on
        log.exception("checking %s failed", name)
        report = Report(
            name, [make("file.unreadable", file=name, reason=f"检查时出错（{type(exc).__name__}: {exc}）")], [], readable=False
        )
        sub = None
    return facts_of(name, report, sub, ctx.registry, month)


def _write_city_once(output: Path, city: CityMonth, ctx: Context, force: bool, write_city: Callable) -> bool:
    """Write the city workbook; an existing one is kept unless --force, or unless it is the same anyway."""
    import tempfile

    if output.exists() and not force:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = write_city(Path(tmp) / output.name, city, ctx.settings)
            if fresh.read_bytes() == output.read_bytes():
                return True
        raise KexieError(f"「{output}」已存在且内容有变化；如需覆盖请加 --force。")
    write_city(output, city, ctx.settings, overwrite=True)
    return False


def today(ctx: Context) -> date:
    """Today in the reporting time zone (Asia/Shanghai by default)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(ctx.settings.report.timezone)).date()


def make_demo(out_dir: str | Path, ctx: Context, month: str, seed: int, *, progress: Progress | None = None) -> DemoResult:
    """Generate a realistic month for every active unit, then run every step of the job that exists on it.

    Steps so far: validate each workbook and write its marked copy under 校验结果/, compared with the manifest.
    """
    import json

    from .sample import write_demo

    out = Path(out_dir)
    result = write_demo(out, ctx, month, seed, progress=progress)
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
    return result


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
