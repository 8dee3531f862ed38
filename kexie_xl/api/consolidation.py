"""Verbs: consolidate a month — intake into the archive, checks in worker processes, the store, the city workbook."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context
from ..errors import KexieError
from ..findings import Report

if TYPE_CHECKING:
    from ..consolidate.archive import Archive
    from ..consolidate.intake import Input
    from ..consolidate.merge import CityMonth
    from ..consolidate.run import Facts, RunCounts
    from ..consolidate.store import Store

from .checking import Progress, check_workbook
from .workers import _init_worker, worker_context

log = logging.getLogger("kexie_xl")

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
    brief: Path | None = None  # the month's 工作简报 draft beside the city workbook

    def summary(self) -> str:
        from ..schema.city import LATE, MISSING, ON_TIME, QUARANTINED, REJECTED, SKIPPED, UNIDENTIFIED, UNVERIFIED

        by = self.counts.by_status
        units = self.city.units
        n = {s: [u.unit.name for u in units if u.status == s] for s in (ON_TIME, LATE, UNVERIFIED, MISSING)}
        unverified = f"，报送时间未核实 {len(n[UNVERIFIED])}" if n[UNVERIFIED] else ""
        lines = [
            f"{self.month} 汇总：收到 {self.counts.received} 份（本次新读取 {self.counts.checked} 份）；"
            f"采用 {by.get('采用', 0)}，被替代 {by.get('被替代', 0)}，退回 {by.get('退回', 0)}，"
            f"无法识别 {by.get('无法识别', 0)}，待确认 {by.get('待确认', 0)}"
            + (f"（另有 {by[SKIPPED]} 个 kexie_xl 自己的文件已跳过）" if by.get(SKIPPED) else ""),
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
        if self.brief is not None:
            lines.append(f"  工作简报（草稿）：{self.brief}")
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
    from ..config import parse_month
    from ..consolidate.store import LOCK_WAIT_SECONDS, Store, store_lock
    from ..schema.city import CITY_FILENAME

    year, mon = parse_month(month)
    month = f"{year}-{mon:02d}"
    output = Path(os.path.abspath(output or CITY_FILENAME.format(month=month)))
    store_path = Path(os.path.abspath(store_path or ctx.settings.paths.store))
    for source in sources:  # a mistyped source is said before a store or an archive is made for nothing
        if not os.path.exists(source):
            from ..errors import InputMissing

            raise InputMissing(f"找不到「{source}」：请检查路径（文件夹、工作簿、.zip 或邮件文件）。")
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
    from ..consolidate.intake import Collector, supply_evidence
    from ..consolidate.merge import merge_month
    from ..consolidate.run import copy_photos, take_in
    from ..errors import OutputError
    from ..mail.intake import MailIntake
    from ..write.city import write_city

    year, mon = (int(p) for p in month.split("-"))
    units = ctx.registry.active_in_month(year, mon)
    tz = ctx.settings.report.timezone
    own = (store.path, Path(f"{store.path}.lock"), output)
    collector = Collector(archive, tz, MailIntake(archive.root, month, tz), own=own)
    try:
        intake = supply_evidence(collector.collect(list(sources)), *evidence)
    except FileNotFoundError as exc:
        from ..errors import InputMissing

        raise InputMissing(f"找不到「{exc.args[0]}」：请检查路径（文件夹、工作簿、.zip 或邮件文件）。") from None
    except OSError as exc:
        raise OutputError(
            f"无法写入归档目录「{archive.root}」（{exc.strerror or exc}）；请检查磁盘空间和写入权限，汇总库和全市月报都没有改动。"
        ) from None
    first_day = date(year, mon, 1)

    from ..consolidate.intake import UPLOAD_SENDER

    def sender_unit(address: str) -> tuple[str, str] | None:
        if address.startswith(UPLOAD_SENDER):  # a unit's upload link: the link says who sent it
            unit = ctx.registry.by_code(address[len(UPLOAD_SENDER) :])
        else:
            unit = ctx.registry.by_sender(address, first_day) or ctx.registry.by_sender(address)
        return (unit.code, unit.name) if unit else None

    counts = take_in(
        store,
        intake,
        month,
        units,
        strict,
        lambda items, staged: _check_many(items, ctx, month, staged, progress),
        sender_unit,
        ctx.settings.mail.accept_unknown_senders,
    )
    city = merge_month(store, ctx.settings, units, month)
    photos = copy_photos(city, intake.photos, output)
    job = (ctx, city, output)
    if force or not output.exists():  # the city workbook will be written: its 简报 draft is written meanwhile
        from ..files.isolate import Failed, beside

        brief = beside(_draft, job)
        try:
            unchanged = _write_city_once(output, city, ctx, force, write_city)
        except BaseException:
            brief.cancel()  # no draft for a month whose workbook was not written
            raise
        done = brief.result()
        drafted = done.reason if isinstance(done, Failed) else done
    else:  # only once its workbook is known to be the same (a changed workbook is not overwritten: the run stops)
        unchanged = _write_city_once(output, city, ctx, force, write_city)
        drafted = _draft(job)
    if isinstance(drafted, str):  # the 简报 draft is a convenience: the month's result stands, the log says why
        log.warning("工作简报草稿没有写出：%s", drafted)
    brief_path = drafted if isinstance(drafted, Path) else None
    return Consolidation(month, output, store.path, counts, city, photos, unchanged, brief_path)


def _draft(job: tuple[Context, CityMonth, Path]) -> Path | str:
    """The month's 简报 draft beside the city workbook: its path, or why it could not be written. Run beside the
    city workbook's writing (files/isolate.py `beside`: two cores, ~0.15 s of a re-run), so it says why rather
    than logging it: a child's stderr is not the user's."""
    from .reports import write_brief

    ctx, city, output = job
    try:
        return write_brief(ctx, city, output)
    except (OSError, KexieError) as exc:
        return str(exc)


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
    from ..consolidate.archive import Archive
    from ..errors import OutputError
    from ..write.save import remove_stale_temps

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

    from ..errors import OutputError

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


def _check_many(
    items: list[Input], ctx: Context, month: str, staged: Path | None, progress: Progress | None
) -> Iterator[tuple[Input, Facts]]:
    """Check new workbooks for the store, each in a worker process (a crash or a limit costs that file only); the
    workers write the rows into the run's staging file and hand back only the facts."""
    from ..consolidate.run import facts_of
    from ..files.isolate import Failed, run_isolated
    from ..findings import make

    jobs = [(item.path, item.received.date(), item.name, month, staged, item.sha256) for item in items]
    results = run_isolated(_work, jobs, initializer=_init_worker, initargs=(ctx,))
    for n, (item, (_job, result)) in enumerate(zip(items, results, strict=True), start=1):
        if isinstance(result, Failed):
            finding = make("file.unreadable", file=item.name, reason=result.reason)
            result = facts_of(item.name, Report(item.name, [finding], [], readable=False), None, ctx.registry, month)
        if progress:
            progress(n, len(items), item.name)
        yield item, result


Job = tuple[Path, date, str, str, Path | None, str]  # file, day received, name, month, staging file, SHA-256


def _work(job: Job) -> Facts:
    return _check_for_store(job, worker_context())


def _check_for_store(job: Job, ctx: Context) -> Facts:
    """Check one workbook and turn it into what the store keeps (its rows staged when there is a staging file);
    any failure becomes its finding."""
    from ..checks.pipeline import gc_paused
    from ..consolidate.run import facts_of
    from ..consolidate.store import stage_rows
    from ..findings import make

    path, day, name, month, staged, sha256 = job
    with gc_paused():  # reading, checking and staging the rows
        try:
            report, sub = check_workbook(path, ctx, as_of=day, name=name)
        except Exception as exc:  # the batch goes on
            log.exception("checking %s failed", name)
            reason = f"检查时出错（{type(exc).__name__}: {exc}）"
            report = Report(name, [make("file.unreadable", file=name, reason=reason)], [], readable=False)
            sub = None
        facts, rows = facts_of(name, report, sub, ctx.registry, month)
        if staged is not None and rows:
            return facts, stage_rows(staged, sha256, rows) or rows  # rows handed over only if they could not be staged
        return facts, rows


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
