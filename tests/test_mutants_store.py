"""The store at its edges (issue #19), directly: what a run keeps and gives back, the version-1 migration, one run
at a time, the backup copies, and one Chinese sentence for every way a store can be unusable."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kexie_xl.consolidate.store import (
    DATE_COLUMNS,
    ROW_TABLES,
    SCHEMA_VERSION,
    Store,
    _explain,
    backup_store,
    store_lock,
    store_row,
    store_rows,
)
from kexie_xl.errors import Busy, StoreError
from kexie_xl.schema import city as C

FACTS = {
    "unit": "500101",
    "unit_name": "万州区科协",
    "month": "2026-11",
    "report_date": "2026-11-20",
    "template_version": "2026.1",
    "readable": True,
    "errors": 2,
    "warnings": 1,
    "findings": [{"code": "cell.required", "message": "缺「活动名称」"}],
}


def _activity(n: int, day: object, teams: str | None = "T01", activity_id: str | None = "") -> dict:
    return {"activity_id": activity_id if activity_id != "" else f"A-{n}", "date": day, "team_ids": teams, "name": f"活动{n}"}


def _store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.sqlite")


def test_a_submission_and_its_rows_come_back_typed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows = {
        "activities": [
            store_row(_activity(1, date(2026, 11, 5)), 9, "activities"),
            store_row(_activity(2, "2026年11月"), 4, "activities"),  # a date the unit wrote as text stays text
        ]
    }
    with store.write():
        sid = store.add_submission("a" * 64, FACTS, rows)
    assert store.submission_id("a" * 64) == sid and store.submission_id("b" * 64) is None
    sub = store.submission(sid)
    assert (sub["unit"], sub["unit_name"], sub["month"], sub["readable"], sub["errors"], sub["warnings"]) == (
        "500101",
        "万州区科协",
        "2026-11",
        1,
        2,
        1,
    )
    assert sub["report_date"] == "2026-11-20" and sub["template_version"] == "2026.1"
    assert '"缺「活动名称」"' in sub["findings"]  # kept readable, not as \\u escapes
    text, row = store.rows("activities", [sid])  # in the order of their rows
    assert (row["row"], row["activity_id"], row["date"], row["submission_id"]) == (9, "A-1", date(2026, 11, 5), sid)
    assert (text["row"], text["activity_id"], text["date"]) == (4, "A-2", "2026年11月")
    assert list(row) == ["submission_id", *ROW_TABLES["activities"]]
    assert store.rows("activities", [sid], columns=("row", "date")) == [  # only those columns, typed alike
        {"submission_id": sid, "row": 4, "date": "2026年11月"},
        {"submission_id": sid, "row": 9, "date": date(2026, 11, 5)},
    ]
    with pytest.raises(ValueError, match="no column"):
        store.rows("activities", [sid], columns=("row", "x; DROP TABLE activities"))
    assert store.rows("activities", []) == [] and store.rows("teams", [sid]) == []
    store.close()


def test_store_rows_keep_the_schemas_column_order_and_dates_as_text() -> None:
    values = {"date": date(2026, 11, 5), "activity_id": "A-1", "hours": 2.5, "remark": datetime(2026, 11, 5, 8, 30)}
    row = store_row(values, 7, "activities")
    columns = ROW_TABLES["activities"]
    assert row[0] == 7 and len(row) == len(columns) and columns[0] == "row"
    assert row[columns.index("date")] == "2026-11-05" and row[columns.index("hours")] == 2.5
    assert row[columns.index("remark")] == "2026-11-05T08:30:00" and row[columns.index("name")] is None
    assert {"date", "founded", "dissolved"} <= DATE_COLUMNS and "name" not in DATE_COLUMNS

    class Day(date):  # a date of some subclass (another reader's) is still stored as its ISO text
        pass

    assert store_row({"date": Day(2026, 11, 6), "volunteers": True}, 8, "activities")[columns.index("date")] == "2026-11-06"
    assert store_row({"hours": Decimal("2.5")}, 9, "activities")[columns.index("hours")] == Decimal("2.5")  # as it is


def test_many_store_rows_at_once_convert_only_what_is_not_plain() -> None:
    columns = ROW_TABLES["activities"]
    at = columns.index
    records = [
        (2, {"activity_id": "A-1", "date": date(2026, 11, 5), "volunteers": 3, "hours": 2.5, "remark": None}),
        (3, {"activity_id": "A-2", "date": None, "volunteers": True, "remark": datetime(2026, 11, 6, 9, 0)}),
        (5, {"activity_id": "A-3", "date": date(2026, 11, 7), "hours": Decimal("1.5")}),
    ]
    rows = store_rows(records, "activities")
    assert [r[0] for r in rows] == [2, 3, 5] and all(len(r) == len(columns) for r in rows)
    assert [r[at("date")] for r in rows] == ["2026-11-05", None, "2026-11-07"]
    assert [r[at("remark")] for r in rows] == [None, "2026-11-06T09:00:00", None]
    assert [r[at("hours")] for r in rows] == [2.5, None, Decimal("1.5")]  # a column with an odd value keeps the rest
    assert [r[at("volunteers")] for r in rows] == [3, True, None] and [r[at("name")] for r in rows] == [None] * 3
    plain = store_rows([(7, {"activity_id": "A-9", "volunteers": 4})], "activities")
    assert plain == [(7, "A-9", *[4 if c == "volunteers" else None for c in columns[2:]])]
    assert store_rows([], "teams") == []


def test_activities_of_a_month_by_their_date_and_the_year_ledger(tmp_path: Path) -> None:
    store = _store(tmp_path)
    acts = [
        _activity(1, date(2026, 11, 5)),
        _activity(2, date(2026, 10, 31)),
        _activity(3, "2026年11月", activity_id=None),  # a date that could not be read stays text
        _activity(4, date(2026, 11, 6), teams=None),
        _activity(5, date(2026, 11, 7), activity_id=None),
    ]
    with store.write():
        sid = store.add_submission(
            "a" * 64, FACTS, {"activities": [store_row(a, n, "activities") for n, a in enumerate(acts, 2)]}
        )
    assert [r["activity_id"] for r in store.rows("activities", [sid], date_prefix="2026-11")] == ["A-1", "A-4", None]
    assert [r["row"] for r in store.rows("activities", [sid], date_prefix="2026-11")] == [2, 5, 6]
    assert store.ledger_counts("2026-01", "2026-11") == []  # nothing adopted yet
    with store.write():
        store.decide(store.record_input("2026-11", "a.xlsx", "文件夹", "2026-11-20T09:00", "a" * 64, None, sid), "采用", "")
    # undated (text) and team-less rows are left out; the rest grouped by the month of their date and their teams
    assert store.ledger_counts("2026-01", "2026-11") == [("500101", "2026-10", "T01", 1), ("500101", "2026-11", "T01", 2)]
    assert store.ledger_counts("2026-01", "2026-10") == []  # the report was adopted for November
    assert store.rows("activities", [sid])[2]["date"] == "2026年11月"
    store.close()


def _adopt(store: Store, month: str, sha: str, acts: list[dict], status: str = "采用", unit: str = "500101") -> int:
    with store.write():
        sid = store.add_submission(
            sha,
            {**FACTS, "unit": unit, "month": month},
            {"activities": [store_row(a, n, "activities") for n, a in enumerate(acts, 2)]},
        )
        store.decide(store.record_input(month, f"{sha[:4]}.xlsx", "文件夹", f"{month}-20T09:00", sha, None, sid), status, "")
    return sid


def test_the_year_ledger_counts_an_activity_once_as_the_latest_adopted_report_has_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    # October: A-1 in October for T01, A-2 in September; a row without an id is keyed by its row (row 4)
    _adopt(
        store,
        "2026-10",
        "a" * 64,
        [_activity(1, date(2026, 10, 3)), _activity(2, date(2026, 9, 9)), _activity(0, date(2026, 10, 9), activity_id=None)],
    )
    # November: A-1 moved to November and to T02; A-2 listed twice (the last row wins: T03); the same row 4
    _adopt(
        store,
        "2026-11",
        "b" * 64,
        [
            _activity(1, date(2026, 11, 2), teams="T02"),
            _activity(2, date(2026, 9, 9)),
            _activity(0, date(2026, 10, 9), activity_id=None),
            _activity(2, date(2026, 9, 10), teams="T03"),
        ],
    )
    _adopt(store, "2026-11", "c" * 64, [_activity(9, date(2026, 11, 9))], status="被替代")  # not adopted: not counted
    _adopt(store, "2026-11", "d" * 64, [_activity(1, date(2026, 11, 2))], unit="500102")  # another unit's A-1
    assert store.ledger_counts("2026-01", "2026-11") == [
        ("500101", "2026-09", "T03", 1),
        ("500101", "2026-10", "T01", 1),
        ("500101", "2026-11", "T02", 1),
        ("500102", "2026-11", "T01", 1),
    ]
    # as of October only the October report counts
    assert store.ledger_counts("2026-01", "2026-10") == [
        ("500101", "2026-09", "T01", 1),
        ("500101", "2026-10", "T01", 2),
    ]
    store.close()


def _kept(store: Store) -> dict[str, str]:
    found = store.db.execute("SELECT unit, picked FROM ledger_counts WHERE first = '2026-01' AND last = '2026-11'")
    return dict(found.fetchall())


def test_the_year_ledger_is_kept_per_unit_and_counted_again_only_where_a_report_changed(tmp_path: Path) -> None:
    """#17: a re-run after one unit resubmits counts that unit's ledger only; what is kept is exactly what counting
    afresh gives (checked against a store that keeps nothing: the same reports in a new file)."""
    store = _store(tmp_path)
    _adopt(store, "2026-10", "a" * 64, [_activity(1, date(2026, 10, 3)), _activity(2, date(2026, 10, 9))])
    _adopt(store, "2026-11", "b" * 64, [_activity(1, date(2026, 11, 3))], unit="500102")
    first = store.ledger_counts("2026-01", "2026-11")
    kept = _kept(store)
    assert first == [("500101", "2026-10", "T01", 2), ("500102", "2026-11", "T01", 1)]
    assert set(kept) == {"500101", "500102"}
    # what is kept is what is given back: spoil one unit's kept counts, and they come back spoiled
    store.db.execute("UPDATE ledger_counts SET counts = '[[\"2026-10\", \"T09\", 7]]' WHERE unit = '500102'")
    assert store.ledger_counts("2026-01", "2026-11")[-1] == ("500102", "2026-10", "T09", 7)
    # 500101's November report comes in (A-2 moved, A-3 new): its counts change, 500102's kept entry is not touched
    _adopt(store, "2026-11", "c" * 64, [_activity(2, date(2026, 11, 1)), _activity(3, date(2026, 11, 2))])
    again = store.ledger_counts("2026-01", "2026-11")
    assert again[:3] == [("500101", "2026-10", "T01", 1), ("500101", "2026-11", "T01", 2), ("500102", "2026-10", "T09", 7)]
    assert _kept(store)["500101"] != kept["500101"] and _kept(store)["500102"] == kept["500102"]
    # a month asked for again over another range is its own entry
    assert store.ledger_counts("2026-01", "2026-10") == [("500101", "2026-10", "T01", 2)]
    assert store.db.execute("SELECT count(*) FROM ledger_counts").fetchone()[0] == 3
    store.close()


def test_kept_ledgers_are_counted_again_when_the_counting_changes_and_reports_without_a_unit_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kexie_xl.consolidate.store as store_module

    store = _store(tmp_path)
    _adopt(store, "2026-11", "a" * 64, [_activity(1, date(2026, 11, 3))])
    _adopt(store, "2026-11", "b" * 64, [_activity(1, date(2026, 11, 4)), _activity(2, date(2026, 11, 5))], unit=None)  # type: ignore[arg-type]
    assert store.ledger_counts("2026-01", "2026-11") == [(None, "2026-11", "T01", 2), ("500101", "2026-11", "T01", 1)]
    assert set(_kept(store)) == {"500101"}  # a report without a unit is counted every time, never kept
    store.db.execute('UPDATE ledger_counts SET counts = \'[["2026-11", "T09", 7]]\'')
    assert store.ledger_counts("2026-01", "2026-11") == [(None, "2026-11", "T01", 2), ("500101", "2026-11", "T09", 7)]
    # a new version of the counting (its SQL text is part of the key) does not take the old counts
    monkeypatch.setattr(store_module, "_LEDGER_SQL", store_module._LEDGER_SQL + "\n")
    assert store.ledger_counts("2026-01", "2026-11")[-1] == ("500101", "2026-11", "T01", 1)
    store.close()


def test_units_counted_again_are_asked_for_in_chunks_and_inside_an_open_transaction_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kexie_xl.consolidate.store as store_module

    store = _store(tmp_path)
    for n, unit in enumerate(("500101", "500102", "500103")):
        _adopt(store, "2026-11", str(n) * 64, [_activity(k, date(2026, 11, 3)) for k in range(n + 1)], unit=unit)
    expected = [("500101", "2026-11", "T01", 1), ("500102", "2026-11", "T01", 2), ("500103", "2026-11", "T01", 3)]
    assert store.ledger_counts("2026-01", "2026-11") == expected and not store.db.in_transaction
    store.db.execute("DELETE FROM ledger_counts WHERE unit != '500102'")
    assert store.ledger_counts("2026-01", "2026-11") == expected  # two units counted again in one query
    store.db.execute("DELETE FROM ledger_counts WHERE unit != '500102'")
    monkeypatch.setattr(store_module, "_UNITS_PER_QUERY", 1)  # two units to count again: two queries
    with store.write():
        assert store.ledger_counts("2026-01", "2026-11") == expected
        assert store.db.in_transaction  # the caller's transaction is left open
    assert set(_kept(store)) == {"500101", "500102", "500103"}
    store.close()


def test_the_year_ledger_counted_beside_is_the_same_and_kept_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """merge_month counts the year ledger on a second connection while it compares months: the same counts, kept
    only when the caller asks for them (nothing written meanwhile); inside the caller's transaction, or when no
    second connection can be opened, the caller's connection counts."""
    import logging
    import threading

    store = _store(tmp_path)
    _adopt(store, "2026-10", "a" * 64, [_activity(1, date(2026, 10, 3)), _activity(2, date(2026, 10, 9))])
    _adopt(store, "2026-11", "b" * 64, [_activity(1, date(2026, 11, 3))], unit="500102")
    expected = [("500101", "2026-10", "T01", 2), ("500102", "2026-11", "T01", 1)]
    counted_by: list[tuple[str, bool]] = []  # (thread, on the caller's own connection)
    parts = Store._ledger_parts

    def spy(self: Store, first: str, last: str) -> object:
        counted_by.append((threading.current_thread().name, self is store))
        return parts(self, first, last)

    monkeypatch.setattr(Store, "_ledger_parts", spy)
    started = threading.active_count()
    done = store.ledger_counts_beside("2026-01", "2026-11")
    assert _kept(store) == {}  # the thread writes nothing: the counts are kept when the caller asks
    assert done() == expected and threading.active_count() <= started
    assert counted_by == [("kexie-ledger-counts", False)]  # in its own thread, on a connection of its own
    assert set(_kept(store)) == {"500101", "500102"}
    store.db.execute("UPDATE ledger_counts SET counts = '[[\"2026-10\", \"T09\", 7]]' WHERE unit = '500102'")
    assert store.ledger_counts_beside("2026-01", "2026-11")()[-1] == ("500102", "2026-10", "T09", 7)  # kept ones read
    with store.write():  # a report not committed yet: only this connection sees it
        sid = store.add_submission("c" * 64, {**FACTS, "unit": "500103", "month": "2026-11"}, {"activities": []})
        store.decide(store.record_input("2026-11", "c.xlsx", "文件夹", "2026-11-20T09:00", "c" * 64, None, sid), "采用", "")
        counted = store.ledger_counts_beside("2026-01", "2026-11")()
    assert counted == [expected[0], ("500102", "2026-10", "T09", 7)]  # 500103's report lists no activity
    assert "500103" in _kept(store)  # counted on this connection: the uncommitted report was seen
    assert counted_by[-1] == (threading.main_thread().name, True)
    monkeypatch.setattr(Store, "reader", classmethod(lambda cls, path: (_ for _ in ()).throw(StoreError("不能再打开"))))
    store.db.execute("DELETE FROM ledger_counts")
    counted_by.clear()
    with caplog.at_level(logging.INFO, logger="kexie_xl"):
        assert store.ledger_counts_beside("2026-01", "2026-11")() == expected
    assert counted_by == [(threading.main_thread().name, True)]  # no second connection: counted by the caller's
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("kexie_xl", "year ledger not counted beside (不能再打开): counted in turn")
    ]
    assert set(_kept(store)) == {"500101", "500102", "500103"}
    store.close()


def test_a_store_that_cannot_keep_the_ledger_still_counts_it(tmp_path: Path) -> None:
    """A read-only store, or one without the table (made by an older kexie_xl), counts without keeping."""
    store = _store(tmp_path)
    _adopt(store, "2026-11", "a" * 64, [_activity(1, date(2026, 11, 3))])
    assert store.ledger_counts("2026-01", "2026-11") == [("500101", "2026-11", "T01", 1)]
    store.close()
    reader = Store.reader(tmp_path / "s.sqlite")
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute("DELETE FROM ledger_counts")
    assert reader.ledger_counts("2026-01", "2026-11") == [("500101", "2026-11", "T01", 1)]
    assert reader.db.execute("SELECT count(*) FROM ledger_counts").fetchone()[0] == 0  # read-only: nothing kept
    reader.close()
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute("DROP TABLE ledger_counts")
    reader = Store.reader(tmp_path / "s.sqlite")
    assert reader.ledger_counts("2026-01", "2026-11") == [("500101", "2026-11", "T01", 1)]
    reader.close()


def test_inputs_the_same_file_again_is_the_same_row_with_the_newer_time(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.write():
        first = store.record_input("2026-11", "a.xlsx", "文件夹", "2026-11-20T09:00:00+08:00", "a" * 64, None, None)
        again = store.record_input(
            "2026-11", "a.xlsx", "文件夹", "2026-11-19T09:00:00+08:00", "a" * 64, "x@y.cn", None, "补", C.BY_GIVEN
        )
        other = store.record_input("2026-11", "b.xlsx", "文件夹", "2026-11-18T09:00:00+08:00", "b" * 64, None, None)
        store.record_input("2026-10", "c.xlsx", "文件夹", "2026-10-18T09:00:00+08:00", "c" * 64, None, None)
        store.decide(first, C.ADOPTED, "最后收到的版本")
    assert first == again != other
    rows = store.inputs("2026-11")
    assert [(r["name"], r["received"][:10], r["received_by"], r["note"]) for r in rows] == [
        ("b.xlsx", "2026-11-18", "", ""),
        ("a.xlsx", "2026-11-19", C.BY_GIVEN, "补"),
    ]
    assert (rows[1]["status"], rows[1]["reason"], rows[1]["sender"]) == (C.ADOPTED, "最后收到的版本", None)
    store.close()


def test_only_adopted_submissions_of_the_months_asked_count_in_the_ledger(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.write():
        sid = store.add_submission("a" * 64, FACTS, {"activities": [store_row(_activity(1, date(2026, 10, 5)), 2, "activities")]})
        for month, name, status in (("2026-11", "a", C.ADOPTED), ("2026-11", "b", C.SUPERSEDED), ("2026-10", "c", C.ADOPTED)):
            row = store.record_input(month, name, "文件夹", f"{month}-20T09:00:00+08:00", name * 64, None, sid)
            store.decide(row, status, "")
    # adopted in October and in November: one activity, counted once
    assert store.ledger_counts("2026-10", "2026-11") == [("500101", "2026-10", "T01", 1)]
    assert store.ledger_counts("2026-11", "2026-11") == [("500101", "2026-10", "T01", 1)]
    assert store.ledger_counts("2026-09", "2026-09") == []  # nothing adopted that month
    assert len(store.fingerprint()) == 5 and store.fingerprint() == store.fingerprint()  # 1 submission, 3 inputs, 1 row
    store.close()


def test_a_failed_write_is_rolled_back(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(StoreError), store.write():
        store.add_submission("a" * 64, FACTS, {})
        store.add_submission("a" * 64, FACTS, {})  # the same content twice: UNIQUE
    with pytest.raises(KeyError), store.write():
        store.add_submission("b" * 64, FACTS, {})
        raise KeyError("boom")
    assert store.fingerprint() == []
    store.close()


# Opening: versions, other files, migration


def test_a_new_store_has_the_current_version_and_opens_again(tmp_path: Path) -> None:
    _store(tmp_path).close()
    store = _store(tmp_path)
    meta = dict(store.db.execute("SELECT key, value FROM meta").fetchall())
    assert meta == {"schema_version": str(SCHEMA_VERSION)} and SCHEMA_VERSION == 2
    assert {r[1] for r in store.db.execute('PRAGMA table_info("inputs")')} >= {"received_by", "note"}
    store.close()


def test_stores_that_are_not_ours_or_newer_are_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="是别的 SQLite 数据库"):
        Store(other)
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"库版本 3.*只支持到版本 2"):
        Store(newer)
    odd = tmp_path / "odd.sqlite"
    Store(odd).close()
    with sqlite3.connect(odd) as db:
        db.execute("UPDATE meta SET value = 'two' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="版本标记「two」无法识别"):
        Store(odd)
    text = tmp_path / "notes.sqlite"
    text.write_bytes(b"hello, this is not a database" * 100)
    with pytest.raises(StoreError, match="不是 SQLite 数据库文件"):
        Store(text)
    assert text.read_bytes().startswith(b"hello")


def test_a_version_1_store_is_migrated_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    with store.write():
        sid = store.add_submission("a" * 64, FACTS, {})
        mail = store.record_input("2026-11", "a.xlsx", "邮件 a@b.cn", "2026-11-20T09:00:00+08:00", "a" * 64, "a@b.cn", sid)
        store.decide(mail, C.ADOPTED, "")
        store.record_input("2026-11", "b.xlsx", "文件夹", "2026-11-21T09:00:00+08:00", "b" * 64, None, None)
    store.close()
    kept_file = tmp_path / "in" / "b.xlsx"
    kept_file.parent.mkdir()
    kept_file.write_bytes(b"x")
    with sqlite3.connect(path) as db:  # the version-1 layout: inputs point at paths; no received_by, no note
        db.execute("ALTER TABLE inputs RENAME TO new_inputs")
        db.execute(
            "CREATE TABLE inputs AS SELECT id, month, name, source, received, sha256, sender, submission_id, status, "
            "reason, NULL AS path FROM new_inputs"
        )
        db.execute("DROP TABLE new_inputs")
        db.execute("UPDATE inputs SET path = ? WHERE name = 'b.xlsx'", (str(kept_file),))
        db.execute("UPDATE inputs SET path = ? WHERE name = 'a.xlsx'", (str(tmp_path / "gone.xlsx"),))
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    kept: list[Path] = []
    store = Store(path, keep_file=kept.append)
    assert kept == [kept_file]
    rows = {r["name"]: r for r in store.inputs("2026-11")}
    assert (rows["a.xlsx"]["received_by"], rows["b.xlsx"]["received_by"]) == (C.BY_MAIL_DATE, C.BY_FILE_TIME)
    assert (rows["a.xlsx"]["status"], rows["a.xlsx"]["submission_id"], rows["b.xlsx"]["note"]) == (C.ADOPTED, sid, "")
    assert "path" not in dict(rows["a.xlsx"])
    meta = dict(store.db.execute("SELECT key, value FROM meta").fetchall())
    assert meta == {"schema_version": "2", "migrated_from": "1"}
    store.close()
    backup = tmp_path / "s.v1-备份.sqlite"
    assert backup.exists() and sqlite3.connect(backup).execute("SELECT value FROM meta").fetchone() == ("1",)


def test_backups_never_overwrite_an_earlier_one(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    names = [backup_store(path, "v1").name for _ in range(3)]
    assert names == ["s.v1-备份.sqlite", "s.v1-备份2.sqlite", "s.v1-备份3.sqlite"]


# One run at a time


def test_a_second_run_waits_then_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    said: list[str] = []
    with store_lock(path), pytest.raises(Busy, match="另一个 kexie-xl 正在使用汇总库") as err:  # noqa: SIM117
        with store_lock(path, wait=0.1, on_wait=said.append):
            pass
    assert "汇总库没有被改动" in str(err.value)
    assert said == [f"另一个 kexie-xl 正在使用汇总库「{path}」，等待它结束（最多 0 秒）…"]
    with store_lock(path, wait=0.1):  # released
        assert Path(f"{path}.lock").exists()


# Why a store cannot be used, in one sentence


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("file is not a database", "不是 SQLite 数据库文件"),
        ("file is encrypted or is not a database", "不是 SQLite 数据库文件"),
        ("database disk image is malformed", "已损坏"),
        ("attempt to write a readonly database", "只读、没有权限"),
        ("unable to open database file", "只读、没有权限"),
        ("Permission denied", "只读、没有权限"),
        ("database or disk is full", "磁盘空间不足"),
        ("No space left on device", "磁盘空间不足"),
        ("database is locked", "正被另一个程序使用"),
        ("database table is busy", "正被另一个程序使用"),
        ("file is encrypted", "不是 SQLite 数据库文件"),
        ("database corrupt at page 3", "已损坏"),
        ("read-only file system", "请换一个可写的位置（--store 或配置 [paths] store）。"),
        ("access denied", "只读、没有权限"),
        ("something else", "无法使用（something else）"),
    ],
)
def test_every_store_problem_is_one_sentence(error: str, says: str) -> None:
    text = _explain(Path("s.sqlite"), sqlite3.OperationalError(error))
    assert says in text and "「s.sqlite」" in text


def test_rows_of_several_submissions_and_the_previous_adopted_report(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.write():
        a = store.add_submission("a" * 64, FACTS, {"teams": [store_row({"team_id": "T01"}, 2, "teams")]})
        b = store.add_submission("b" * 64, FACTS, {"teams": [store_row({"team_id": "T02"}, 2, "teams")]})
        for month, sid, received in (("2026-09", a, "09-20"), ("2026-10", a, "10-20"), ("2026-10", b, "10-21")):
            row = store.record_input(
                month, f"{month}{sid}", "文件夹", f"2026-{received}T09:00:00+08:00", f"{sid}" * 64, None, sid
            )
            store.decide(row, C.ADOPTED, "")
    assert [r["team_id"] for r in store.rows("teams", [a, b])] == ["T01", "T02"]
    assert store.previous_adopted("500101", "2026-11") == ("2026-10", b)
    assert store.previous_adopted("500101", "2026-10") == ("2026-09", a)
    assert store.previous_adopted("500101", "2026-09") is None and store.previous_adopted("500102", "2026-11") is None
    store.close()


def test_a_reader_opens_only_a_store_of_this_version_and_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    with store.write():
        store.add_submission("a" * 64, FACTS, {})
    store.close()
    reader = Store.reader(path)
    assert reader.path == path and reader.submission(1)["unit"] == "500101"
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.db.execute("DELETE FROM submissions")
    reader.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="的版本（1）与本程序（2）不同；请先用本程序汇总一次（会迁移或拒绝该库），再与它比较。"):
        Store.reader(path)
    with pytest.raises(StoreError, match=r"无法写入汇总库|无法使用"):
        Store.reader(tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()


def test_a_store_in_new_folders_and_columns_added_back(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "s.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE inputs DROP COLUMN received_by")
        db.execute('ALTER TABLE "activities" DROP COLUMN "remark"')
    store = Store(path)
    assert "received_by" in {r[1] for r in store.db.execute('PRAGMA table_info("inputs")')}
    assert "remark" in {r[1] for r in store.db.execute('PRAGMA table_info("activities")')}
    store.close()


def test_a_store_without_a_version_is_a_version_1_store(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta")
        db.execute("ALTER TABLE inputs ADD COLUMN path TEXT")
    Store(path).close()
    assert (tmp_path / "s.v1-备份.sqlite").exists()
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match=r"\[paths\] store，不要指向其他程序的数据库。"):
        Store(other)


def test_rows_staged_by_a_worker_are_stored_exactly_like_rows_in_hand(tmp_path: Path) -> None:
    from kexie_xl.consolidate.store import Staged, stage_rows, staging

    acts = [_activity(n, date(2026, 11, n)) for n in range(1, 6)] + [_activity(9, "2026年11月", teams=None)]
    rows = {  # an empty table first: the tables after it are staged all the same
        "registration": [],
        "activities": [store_row(a, n, "activities") for n, a in enumerate(acts, 2)],
        "teams": [store_row({"team_id": "T01", "name": "一支队", "founded": date(2025, 3, 1)}, 2, "teams")],
    }
    other = {"activities": [store_row(_activity(7, date(2026, 10, 1)), 2, "activities")]}
    in_hand, staged_store = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    with in_hand.write():
        in_hand.add_submission("a" * 64, FACTS, rows)
    with staging() as path:
        # three jobs in one staging file, written out of order: each submission gets only its own rows, in order
        b = stage_rows(path, "b" * 64, other)
        a = stage_rows(path, "a" * 64, rows)
        c = stage_rows(path, "c" * 64, other)
        assert a == Staged("a" * 64) and b == Staged("b" * 64)
        assert a is not None and b is not None and c is not None
        assert a.spans == {"activities": (2, 7), "teams": (1, 1)}  # after b's one row; no registration row at all
        assert b.spans == {"activities": (1, 1)} and c.spans == {"activities": (8, 8)}
        unknown = Staged("a" * 64, {"activities": None, "teams": None})  # rowids not told: found by the key
        too_wide = Staged("a" * 64, {"activities": (1, 8), "teams": (1, 1)})  # another job's rows in the span
        with staged_store.attach_staging(path), staged_store.write():
            sids = [
                staged_store.add_submission(s * 64, FACTS, staged)
                for s, staged in zip("aux", (a, unknown, too_wide), strict=True)
            ]
    assert not path.exists()  # the staging folder is removed after the run
    for sid in sids:
        for table in ("activities", "teams", "registration"):
            assert [_without_sid(r) for r in staged_store.rows(table, [sid])] == [
                _without_sid(r) for r in in_hand.rows(table, [1])
            ]
        assert [r["activity_id"] for r in staged_store.rows("activities", [sid])] == ["A-1", "A-2", "A-3", "A-4", "A-5", "A-9"]
        assert staged_store.rows("teams", [sid])[0]["founded"] == date(2025, 3, 1)
    in_hand.close()
    staged_store.close()


def test_a_column_empty_in_every_row_is_left_out_of_the_staging_insert() -> None:
    """Binding None is sqlite3's slowest parameter: a column no row fills is not bound (its cells are NULL anyway);
    a column some row fills is, and the rows keep their order."""
    from kexie_xl.consolidate.store import ROW_TABLES, _staged_insert

    names = ROW_TABLES["teams"]
    width = len(names)
    full = [tuple(f"{n}-{i}" for i in range(width)) for n in range(3)]
    sql, params = _staged_insert("teams", "job", full)
    assert sql == f'INSERT INTO "teams" VALUES (?{", ?" * width})'
    assert list(params) == [("job", *r) for r in full]
    sparse = [(2, "T01", None, "一支队", *([None] * (width - 4))), (3, "T02", None, None, *([None] * (width - 4)))]
    sql, params = _staged_insert("teams", "job", sparse)
    assert sql == f'INSERT INTO "teams" (job, "{names[0]}", "{names[1]}", "{names[3]}") VALUES (?, ?, ?, ?)'
    assert list(params) == [("job", 2, "T01", "一支队"), ("job", 3, "T02", None)]  # 一支队's column is kept whole
    uneven = [(2, "T01"), (3,)]  # never made by store_rows: the full INSERT, which refuses them
    assert _staged_insert("teams", "job", uneven)[0] == f'INSERT INTO "teams" VALUES (?{", ?" * width})'
    longer = [(None,) * width, (None,) * (width + 1)]  # a value past the table's columns is not cut off unseen
    assert _staged_insert("teams", "job", longer)[0] == f'INSERT INTO "teams" VALUES (?{", ?" * width})'
    narrow = [(2, "T01"), (3, "T02")]
    assert _staged_insert("teams", "job", narrow)[0] == f'INSERT INTO "teams" VALUES (?{", ?" * width})'


def _without_sid(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "submission_id"}


def test_rows_that_cannot_be_staged_are_handed_over_instead(tmp_path: Path) -> None:
    from kexie_xl.consolidate.store import stage_rows

    missing = tmp_path / "gone" / "rows.sqlite"  # the staging folder is not there: no table to write into
    assert stage_rows(missing, "a" * 64, {"activities": [store_row(_activity(1, date(2026, 11, 1)), 2, "activities")]}) is None
