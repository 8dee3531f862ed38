"""Stage ⑤: one consolidation run — take in the sources, check what is new, decide, and compute the month.

Called by api.consolidate_month; checking a workbook is passed in (it lives in the api layer above).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..schema.city import PHOTO_FOLDER, SKIPPED, UNIDENTIFIED
from ..schema.units import Unit
from .intake import Input, Intake
from .ledger import decide, unit_from_name
from .merge import CityMonth
from .store import ROW_TABLES, Staged, Store, staging, store_rows

# What the store keeps of one checked workbook: its facts, and its rows (in hand, or staged by a worker)
Facts = tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]] | Staged]
# Checks new content (maybe in parallel), given the run's staging file for the rows
CheckMany = Callable[[list[Input], Path | None], Iterator[tuple[Input, Facts]]]


@dataclass
class RunCounts:
    received: int = 0
    checked: int = 0  # new content read and checked in this run
    by_status: dict[str, int] = field(default_factory=dict)


def take_in(
    store: Store,
    intake: Intake,
    month: str,
    units: list[Unit],
    strict: bool,
    check_many: CheckMany,
    sender_unit: Callable[[str], tuple[str, str] | None] = lambda _s: None,
    accept_unknown: bool = True,
) -> RunCounts:
    """Record every input of the month in the store, checking only content not seen before, then decide."""
    counts = RunCounts(received=len(intake.inputs) + sum(1 for o in intake.other if not o.ours))
    new: dict[str, Input] = {}
    for item in intake.inputs:
        if item.sha256 not in new and store.submission_id(item.sha256) is None:
            new[item.sha256] = item
    with staging() as staged:
        # The workers write the rows into the staging file as they go; the parent holds only each file's facts.
        # The store's transaction starts when they are done (the store's lock is held throughout).
        checked = list(check_many(list(new.values()), staged)) if new else []
        with store.attach_staging(staged if checked and staged is not None else None):
            _record(store, intake, month, units, strict, checked, sender_unit, accept_unknown)
            counts.checked = len(checked)
    for row in store.inputs(month):
        counts.by_status[row["status"]] = counts.by_status.get(row["status"], 0) + 1
    return counts


def _record(
    store: Store,
    intake: Intake,
    month: str,
    units: list[Unit],
    strict: bool,
    checked: list[tuple[Input, Facts]],
    sender_unit: Callable[[str], tuple[str, str] | None],
    accept_unknown: bool,
) -> None:
    with store.write():  # one transaction: a run that fails or is killed leaves the store as it was
        for item, (facts, rows) in checked:
            store.add_submission(item.sha256, facts, rows)
        for item in intake.inputs:
            sid = store.submission_id(item.sha256)
            store.record_input(
                month,
                item.name,
                item.source,
                item.received.isoformat(),
                item.sha256,
                item.sender,
                sid,
                item.note,
                item.receipt.by,
            )
        for other in intake.other:
            received = other.receipt.at.isoformat() if other.receipt else ""
            row_id = store.record_input(
                month,
                other.name,
                other.source,
                received,
                other.sha256,
                other.sender,
                None,
                received_by=other.receipt.by if other.receipt else "",
            )
            store.decide(row_id, SKIPPED if other.ours else UNIDENTIFIED, other.reason)
        inputs = store.inputs(month)
        submissions = {r["submission_id"]: store.submission(r["submission_id"]) for r in inputs if r["submission_id"] is not None}
        for d in decide(inputs, submissions, month, {u.code for u in units}, strict, sender_unit, accept_unknown):
            store.decide(d.input_id, d.status, d.reason)


def facts_of(
    name: str, report: Any, sub: Any, registry: Any, month: str
) -> tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]]]:
    """What the store keeps of one checked workbook: who, which month, the findings, and every row."""
    year, mon = (int(p) for p in month.split("-"))
    unit_code, unit_name = report.unit_code, report.unit
    if sub is not None and unit_code is None:  # 填报单位 missing or unknown: try the file name
        found = unit_from_name(name, registry, year, mon)
        if found:
            unit_code, unit_name = found.code, found.name
    elif unit_code:
        found = registry.by_code(unit_code)
        unit_name = found.name if found else unit_name
    facts = {
        "unit": unit_code,
        "unit_name": unit_name,
        "month": report.month,
        "report_date": sub.report_date.isoformat() if sub is not None and sub.report_date else None,
        "template_version": report.template_version,
        "readable": report.readable,
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [f.to_dict() for f in report.findings],
    }
    rows: dict[str, list[tuple[Any, ...]]] = {}
    if sub is not None:
        for table in ROW_TABLES:
            rows[table] = store_rows([(r.row, r.values) for r in sub.rows(table)], table)
    return facts, rows


def copy_photos(city: CityMonth, photos: dict[str, Path], output: Path) -> int:
    """Copy the photos the units listed and sent (kept in the archive) into a folder beside the city workbook,
    under names safe for any file system; link them."""
    from ..errors import OutputError
    from .archive import sha256_of
    from .intake import safe_name

    folder_name = PHOTO_FOLDER.format(month=city.month)
    copied = 0
    for photo in city.photos:
        name = photo.get("file") or ""
        source = photos.get(name)
        if source is None:
            continue
        relative = Path(folder_name) / photo["unit_code"] / safe_name(name)
        target = output.parent / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or sha256_of(target) != sha256_of(source):
                tmp = target.with_name(f".~kexie-{target.name}")
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(
                f"图片无法复制到「{target.parent}」（{exc.strerror or exc}）；请检查磁盘空间和写入权限，全市月报未改写。"
            ) from None
        photo["link"] = relative.as_posix()
        copied += 1
    return copied
