"""Stage ⑤: the store — an embedded SQLite file that keeps every input and every checked submission.

- `inputs`: everything received for a month (name, source, received, sha256, sender) with the decision made on
  it (采用 / 被替代 / 退回 / 无法识别 / 待确认, and why). The same file seen again is the same row. Content is
  referred to by its sha256 only: the file itself is in the archive (archive.py), found through the
  configured archive root — never through a path that depends on the working folder.
- `submissions`: one per distinct content: unit, month, counts of findings, and its rows in one table per
  table sheet of the template (`activities`, `teams`, `registration`, `experience`, `photos`), whose columns
  are derived from kexie_xl/schema: a new template column is added to an existing store when it is opened.

Rows of newly checked workbooks are staged: the worker processes that check the files write their rows into a
scratch SQLite file (`staging`, `stage_rows`), and the run copies them into the store with one INSERT … SELECT per
table and submission, inside its transaction — the parent never turns 200,000 rows into Python objects and back.
Each job's rows are one run of rowids in the staging file (`Staged.spans`), copied by rowid range: no index over
the staged rows has to be built while the workers are done and one core waits.

The schema version is read on open: an older store is migrated in one transaction after a backup copy; a newer
one is refused. A file that is not a store, a damaged or read-only one, an unwritable folder or a full disk give
one Chinese message (StoreError), checked before the long work where possible.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from ..errors import Busy, StoreError
from ..schema.city import BY_FILE_TIME, BY_MAIL_DATE
from ..schema.standard import build_template
from ..schema.types import Kind, Layout

SCHEMA_VERSION = 2
LOCK_WAIT_SECONDS = 15.0


@lru_cache(maxsize=1)
def _row_tables() -> dict[str, tuple[str, ...]]:
    template = build_template(("平台",), ())
    return {s.key: ("row", *(c.key for c in s.columns)) for s in template.sheets if s.layout is Layout.TABLE}


@lru_cache(maxsize=1)
def _date_columns() -> frozenset[str]:
    template = build_template(("平台",), ())
    return frozenset(c.key for s in template.sheets if s.layout is Layout.TABLE for c in s.columns if c.kind is Kind.DATE)


ROW_TABLES = _row_tables()  # table sheet key → ("row", column keys…), from the schema
DATE_COLUMNS = _date_columns()

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, unit TEXT, unit_name TEXT, month TEXT,
    report_date TEXT, template_version TEXT, readable INTEGER NOT NULL, errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL, findings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history_findings (
    previous INTEGER NOT NULL, current INTEGER NOT NULL, months TEXT NOT NULL, fingerprint TEXT NOT NULL,
    findings TEXT NOT NULL, PRIMARY KEY (previous, current, months, fingerprint));
CREATE TABLE IF NOT EXISTS ledger_counts (
    unit TEXT NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL, picked TEXT NOT NULL, counts TEXT NOT NULL,
    PRIMARY KEY (unit, first, last));
CREATE TABLE IF NOT EXISTS inputs (
    id INTEGER PRIMARY KEY, month TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL, received TEXT NOT NULL,
    sha256 TEXT NOT NULL, sender TEXT, submission_id INTEGER REFERENCES submissions(id), status TEXT, reason TEXT,
    note TEXT NOT NULL DEFAULT '', received_by TEXT NOT NULL DEFAULT '',
    UNIQUE (month, name, source, sha256));
"""


# The year ledger's counts (Store.ledger_counts): the reports adopted in months ? .. ?, of the units that `{only}`
# names (or of every unit). Plain SQL (no JSON functions: the SQLite of an older Python may lack them).
# Counts are kept (table ledger_counts) under a digest of this text and of the reports' months and content: a stored
# report's rows never change. A migration that rewrites stored rows must empty ledger_counts.
_LEDGER_SQL = """
WITH picked AS (
    SELECT DISTINCT CAST(replace(i.month, '-', '') AS INTEGER) AS month, i.submission_id AS sid
    FROM inputs i JOIN submissions u ON u.id = i.submission_id
    WHERE i.status = '采用' AND i.month BETWEEN ? AND ? {only}),
latest AS (
    -- one row per (unit, activity): with a single max() SQLite takes the other columns from the row that has it
    -- (documented: "bare columns in an aggregate query"), i.e. the latest month (YYYYMM), then the last row —
    -- one integer, month × 2^40 + rowid (a number, not text: ~15% less time than month || printf(rowid))
    SELECT s.unit AS unit, substr(a.date, 1, 7) AS month, a.team_ids AS teams,
           max(p.month * 1099511627776 + a.rowid) AS latest
    FROM picked p JOIN activities a ON a.submission_id = p.sid JOIN submissions s ON s.id = p.sid
    WHERE a.date GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' AND substr(a.date, 6, 2) BETWEEN '01' AND '12'
      AND a.team_ids IS NOT NULL
    GROUP BY s.unit, coalesce(a.activity_id, 'row' || a.row))
SELECT unit, month, teams, count(*) FROM latest GROUP BY unit, month, teams ORDER BY unit, month, teams
"""
_UNITS_PER_QUERY = 500  # bound parameters per query stay far below SQLite's limit (999 before 3.32)


_Ledgers = dict[str | None, list[tuple[str, str, int]]]  # unit → (month, team ids, activities)


def _digest(*parts: str) -> str:
    import hashlib

    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class Store:
    """A connection to the store file, created on first use. Opening an older store migrates it;
    `keep_file` is given each file a version-1 store still pointed at, to keep it in the archive."""

    def __init__(self, path: Path, keep_file: Callable[[Path], None] | None = None):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # transactions: write()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(_explain(self.path, exc)) from None
        self.db.row_factory = sqlite3.Row
        try:
            self._open(keep_file)
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(_explain(self.path, exc)) from None
        except StoreError:
            self.db.close()
            raise

    def _open(self, keep_file: Callable[[Path], None] | None) -> None:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = self._version(tables)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"汇总库「{self.path}」由更新版本的 kexie_xl 写入（库版本 {version}），本程序只支持到版本 "
                f"{SCHEMA_VERSION}；请升级 kexie_xl 后再使用，库中数据保持不变。"
            )
        if 0 < version < SCHEMA_VERSION:
            self._migrate(version, keep_file)
        with self.write():
            for statement in _DDL.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self._row_tables()
            have = {r[1] for r in self.db.execute('PRAGMA table_info("inputs")')}
            if "received_by" not in have:  # added within version 2
                self.db.execute("ALTER TABLE inputs ADD COLUMN received_by TEXT NOT NULL DEFAULT ''")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _version(self, tables: set[str]) -> int:
        if not tables:
            return 0
        if "meta" not in tables:
            raise StoreError(
                f"「{self.path}」不是 kexie_xl 汇总库（是别的 SQLite 数据库）；请检查 --store 或配置 "
                "[paths] store，不要指向其他程序的数据库。"
            )
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            return int(row[0]) if row else 1
        except ValueError:
            raise StoreError(f"汇总库「{self.path}」的版本标记「{row[0]}」无法识别，库可能已损坏。") from None

    def _row_tables(self) -> None:
        """One table per template table sheet; columns the schema gained since are added (NULL in old rows)."""
        for table, columns in ROW_TABLES.items():
            cols = ", ".join(f'"{c}"' for c in columns)
            self.db.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (submission_id INTEGER NOT NULL, {cols})')
            self.db.execute(f'CREATE INDEX IF NOT EXISTS "{table}_sub" ON "{table}" (submission_id)')
            have = {r[1] for r in self.db.execute(f'PRAGMA table_info("{table}")')}
            for column in columns:
                if column not in have:
                    self.db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}"')

    def _migrate(self, version: int, keep_file: Callable[[Path], None] | None) -> None:
        """Version 1 → 2: inputs referred to files by a path relative to the first run's folder; keep what
        still exists in the archive, and drop the path column. A backup copy is made first."""
        backup_store(self.path, f"v{version}")
        paths = [Path(r[0]) for r in self.db.execute("SELECT DISTINCT path FROM inputs WHERE path IS NOT NULL")]
        if keep_file is not None:
            for path in paths:
                if path.is_file():
                    keep_file(path)
        with self.write():
            self.db.execute("ALTER TABLE inputs RENAME TO inputs_v1")
            self.db.execute(next(s for s in _DDL.split(";") if "TABLE IF NOT EXISTS inputs" in s))
            self.db.execute(
                "INSERT INTO inputs (id, month, name, source, received, sha256, sender, submission_id, "
                "status, reason) SELECT id, month, name, source, received, sha256, sender, submission_id, "
                "status, reason FROM inputs_v1"
            )
            self.db.execute("DROP TABLE inputs_v1")
            # what version 1 took a time from: a message's Date (else the server's time), or a file's own time
            self.db.execute(
                "UPDATE inputs SET received_by = CASE WHEN source LIKE '邮件%' THEN ? ELSE ? END", (BY_MAIL_DATE, BY_FILE_TIME)
            )
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('migrated_from', ?)", (str(version),))

    @classmethod
    def reader(cls, path: Path) -> Store:
        """An existing store opened read-only (kexie-xl validate, feedback workers): nothing is created, migrated
        or locked. A file that is not a store of this version is refused with StoreError."""
        store = cls.__new__(cls)
        store.path = Path(path)
        try:
            store.db = sqlite3.connect(f"{store.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            store.db.row_factory = sqlite3.Row
            tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = store._version(tables)
        except sqlite3.Error as exc:
            raise StoreError(_explain(store.path, exc)) from None
        if version != SCHEMA_VERSION:
            store.db.close()
            raise StoreError(
                f"汇总库「{store.path}」的版本（{version}）与本程序（{SCHEMA_VERSION}）不同；请先用本程序汇总一次"
                "（会迁移或拒绝该库），再与它比较。"
            )
        return store

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE); rolled back on any failure."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_explain(self.path, exc)) from None
        try:
            yield
            self.db.commit()
        except sqlite3.Error as exc:
            self.db.rollback()
            raise StoreError(_explain(self.path, exc)) from None
        except BaseException:
            self.db.rollback()
            raise

    # Submissions

    def submission_id(self, sha256: str) -> int | None:
        row = self.db.execute("SELECT id FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
        return row["id"] if row else None

    def add_submission(self, sha256: str, facts: dict[str, Any], rows: dict[str, list[tuple[Any, ...]]] | Staged) -> int:
        """Store one checked workbook: its facts, and its rows — as made by `store_row` (in ROW_TABLES order), or
        `Staged` by a worker in the staging file attached with `attach_staging`."""
        cur = self.db.execute(
            "INSERT INTO submissions (sha256, unit, unit_name, month, report_date, template_version, readable, "
            "errors, warnings, findings) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                sha256,
                facts.get("unit"),
                facts.get("unit_name"),
                facts.get("month"),
                facts.get("report_date"),
                facts.get("template_version"),
                int(facts["readable"]),
                facts["errors"],
                facts["warnings"],
                json.dumps(facts["findings"], ensure_ascii=False),
            ),
        )
        sid = int(cur.lastrowid or 0)
        if isinstance(rows, Staged):
            for table, columns in ROW_TABLES.items():
                if table not in rows.spans:
                    continue  # the job wrote no row there
                names = ", ".join(f'"{c}"' for c in columns)
                insert = f'INSERT INTO "{table}" (submission_id, {names}) SELECT ?, {names} FROM staged."{table}" '
                span = rows.spans[table]
                if span is None:  # its rowids unknown: every staged row of the table, by key
                    self.db.execute(insert + "WHERE job = ? ORDER BY rowid", (sid, rows.job))
                else:  # its run of rowids, and the key too: another job's row is never taken
                    self.db.execute(insert + "WHERE rowid BETWEEN ? AND ? AND job = ? ORDER BY rowid", (sid, *span, rows.job))
            return sid
        for table, records in rows.items():
            columns = ROW_TABLES[table]
            names = ", ".join(f'"{c}"' for c in columns)
            sql = f'INSERT INTO "{table}" (submission_id, {names}) VALUES (?{", ?" * len(columns)})'
            self.db.executemany(sql, ((sid, *record) for record in records))
        return sid

    def submission(self, sid: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()

    def rows(
        self, table: str, sids: Iterable[int], *, date_prefix: str | None = None, columns: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """The rows of `table` for some submissions (activities: optionally only dates starting with a prefix), with
        every column, or `submission_id` and `columns` (each a column of the table: an unknown one is an error)."""
        ids = list(sids)
        if not ids:
            return []
        picked = "*"
        if columns is not None:
            wanted = ["submission_id", *columns]
            unknown = set(wanted) - {"submission_id", *ROW_TABLES[table]}
            if unknown:
                raise ValueError(f"no column {sorted(unknown)} in {table}")
            picked = ", ".join(f'"{c}"' for c in wanted)
        marks = ",".join("?" * len(ids))
        where, args = f"submission_id IN ({marks})", list[object](ids)
        if date_prefix is not None:
            where += " AND date LIKE ?"
            args.append(date_prefix + "%")
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples, made into dicts here: ~2× faster than dict(sqlite3.Row) per row
        found = cursor.execute(f'SELECT {picked} FROM "{table}" WHERE {where} ORDER BY submission_id, row', args).fetchall()
        names = [d[0] for d in cursor.description]
        out = [dict(zip(names, r, strict=True)) for r in found]
        for key in DATE_COLUMNS.intersection(names):  # dates back from ISO text (an unparsable one stays text)
            for row in out:
                if isinstance(value := row[key], str):
                    with suppress(ValueError):
                        row[key] = date.fromisoformat(value)
        return out

    def ledger_counts(self, first: str, last: str) -> list[tuple[str, str, str, int]]:
        """The year's ledger of every unit, from the reports adopted in months `first`..`last` ("YYYY-MM"), grouped:
        (unit, month of the activity's date "YYYY-MM", team ids, number of activities). An activity (by its id, else
        by its row) counts once, as the latest month's report has it (the last row, within one report); undated or
        team-less rows are left out. Grouping by month is exact for every figure taken from it — quarters and the
        month's end are month-aligned — and keeps a year of 200 units' ledgers to a few thousand rows, counted by
        SQLite instead of row by row in Python.

        A unit's counts are kept in the store under what they were counted from (its adopted reports by month and
        content hash, and this query's text): a re-run after one unit resubmits counts that unit's ledger only."""
        return self._ledgers_done(first, last, self._ledger_parts(first, last))

    def ledger_counts_beside(self, first: str, last: str) -> Callable[[], list[tuple[str, str, str, int]]]:
        """`ledger_counts`, counted in a thread on a read-only connection of its own while the caller goes on (SQLite
        counts without Python's lock: a new month's year of reports takes seconds, beside the cross-month
        comparison); the function returned waits and gives the same result. Nothing is written meanwhile: the
        counts are kept by the caller's connection when it asks, so the caller's own writes (kept findings) are
        best made after that too. If the thread cannot count (no second connection), the caller counts; inside a
        transaction of the caller's, the caller counts too (a second connection would not see its changes)."""
        import threading

        if self.db.in_transaction:  # another connection would not see what this one has not committed
            return lambda: self.ledger_counts(first, last)
        box: dict[str, Any] = {}

        def count() -> None:
            try:
                reader = Store.reader(self.path)
                try:
                    box["parts"] = reader._ledger_parts(first, last)
                finally:
                    reader.close()
            except Exception as exc:  # any failure: counted again by the caller's connection, in `done`
                import logging

                logging.getLogger("kexie_xl").info("year ledger not counted beside (%s): counted in turn", exc)

        thread = threading.Thread(target=count, name="kexie-ledger-counts", daemon=True)
        thread.start()

        def done() -> list[tuple[str, str, str, int]]:
            thread.join()
            parts = box.get("parts") or self._ledger_parts(first, last)
            return self._ledgers_done(first, last, parts)

        return done

    def _ledger_parts(self, first: str, last: str) -> tuple[dict[str | None, str], _Ledgers, _Ledgers]:
        """(digest per unit, counts kept under that digest, counts made now for the other units) — one snapshot of
        the store, so what is counted is what the digests say, even while another run adopts reports."""
        with self._snapshot():
            picked: dict[str | None, list[tuple[str, int, str]]] = {}
            for unit, month, sid, sha in self.db.execute(
                "SELECT DISTINCT s.unit, i.month, s.id, s.sha256 FROM inputs i JOIN submissions s ON s.id = i.submission_id "
                "WHERE i.status = '采用' AND i.month BETWEEN ? AND ? ORDER BY s.unit, i.month, s.id",
                (first, last),
            ):
                picked.setdefault(unit, []).append((month, sid, sha))
            digests = {unit: _digest(_LEDGER_SQL, *(f"{m}:{h}" for m, _sid, h in reports)) for unit, reports in picked.items()}
            kept = self._kept_ledgers(first, last, digests)
            fresh = [unit for unit in picked if unit not in kept]
            counted: _Ledgers = {unit: [] for unit in fresh}
            if len(fresh) == len(picked):  # nothing kept (a first run): every unit in one query
                self._count_ledgers(first, last, "", [], counted)
            else:
                named = [u for u in fresh if u is not None]
                if None in counted:
                    self._count_ledgers(first, last, "AND u.unit IS NULL", [], counted)
                for at in range(0, len(named), _UNITS_PER_QUERY):
                    chunk = named[at : at + _UNITS_PER_QUERY]
                    self._count_ledgers(first, last, f"AND u.unit IN ({', '.join('?' * len(chunk))})", chunk, counted)
        return digests, kept, counted

    def _ledgers_done(
        self, first: str, last: str, parts: tuple[dict[str | None, str], _Ledgers, _Ledgers]
    ) -> list[tuple[str, str, str, int]]:
        """Keep the counts made now (under their units' digests) and give every unit's, sorted."""
        digests, kept, counted = parts
        if counted:
            self._keep_ledgers([(u, first, last, digests[u], json.dumps(c)) for u, c in counted.items() if u is not None])
        everything = {**kept, **counted}
        units = sorted(everything, key=lambda u: u or "")  # a report without a unit (None) sorts first, as in SQL
        return [(cast(str, u), m, t, n) for u in units for m, t, n in everything[u]]

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads as one (a read transaction), unless a transaction is open already."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            if self.db.in_transaction:  # an error may have ended it already: then its own message stands
                self.db.execute("COMMIT")

    def _count_ledgers(self, first: str, last: str, only: str, units: list[str], into: _Ledgers) -> None:
        for unit, month, teams, n in self.db.execute(_LEDGER_SQL.format(only=only), (first, last, *units)):
            into[unit].append((month, teams, n))

    def _kept_ledgers(self, first: str, last: str, digests: dict[str | None, str]) -> _Ledgers:
        try:
            found = self.db.execute(
                "SELECT unit, picked, counts FROM ledger_counts WHERE first = ? AND last = ?", (first, last)
            ).fetchall()
        except sqlite3.Error:  # an older store opened read-only has no such table
            return {}
        return {u: [(m, t, n) for m, t, n in json.loads(counts)] for u, d, counts in found if digests.get(u) == d}

    def _keep_ledgers(self, rows: list[tuple[str, str, str, str, str]]) -> None:
        if rows:
            self._keep(lambda: self.db.executemany("INSERT OR REPLACE INTO ledger_counts VALUES (?, ?, ?, ?, ?)", rows))

    @contextmanager
    def attach_staging(self, path: Path | None) -> Iterator[None]:
        """The staging file (see `staging`) readable as `staged` for `add_submission`, outside any transaction."""
        if path is None:
            yield
            return
        try:
            self.db.execute("ATTACH DATABASE ? AS staged", (str(path),))
        except sqlite3.Error as exc:
            raise StoreError(
                f"无法读取临时文件夹中的暂存文件「{path}」（{exc}）；请检查临时文件夹的空间和权限后重试，汇总库没有改动。"
            ) from None
        try:
            yield
        finally:
            with suppress(sqlite3.Error):
                self.db.execute("DETACH DATABASE staged")

    # Kept history findings (consolidate/history.py month_histories)

    def kept_histories(self, pairs: list[tuple[int, int, str]], fingerprint: str) -> dict[tuple[int, int, str], list[dict]]:
        """The kept findings of those (previous, current, months) pairs under `fingerprint`; {} when the store has none
        (an older store opened read-only has no such table)."""
        if not pairs:
            return {}
        try:
            found = self.db.execute(
                "SELECT previous, current, months, findings FROM history_findings WHERE fingerprint = ?", (fingerprint,)
            ).fetchall()
        except sqlite3.Error:
            return {}
        wanted = set(pairs)
        return {(p, c, m): json.loads(f) for p, c, m, f in found if (p, c, m) in wanted}

    def keep_histories(self, found: list[tuple[int, int, str, list[dict]]], fingerprint: str) -> None:
        """Keep freshly computed findings — at once or not at all: a store opened read-only, or busy with another
        run, is left as it is (the findings are computed again next time); kept findings of other code or settings
        are dropped."""
        if not found:
            return
        rows = [(p, c, m, fingerprint, json.dumps(f, ensure_ascii=False)) for p, c, m, f in found]

        def insert() -> None:
            self.db.execute("DELETE FROM history_findings WHERE fingerprint != ?", (fingerprint,))
            self.db.executemany("INSERT OR REPLACE INTO history_findings VALUES (?, ?, ?, ?, ?)", rows)

        self._keep(insert)

    def _keep(self, insert: Callable[[], object]) -> None:
        """Keep what a run computed and can compute again (a cache) — at once or not at all: a store opened
        read-only, or busy with another run, is left as it is."""
        try:
            if self.db.in_transaction:
                insert()
                return
            waits = self.db.execute("PRAGMA busy_timeout").fetchone()[0]
            self.db.execute("PRAGMA busy_timeout = 0")  # never wait for another run for this
            try:
                with self.write():
                    insert()
            finally:
                self.db.execute(f"PRAGMA busy_timeout = {int(waits)}")
        except (sqlite3.Error, StoreError):
            pass

    # Inputs

    def record_input(
        self,
        month: str,
        name: str,
        source: str,
        received: str,
        sha256: str,
        sender: str | None,
        submission_id: int | None,
        note: str = "",
        received_by: str = "",
    ) -> int:
        """One input of the month (the same one again is the same row; its time and evidence are refreshed, so a
        time supplied on a later run — --received-at, a CSV — replaces a file time)."""
        self.db.execute(
            "INSERT INTO inputs (month, name, source, received, sha256, sender, submission_id, note, "
            "received_by) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (month, name, source, sha256) DO UPDATE "
            "SET received = excluded.received, received_by = excluded.received_by, note = excluded.note",
            (month, name, source, received, sha256, sender, submission_id, note, received_by),
        )
        row = self.db.execute(
            "SELECT id FROM inputs WHERE month=? AND name=? AND source=? AND sha256=?", (month, name, source, sha256)
        ).fetchone()
        return int(row["id"])

    def inputs(self, month: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM inputs WHERE month = ? ORDER BY received, name, id", (month,)).fetchall()

    def decide(self, input_id: int, status: str, reason: str) -> None:
        self.db.execute("UPDATE inputs SET status = ?, reason = ? WHERE id = ?", (status, reason, input_id))

    def previous_adopted(self, unit: str, month: str) -> tuple[str, int] | None:
        """(month, submission id) of the unit's latest adopted report of a month before `month`, if any."""
        row = self.db.execute(
            "SELECT i.month, i.submission_id FROM inputs i JOIN submissions s ON s.id = i.submission_id "
            "WHERE i.status = '采用' AND s.unit = ? AND i.month < ? ORDER BY i.month DESC, i.received DESC LIMIT 1",
            (unit, month),
        ).fetchone()
        return (row["month"], int(row["submission_id"])) if row else None

    def fingerprint(self) -> list[tuple[Any, ...]]:
        """Everything the store holds, for "a second run changes nothing" checks."""
        out: list[tuple[Any, ...]] = []
        for table in ("submissions", "inputs", *ROW_TABLES):
            out += [tuple(r) for r in self.db.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2')]
        return out


@contextmanager
def store_lock(store_path: Path, wait: float = LOCK_WAIT_SECONDS, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """One run per store at a time: an OS file lock beside the store, released when the process ends (also
    when it is killed). A second run waits up to `wait` seconds, saying so, then refuses."""
    from filelock import FileLock, Timeout

    lock_path = Path(f"{store_path}.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None:
                on_wait(f"另一个 kexie-xl 正在使用汇总库「{store_path}」，等待它结束（最多 {wait:.0f} 秒）…")
            lock.acquire(timeout=wait)
    except Timeout:
        raise Busy(
            f"另一个 kexie-xl 正在使用汇总库「{store_path}」（可能是另一次汇总或收取邮件），请等它结束后再运行；"
            "汇总库没有被改动。"
        ) from None
    except OSError as exc:
        raise StoreError(_explain(store_path, exc)) from None
    try:
        yield
    finally:
        lock.release()


def backup_store(path: Path, label: str) -> Path:
    """A consistent copy of the store beside it (SQLite's backup API), never overwriting an earlier one."""
    target = path.with_name(f"{path.stem}.{label}-备份{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.{label}-备份{n}{path.suffix}")
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        copy.close()
    except sqlite3.Error as exc:
        raise StoreError(_explain(path, exc)) from None
    finally:
        source.close()
    return target


def _explain(path: Path, exc: BaseException) -> str:
    """One Chinese sentence for why the store cannot be used, and what to do."""
    text = str(exc).lower()
    if "not a database" in text or "file is encrypted" in text:
        return f"「{path}」不是 kexie_xl 汇总库（不是 SQLite 数据库文件）；请检查 --store 或配置 [paths] store。"
    if "malformed" in text or "corrupt" in text:
        return f"汇总库「{path}」已损坏；请用最近的备份替换它（或改用新的汇总库文件，重新汇总各月份），原文件保持不变。"
    if "readonly" in text or "read-only" in text or "permission" in text or "access" in text or "unable to open" in text:
        return (
            f"无法写入汇总库「{path}」：文件或所在文件夹只读、没有权限，或路径不存在；"
            "请换一个可写的位置（--store 或配置 [paths] store）。"
        )
    if "full" in text or "no space" in text:
        return f"磁盘空间不足，汇总库「{path}」没有写入（已回滚，原有数据不变）；请清理磁盘后重试。"
    if "locked" in text or "busy" in text:
        return f"汇总库「{path}」正被另一个程序使用；请等它结束后再运行。"
    return f"汇总库「{path}」无法使用（{exc}）。"


@dataclass(frozen=True)
class Staged:
    """A checked workbook's rows, written by a worker into the staging file under `job` (the content's SHA-256).

    `spans`: per table, the first and last rowid of the job's rows there (a job writes in one transaction, so its
    rows are one run of rowids): the store copies them by rowid range, without an index over 200,000 staged rows.
    A table the job wrote nothing into has no span; one whose span could not be told (None) is found by its key."""

    job: str
    spans: dict[str, tuple[int, int] | None] = field(default_factory=dict, compare=False)


@contextmanager
def staging() -> Iterator[Path | None]:
    """A scratch SQLite file for the rows of one run's newly checked workbooks, in a temporary folder on local disk
    (removed afterwards): one table per store row table, with the job's key instead of a submission id. None when
    no such file can be made (a full or unwritable temp folder): the workers then hand the rows over themselves."""
    import tempfile

    try:
        folder = tempfile.TemporaryDirectory(prefix="kexie-staging-", ignore_cleanup_errors=True)
    except OSError:
        yield None
        return
    with folder:
        path = Path(folder.name) / "rows.sqlite"
        made = True
        try:
            db = sqlite3.connect(path)
            try:
                with db:
                    for table, columns in ROW_TABLES.items():
                        cols = ", ".join(f'"{c}"' for c in columns)
                        db.execute(f'CREATE TABLE "{table}" (job TEXT NOT NULL, {cols})')
            finally:
                db.close()
        except sqlite3.Error:
            made = False
        yield path if made else None


def stage_rows(path: Path, job: str, rows: dict[str, list[tuple[Any, ...]]]) -> Staged | None:
    """Write one workbook's rows into the staging file (in a worker; workers take turns, SQLite locks the file).
    None when that is not possible — the caller then hands the rows over itself."""
    try:
        db = sqlite3.connect(path, timeout=120, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        db.execute("PRAGMA synchronous = OFF")  # a scratch file: a crashed process still leaves it consistent
        db.execute("BEGIN IMMEDIATE")  # the only writer until COMMIT: the rows written here get consecutive rowids
        spans: dict[str, tuple[int, int] | None] = {}
        try:
            for table, records in rows.items():
                if not records:
                    continue
                last = f'SELECT coalesce(max(rowid), 0) FROM "{table}"'
                (before,) = db.execute(last).fetchone()
                db.executemany(*_staged_insert(table, job, records))
                (after,) = db.execute(last).fetchone()
                spans[table] = (before + 1, after) if after - before == len(records) else None
            db.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return Staged(job, spans)


def _staged_insert(table: str, job: str, records: list[tuple[Any, ...]]) -> tuple[str, Iterable[tuple[Any, ...]]]:
    """The INSERT of one workbook's rows into the staging table, and its parameters, in the rows' order. A column
    empty in every row (remarks, report links, …) is left out: its cells are NULL all the same, and binding None
    is the slowest parameter sqlite3 binds (~0.5 µs each: it looks for an adapter) — ~25% of staging a ledger."""
    names = ROW_TABLES[table]
    try:
        columns = list(zip(*records, strict=True))
    except ValueError:  # rows of unequal length (never made here): the full INSERT, which says what is wrong
        columns = []
    kept = [i for i, column in enumerate(columns) if column.count(None) != len(column)]
    if len(kept) == len(names) or len(columns) != len(names):
        return f'INSERT INTO "{table}" VALUES (?{", ?" * len(names)})', ((job, *record) for record in records)
    listed = "".join(f', "{names[i]}"' for i in kept)
    sql = f'INSERT INTO "{table}" (job{listed}) VALUES (?{", ?" * len(kept)})'
    return sql, zip(itertools.repeat(job, len(records)), *(columns[i] for i in kept), strict=True)


def store_row(values: dict[str, Any], row: int, table: str) -> tuple[Any, ...]:
    """One row for the store, in the table's column order, dates as ISO text (done where the row is read, so a
    process pool does this work in parallel and the parent only inserts)."""
    return store_rows([(row, values)], table)[0]


def store_rows(records: Iterable[tuple[int, dict[str, Any]]], table: str) -> list[tuple[Any, ...]]:
    """`store_row` of many (row number, values) at once: each row taken in C (map of dict.get), then only the
    columns that hold anything but plain values (a date column, as a rule) converted, a column at a time."""
    keys = ROW_TABLES[table][1:]
    rows = [(row, *map(values.get, keys)) for row, values in records]
    columns = list(zip(*rows, strict=True))
    odd = [i for i, column in enumerate(columns) if not _PLAIN.issuperset(map(type, column))]
    if not odd:
        return rows
    for i in odd:
        columns[i] = tuple(v if type(v) in _PLAIN else _sql(v) for v in columns[i])
    return list(zip(*columns, strict=True))


_DATES = (date, datetime)
_PLAIN = frozenset({str, int, float, bool, type(None)})  # most cells: an exact type test, then nothing to do


def _sql(value: Any) -> Any:
    return value.isoformat() if isinstance(value, _DATES) else value
