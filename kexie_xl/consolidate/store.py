"""Stage ⑤: the store — an embedded SQLite file that keeps every input and every checked submission.

- `inputs`: every workbook received for a month (name, source, received, sha256) with the decision made on it
  (采用 / 被替代 / 退回 / 无法识别, and why). The same file seen again is the same row.
- `submissions`: one per distinct content (sha256): unit, month, counts of findings, and its rows in
  `activities`, `teams`, `registration`, `experience`, `photos`. Content already checked is never read again,
  which is what makes a re-run after one resubmission fast.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ROW_TABLES = {
    "activities": ("row", "activity_id", "date", "team_ids", "name", "kind", "form", "audience", "venue", "place",
                   "delivery", "mode", "key_event", "script_no", "volunteers", "hours", "beneficiaries", "photos",
                   "report_url", "remark"),
    "teams": ("row", "team_id", "name", "level", "parent_id", "town", "leader", "leader_role", "phone", "members",
              "field", "founded", "status", "dissolved", "remark"),
    "registration": ("row", "platform", "item", "total", "new", "remark"),
    "experience": ("row", "title", "text", "activity_ids"),
    "photos": ("row", "file", "activity_id", "caption"),
}
DATE_COLUMNS = {"date", "founded", "dissolved"}

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, unit TEXT, unit_name TEXT, month TEXT,
    report_date TEXT, template_version TEXT, readable INTEGER NOT NULL, errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL, findings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    id INTEGER PRIMARY KEY, month TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL, received TEXT NOT NULL,
    sha256 TEXT NOT NULL, sender TEXT, submission_id INTEGER REFERENCES submissions(id), status TEXT, reason TEXT,
    path TEXT,
    UNIQUE (month, name, source, sha256));
"""


class Store:
    """A connection to the store file, created on first use."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(_DDL)
        for table, columns in ROW_TABLES.items():
            cols = ", ".join(f'"{c}"' for c in columns)
            self.db.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (submission_id INTEGER NOT NULL, {cols})')
            self.db.execute(f'CREATE INDEX IF NOT EXISTS "{table}_sub" ON "{table}" (submission_id)')
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            yield
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    # Submissions

    def submission_id(self, sha256: str) -> int | None:
        row = self.db.execute("SELECT id FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
        return row["id"] if row else None

    def add_submission(self, sha256: str, facts: dict[str, Any], rows: dict[str, list[tuple[Any, ...]]]) -> int:
        """Store one checked workbook: its facts, and its rows as made by `store_row` (in ROW_TABLES order)."""
        cur = self.db.execute(
            "INSERT INTO submissions (sha256, unit, unit_name, month, report_date, template_version, readable, "
            "errors, warnings, findings) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (sha256, facts.get("unit"), facts.get("unit_name"), facts.get("month"), facts.get("report_date"),
             facts.get("template_version"), int(facts["readable"]), facts["errors"], facts["warnings"],
             json.dumps(facts["findings"], ensure_ascii=False)))
        sid = int(cur.lastrowid)
        for table, records in rows.items():
            columns = ROW_TABLES[table]
            sql = (f'INSERT INTO "{table}" (submission_id, {", ".join(chr(34) + c + chr(34) for c in columns)}) '
                   f'VALUES (?{", ?" * len(columns)})')
            self.db.executemany(sql, ((sid, *record) for record in records))
        return sid

    def submission(self, sid: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()

    def rows(self, table: str, sids: Iterable[int], *, date_prefix: str | None = None) -> list[dict[str, Any]]:
        """The rows of `table` for some submissions (activities: optionally only dates starting with a prefix)."""
        ids = list(sids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        where, args = f"submission_id IN ({marks})", list(ids)
        if date_prefix is not None:
            where += " AND date LIKE ?"
            args.append(date_prefix + "%")
        found = self.db.execute(f'SELECT * FROM "{table}" WHERE {where} ORDER BY submission_id, row', args).fetchall()
        return [_typed(dict(r)) for r in found]

    def dated_activities(self, sids: Iterable[int]) -> list[tuple[str, str, date, str]]:
        """(unit, activity id or row key, date, team ids) of every dated activity of some submissions — light rows
        for quarter- and year-to-date figures across months."""
        ids = list(sids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = self.db.execute(
            "SELECT s.unit, coalesce(a.activity_id, 'row' || a.row), a.date, a.team_ids FROM activities a "
            f"JOIN submissions s ON s.id = a.submission_id WHERE a.submission_id IN ({marks}) "
            "AND a.date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND a.team_ids IS NOT NULL", ids).fetchall()
        return [(u, k, date.fromisoformat(d), t) for u, k, d, t in found]

    # Inputs

    def record_input(self, month: str, name: str, source: str, received: str, sha256: str, sender: str | None,
                     submission_id: int | None, path: str | None = None) -> int:
        self.db.execute("INSERT OR IGNORE INTO inputs (month, name, source, received, sha256, sender, submission_id, "
                        "path) VALUES (?,?,?,?,?,?,?,?)",
                        (month, name, source, received, sha256, sender, submission_id, path))
        row = self.db.execute("SELECT id FROM inputs WHERE month=? AND name=? AND source=? AND sha256=?",
                              (month, name, source, sha256)).fetchone()
        return int(row["id"])

    def inputs(self, month: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM inputs WHERE month = ? ORDER BY received, name, id", (month,)).fetchall()

    def decide(self, input_id: int, status: str, reason: str) -> None:
        self.db.execute("UPDATE inputs SET status = ?, reason = ? WHERE id = ?", (status, reason, input_id))

    def adopted(self, months: Iterable[str]) -> dict[str, list[int]]:
        """Per month, the adopted submissions (one per unit)."""
        out: dict[str, list[int]] = {}
        for month in months:
            found = self.db.execute("SELECT DISTINCT submission_id FROM inputs WHERE month = ? AND status = '采用'",
                                    (month,)).fetchall()
            out[month] = [r["submission_id"] for r in found]
        return out

    def fingerprint(self) -> list[tuple[Any, ...]]:
        """Everything the store holds, for "a second run changes nothing" checks."""
        out: list[tuple[Any, ...]] = []
        for table in ("submissions", "inputs", *ROW_TABLES):
            out += [tuple(r) for r in self.db.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2')]
        return out


def store_row(values: dict[str, Any], row: int, table: str) -> tuple[Any, ...]:
    """One row for the store, in the table's column order, dates as ISO text (done where the row is read, so a
    process pool does this work in parallel and the parent only inserts)."""
    out: list[Any] = [row]
    for column in ROW_TABLES[table][1:]:
        value = values.get(column)
        out.append(value.isoformat() if isinstance(value, date) else value)
    return tuple(out)


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    for key in DATE_COLUMNS & row.keys():
        if isinstance(row[key], str):
            with suppress(ValueError):
                row[key] = date.fromisoformat(row[key])
    return row
