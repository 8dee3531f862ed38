"""Boundaries of the city month (issue #19): 按时/逾期 decided by the first report and the deadline day itself,
quarter- and year-to-date figures (the quarter's first day, the month's last day, the year's edges), the
figures of the summary row and the intake decisions — on a store filled directly, without reading workbooks."""

from __future__ import annotations

from datetime import date
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from kexie_xl.config import Settings
from kexie_xl.consolidate.ledger import deadline_passed, decide, unit_from_name
from kexie_xl.consolidate.merge import deadline_status, merge_month, row_problems
from kexie_xl.consolidate.store import ROW_TABLES, Store, store_row
from kexie_xl.schema import city as C
from kexie_xl.schema.codelists import TEAM_ITEM

from .grids import context

MONTH = "2026-11"
_sha = count(1)


class Month:
    """A store with units' reports of some months, decided as a consolidation run decides them."""

    def __init__(self, path: Path, settings: Settings | None = None, strict: bool = False):
        self.store = Store(path / "store.sqlite")
        self.settings = settings or context().settings
        self.strict = strict
        registry = context().registry
        self.wz, self.fl = registry.lookup("万州区科协"), registry.lookup("涪陵区科协")
        self.units = [self.wz, self.fl]

    def report(
        self,
        unit: Any,
        received: str,
        *,
        month: str = MONTH,
        by: str = C.BY_MAIL_DATE,
        activities: list[dict[str, Any]] | None = None,
        registration: list[dict[str, Any]] | None = None,
        teams: list[dict[str, Any]] | None = None,
        errors: int = 0,
        warnings: int = 0,
        findings: list[dict[str, Any]] | None = None,
        name: str = "",
        sha: str = "",
    ) -> str:
        sha = sha or f"{next(_sha):064x}"
        name = name or f"{unit.name}_{received[:10]}.xlsx"
        tables: dict[str, list[dict[str, Any]]] = {
            "activities": activities or [],
            "registration": registration or [],
            "teams": teams or [],
        }
        facts = {
            "unit": unit.code,
            "unit_name": unit.name,
            "month": month,
            "report_date": None,
            "template_version": "2026.1",
            "readable": True,
            "errors": errors,
            "warnings": warnings,
            "findings": findings or [],
        }
        rows = {t: [store_row(v, n, t) for n, v in enumerate(tables.get(t, []), start=2)] for t in ROW_TABLES}
        with self.store.write():
            sid = self.store.submission_id(sha) or self.store.add_submission(sha, facts, rows)
            self.store.record_input(month, name, "文件夹", received, sha, None, sid, received_by=by)
        return name

    def decide(self, month: str = MONTH) -> dict[str, tuple[str, str]]:
        inputs = self.store.inputs(month)
        subs = {r["submission_id"]: self.store.submission(r["submission_id"]) for r in inputs}
        with self.store.write():
            for d in decide(inputs, subs, month, {u.code for u in self.units}, self.strict):
                self.store.decide(d.input_id, d.status, d.reason)
        return {r["name"]: (r["status"], r["reason"]) for r in self.store.inputs(month)}

    def city(self, month: str = MONTH):
        for m in sorted({r["month"] for r in self.store.db.execute("SELECT month FROM inputs")}):
            self.decide(m)
        return merge_month(self.store, self.settings, self.units, month)

    def line(self, unit: Any, month: str = MONTH):
        return next(line for line in self.city(month).units if line.unit.code == unit.code)


@pytest.fixture
def m(tmp_path: Path):
    month = Month(tmp_path)
    yield month
    month.store.close()


def act(n: int, day: date, team: str = "T01", **values: Any) -> dict[str, Any]:
    return {"activity_id": f"A-{n:03d}", "date": day, "team_ids": team, "name": f"活动{n}", "kind": "进农村", **values}


# 按时 / 逾期: the first report decides, the deadline day (23rd) is still on time


@pytest.mark.parametrize(
    ("received", "status"),
    [
        ("2026-11-22T10:00:00+08:00", C.ON_TIME),
        ("2026-11-23T23:59:00+08:00", C.ON_TIME),  # the deadline day itself
        ("2026-11-24T00:00:00+08:00", C.LATE),
    ],
)
def test_the_deadline_day_is_on_time(m: Month, received: str, status: str) -> None:
    m.report(m.wz, received)
    line = m.line(m.wz)
    assert (line.status, line.received, line.received_by) == (status, received[:16].replace("T", " "), C.BY_MAIL_DATE)


def test_deadline_passed_compares_days_in_the_senders_time() -> None:
    deadline = date(2026, 11, 23)
    assert not deadline_passed("2026-11-23T23:59:59+08:00", deadline)
    assert deadline_passed("2026-11-24T00:00:00+08:00", deadline)
    assert not deadline_passed("2026-11-22T08:00:00+08:00", deadline)


def test_the_first_report_decides_on_time_and_a_late_correction_does_not_make_it_late(m: Month) -> None:
    first = m.report(m.wz, "2026-11-20T09:00:00+08:00")
    last = m.report(m.wz, "2026-11-27T09:00:00+08:00")
    assert m.decide() == {first: (C.SUPERSEDED, f"已由更晚收到的「{last}」替代"), last: (C.ADOPTED, "最后收到的版本")}
    line = m.line(m.wz)
    assert (line.status, line.received) == (C.ON_TIME, "2026-11-20 09:00")


def test_the_first_of_several_on_time_reports_is_the_time_shown(m: Month) -> None:
    m.report(m.wz, "2026-11-10T09:00:00+08:00")
    m.report(m.wz, "2026-11-21T09:00:00+08:00")
    m.report(m.wz, "2026-11-22T09:00:00+08:00")
    assert (m.line(m.wz).status, m.line(m.wz).received) == (C.ON_TIME, "2026-11-10 09:00")


def test_late_reports_show_the_first_receipt(m: Month) -> None:
    m.report(m.wz, "2026-11-24T09:00:00+08:00")
    m.report(m.wz, "2026-11-28T09:00:00+08:00")
    line = m.line(m.wz)
    assert (line.status, line.received) == (C.LATE, "2026-11-24 09:00")


def test_a_file_time_is_no_evidence_unless_trusted(tmp_path: Path) -> None:
    m = Month(tmp_path / "a")
    m.report(m.wz, "2026-11-20T09:00:00+08:00", by=C.BY_FILE_TIME)
    m.report(m.wz, "2026-11-25T09:00:00+08:00", by=C.BY_MAIL_DATE)
    line = m.line(m.wz)
    assert (line.status, line.received, line.received_by) == (C.UNVERIFIED, "2026-11-20 09:00", C.BY_FILE_TIME)
    trusting = Settings.validated({"report": {"trust_file_times": True}})
    m2 = Month(tmp_path / "b", trusting)
    m2.report(m2.wz, "2026-11-20T09:00:00+08:00", by=C.BY_FILE_TIME)
    assert m2.line(m2.wz).status == C.ON_TIME


def test_deadline_status_on_its_own() -> None:
    deadline = date(2026, 11, 23)
    late = {"received": "2026-11-24T08:00:00+08:00", "received_by": C.BY_SERVER}
    early = {"received": "2026-11-23T08:00:00+08:00", "received_by": C.BY_UPLOAD}
    unproven = {"received": "2026-11-01T08:00:00+08:00", "received_by": None}
    assert deadline_status([early, late], deadline) == (C.ON_TIME, early)
    assert deadline_status([late, early], deadline) == (C.ON_TIME, early)
    assert deadline_status([late], deadline) == (C.LATE, late)
    assert deadline_status([unproven, late], deadline) == (C.UNVERIFIED, unproven)
    assert deadline_status([unproven], deadline, trust_file_times=True) == (C.ON_TIME, unproven)


def test_missing_and_refused_units(tmp_path: Path) -> None:
    m = Month(tmp_path, strict=True)
    m.report(m.wz, "2026-11-20T09:00:00+08:00", errors=2)
    lines = {line.unit.code: line for line in m.city().units}
    assert (lines[m.wz.code].status, lines[m.wz.code].received, lines[m.wz.code].submission) == (
        C.REJECTED,
        "2026-11-20 09:00",
        None,
    )
    assert (lines[m.fl.code].status, lines[m.fl.code].received) == (C.MISSING, "")


# Quarter- and year-to-date figures


def test_quarter_and_year_to_date_count_the_quarters_first_day_and_the_months_last(m: Month) -> None:
    m.report(
        m.wz,
        "2026-11-20T09:00:00+08:00",
        activities=[
            act(1, date(2025, 12, 31)),  # last year
            act(2, date(2026, 1, 1)),  # the year's first day
            act(3, date(2026, 9, 30)),  # the day before the quarter
            act(4, date(2026, 10, 1)),  # the quarter's first day
            act(5, date(2026, 11, 30)),  # the month's last day
            act(6, date(2026, 12, 1)),  # after the month
        ],
    )
    values = m.line(m.wz).values
    assert (values["quarter_to_date"], values["year_to_date"], values["activities"]) == (2, 4, 1)


def test_quarter_to_date_in_the_quarters_first_month(m: Month) -> None:
    m.report(
        m.wz,
        "2026-10-20T09:00:00+08:00",
        month="2026-10",
        activities=[act(1, date(2026, 9, 30)), act(2, date(2026, 10, 1)), act(3, date(2026, 10, 31)), act(4, date(2026, 11, 1))],
    )
    values = m.line(m.wz, "2026-10").values
    assert (values["quarter_to_date"], values["year_to_date"], values["activities"]) == (2, 3, 2)


def test_quarter_to_date_in_january(m: Month) -> None:
    m.report(
        m.wz,
        "2026-01-20T09:00:00+08:00",
        month="2026-01",
        activities=[act(1, date(2025, 12, 31)), act(2, date(2026, 1, 1)), act(3, date(2026, 1, 31))],
    )
    values = m.line(m.wz, "2026-01").values
    assert (values["quarter_to_date"], values["year_to_date"]) == (2, 2)


def test_year_to_date_spans_the_months_and_the_later_report_wins(m: Month) -> None:
    m.report(m.wz, "2026-10-20T09:00:00+08:00", month="2026-10", activities=[act(1, date(2026, 3, 1)), act(2, date(2026, 10, 5))])
    # November's ledger moved A-002 into November and lost A-001: A-001 still counts from October
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=[act(2, date(2026, 11, 5)), act(3, date(2026, 11, 6))])
    city = m.city()
    values = next(line for line in city.units if line.unit.code == m.wz.code).values
    assert (values["quarter_to_date"], values["year_to_date"], values["activities"]) == (2, 3, 2)
    assert dict(city.by_month)["2026-03"] == 1 and dict(city.by_month)["2026-10"] == 0
    assert dict(city.by_month)["2026-11"] == 2 and len(city.by_month) == 11


def test_a_superseded_report_does_not_count_twice(m: Month) -> None:
    m.report(m.wz, "2026-11-10T09:00:00+08:00", activities=[act(1, date(2026, 11, 5)), act(2, date(2026, 11, 6))])
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=[act(1, date(2026, 11, 5))])
    values = m.line(m.wz).values
    assert (values["activities"], values["quarter_to_date"], values["year_to_date"]) == (1, 1, 1)


# The other figures of a unit's summary row


def test_summary_figures_of_a_unit(m: Month) -> None:
    platforms = [p.name for p in m.settings.platforms]
    registration = [
        {"platform": platforms[0], "item": "科技工作者", "total": 100, "new": 3},
        {"platform": platforms[0], "item": "大学生", "total": 50, "new": 2},
        {"platform": platforms[0], "item": TEAM_ITEM, "total": 7, "new": 1},
        {"platform": platforms[1], "item": "科技工作者", "total": 30, "new": 0},
        {"platform": platforms[1], "item": TEAM_ITEM, "total": 4, "new": 2},
    ]
    activities = [
        act(1, date(2026, 11, 2), kind="进校园", volunteers=5, hours=1.25, beneficiaries=40),
        act(2, date(2026, 11, 3), kind="进校园", volunteers=7, hours=2.5, beneficiaries=60),
        act(3, date(2026, 11, 4), kind="应急科普", volunteers=None, hours=None, beneficiaries=None),
        act(4, date(2026, 10, 4), kind="进农村", volunteers=100, hours=9, beneficiaries=900),
    ]
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=activities, registration=registration, errors=3, warnings=4)
    v = m.line(m.wz).values
    assert (v["p0_vol_total"], v["p0_vol_new"], v["p0_team_total"], v["p0_team_new"]) == (150, 5, 7, 1)
    assert (v["p1_vol_total"], v["p1_vol_new"], v["p1_team_total"], v["p1_team_new"]) == (30, 0, 4, 2)
    assert (v["kind_0"], v["kind_1"], v["kind_5"], v["activities"]) == (2, 0, 1, 3)
    assert (v["volunteers"], v["hours"], v["beneficiaries"]) == (12, 3.8, 100)
    assert (v["errors"], v["warnings"]) == (3, 4)
    detail = m.city().detail
    assert [(d["activity_id"], d["unit"]) for d in detail] == [
        ("A-001", "万州区科协"),
        ("A-002", "万州区科协"),
        ("A-003", "万州区科协"),
    ]


def test_missed_and_pending_teams_per_unit(m: Month) -> None:
    teams = [
        {"team_id": "T01", "name": "一支队", "level": "支队", "founded": date(2020, 1, 1), "status": "在册"},
        {"team_id": "T02", "name": "二支队", "level": "支队", "founded": date(2020, 1, 1), "status": "在册"},
        {
            "team_id": "T03",
            "name": "三支队",
            "level": "支队",
            "founded": date(2020, 1, 1),
            "status": "撤销",
            "dissolved": date(2026, 3, 1),
        },
    ]
    activities = [act(1, date(2026, 2, 1), "T01"), act(2, date(2026, 5, 1), "T01"), act(3, date(2026, 8, 1), "T01")]
    activities += [act(4, date(2026, 11, 2), "T02")]
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=activities, teams=teams)
    city = m.city()
    v = next(line for line in city.units if line.unit.code == m.wz.code).values
    # T01: Q4 not yet (pending); T02: Q1–Q3 missed; T03 missed Q1 (dissolved in Q1), exempt after
    assert (v["missed"], v["pending"]) == (2, 1)
    assert sorted((s.team_id, s.quarter, s.status) for s in city.quarterly) == [
        ("T01", "2026Q4", "待开展"),
        ("T02", "2026Q1", "未达标"),
        ("T02", "2026Q2", "未达标"),
        ("T02", "2026Q3", "未达标"),
        ("T03", "2026Q1", "未达标"),
    ]


# Intake decisions


def test_the_latest_received_wins_and_an_identical_resend_says_so(m: Month) -> None:
    a = m.report(m.wz, "2026-11-20T09:00:00+08:00", sha="a" * 64, name="a.xlsx")
    b = m.report(m.wz, "2026-11-21T09:00:00+08:00", sha="a" * 64, name="b.xlsx")
    c = m.report(m.fl, "2026-11-21T09:00:00+08:00", name="c.xlsx")
    assert m.decide() == {
        a: (C.SUPERSEDED, "与采用的「b.xlsx」内容相同（重复发送）"),
        b: (C.ADOPTED, "最后收到的版本"),
        c: (C.ADOPTED, ""),
    }


def test_reports_of_another_month_or_unit_are_refused(tmp_path: Path) -> None:
    m = Month(tmp_path, strict=True)
    registry = context().registry
    other = registry.lookup("渝中区科协")
    a = m.report(m.wz, "2026-11-20T09:00:00+08:00", name="a.xlsx", month="2026-10")
    m.store.db.execute("UPDATE inputs SET month = ? WHERE name = 'a.xlsx'", (MONTH,))
    b = m.report(other, "2026-11-20T09:00:00+08:00", name="b.xlsx")
    c = m.report(m.fl, "2026-11-20T09:00:00+08:00", name="c.xlsx", errors=1)
    d = m.report(m.wz, "2026-11-20T09:00:00+08:00", name="d.xlsx")
    assert m.decide() == {
        a: (C.REJECTED, "报送月份为「2026-10」，不是 2026-11"),
        b: (C.REJECTED, f"「{other.name}」在 2026-11 不是应报送单位"),
        c: (C.REJECTED, "有 1 处错误（--strict：有错误的报表不采用）"),
        d: (C.ADOPTED, ""),
    }


def test_a_unit_named_in_the_file_name_the_longest_name_winning() -> None:
    registry = context().registry
    assert unit_from_name("2026-11_万州区科协_月报.xlsx", registry, 2026, 11).name == "万州区科协"
    assert unit_from_name("月报.xlsx", registry, 2026, 11) is None


def test_the_longest_unit_name_in_a_file_name_wins_and_the_first_of_equals() -> None:
    from kexie_xl.schema.units import Registry, Unit

    units = [
        Unit(code="1", name="万州"),
        Unit(code="2", name="万州区科协"),
        Unit(code="3", name="涪陵"),
        Unit(code="4", name="区"),
    ]
    registry = Registry(units=units)
    assert unit_from_name("万州区科协_11月.xlsx", registry, 2026, 11).code == "2"
    assert unit_from_name("万州_11月.xlsx", registry, 2026, 11).code == "1"  # two characters are enough
    assert unit_from_name("涪陵万州.xlsx", registry, 2026, 11).code == "1"  # equally long: the first unit listed
    assert unit_from_name("区.xlsx", registry, 2026, 11) is None  # one character is not


def test_a_line_names_its_submission_and_an_unproven_time_says_nothing(m: Month) -> None:
    m.report(m.wz, "2026-11-20T09:00:00+08:00", by="")
    line = m.line(m.wz)
    assert (line.status, line.received_by) == (C.UNVERIFIED, "")
    assert line.submission == m.store.inputs(MONTH)[0]["submission_id"] and line.submission is not None


def test_blank_figures_and_dates_that_could_not_be_read(m: Month) -> None:
    platform = m.settings.platforms[0].name
    registration = [
        {"platform": platform, "item": "科技工作者", "total": None, "new": None},
        {"platform": platform, "item": TEAM_ITEM, "total": None, "new": None},
        {"platform": platform, "item": "大学生", "total": 5, "new": 1},
    ]
    activities = [act(1, "2026-11月"), act(2, date(2026, 11, 2)), act(3, date(2025, 11, 2))]  # a date kept as text never counts
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=activities, registration=registration)
    v = m.line(m.wz).values
    assert (v["p0_vol_total"], v["p0_vol_new"], v["p0_team_total"], v["p0_team_new"]) == (5, 1, 0, 0)
    assert (v["activities"], v["quarter_to_date"], v["year_to_date"]) == (1, 1, 1)


def test_the_intake_ledger_rows(m: Month) -> None:
    a = m.report(m.wz, "2026-11-20T09:00:00+08:00", name="a.xlsx")
    b = m.report(m.wz, "2026-11-22T10:30:00+08:00", name="b.xlsx", errors=2, warnings=1)
    with m.store.write():
        other = m.store.record_input(
            MONTH, "说明.docx", "邮件 x@y.cn", "2026-11-21T08:00:00+08:00", "f" * 64, "x@y.cn", None, "附件"
        )
        m.store.decide(other, C.UNIDENTIFIED, "不是月报工作簿或图片")
        text = m.store.record_input(MONTH, "说明.txt", "文件夹", "2026-11-21T08:30:00+08:00", "e" * 64, None, None)
        m.store.decide(text, C.UNIDENTIFIED, "不是月报工作簿或图片")
    intake = {r["file"]: r for r in m.city().intake}
    assert list(intake) == [a, "说明.docx", "说明.txt", b]
    assert (intake["说明.txt"]["format"], intake["说明.txt"]["received_by"]) == ("", "")
    row = intake[b]
    assert (row["source"], row["unit"], row["unit_code"], row["month"], row["received"]) == (
        "文件夹",
        "万州区科协",
        m.wz.code,
        MONTH,
        "2026-11-22 10:30",
    )
    assert (row["status"], row["reason"], row["errors"], row["warnings"], row["format"]) == (
        C.ADOPTED,
        "最后收到的版本",
        2,
        1,
        "Excel 工作簿",
    )
    assert row["findings"] == [] and len(row["sha256"]) == 64 and row["received_by"] == C.BY_MAIL_DATE
    doc = intake["说明.docx"]
    assert (doc["unit"], doc["unit_code"], doc["month"], doc["errors"], doc["warnings"], doc["findings"]) == (
        "",
        None,
        "",
        None,
        None,
        [],
    )
    assert (doc["status"], doc["reason"], doc["format"]) == (C.UNIDENTIFIED, "不是月报工作簿或图片；附件", "Word 文档")


def test_experience_and_photos_carry_their_unit(m: Month) -> None:
    sha = f"{next(_sha):064x}"
    facts = {
        "unit": m.fl.code,
        "unit_name": m.fl.name,
        "month": MONTH,
        "readable": True,
        "errors": 0,
        "warnings": 0,
        "findings": [],
    }
    rows = {
        "experience": [store_row({"title": "订单式服务", "activity_ids": "A-1"}, 2, "experience")],
        "photos": [store_row({"file": "A-1.jpg", "activity_id": "A-1"}, 2, "photos")],
    }
    with m.store.write():
        sid = m.store.add_submission(sha, facts, rows)
        m.store.record_input(MONTH, "fl.xlsx", "文件夹", "2026-11-20T09:00:00+08:00", sha, None, sid, received_by=C.BY_GIVEN)
    city = m.city()
    assert [(e["title"], e["unit"], e["unit_code"]) for e in city.experience] == [("订单式服务", m.fl.name, m.fl.code)]
    assert [(p["file"], p["unit"], p["unit_code"]) for p in city.photos] == [("A-1.jpg", m.fl.name, m.fl.code)]
    assert city.names[m.wz.code] == "万州区科协" and (city.deadline, city.as_of) == (date(2026, 11, 23), date(2026, 11, 30))


def test_the_city_quarter_table_names_teams_rows_and_counts_branches(m: Month) -> None:
    teams = [
        {"team_id": "T01", "name": "一支队", "level": "支队", "founded": date(2020, 1, 1), "status": "在册"},
        {
            "team_id": "T01-1",
            "name": "一分队",
            "level": "分队",
            "parent_id": "T01",
            "founded": date(2020, 1, 1),
            "status": "在册",
        },
        {"team_id": None, "name": "没有编号", "level": "支队", "founded": date(2020, 1, 1)},
        {"team_id": "T02", "name": "二支队", "level": "支队", "founded": "不详", "status": "在册", "dissolved": date(2026, 1, 1)},
    ]
    activities = [act(n, date(2026, 3 * n - 1, 5), "T01-1") for n in (1, 2, 3)] + [act(9, date(2026, 11, 2), "T02")]
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=activities, teams=teams)
    city = m.city()
    assert [(s.team_id, s.team_name, s.level, s.quarter, s.status, s.row) for s in city.quarterly] == [
        ("T01", "一支队", "支队", "2026Q4", "待开展", 2),
        ("T02", "二支队", "支队", "2026Q1", "未达标", 5),
        ("T02", "二支队", "支队", "2026Q2", "未达标", 5),
        ("T02", "二支队", "支队", "2026Q3", "未达标", 5),
    ]


def test_the_city_quarters_of_two_units_and_teams_founded_late_or_unnamed(m: Month) -> None:
    wz_teams = [
        {"team_id": "T01", "name": "一支队", "level": "支队", "founded": date(2026, 8, 1), "status": "在册"},
        {"team_id": "T02", "name": None, "level": "支队", "founded": date(2020, 1, 1), "status": "撤销", "dissolved": "不详"},
    ]
    fl_teams = [{"team_id": "F01", "name": "涪陵支队", "level": "支队", "founded": date(2020, 1, 1), "status": "在册"}]
    m.report(m.wz, "2026-11-20T09:00:00+08:00", teams=wz_teams, activities=[act(1, date(2026, 8, 5), "T01")])
    m.report(m.fl, "2026-11-20T09:00:00+08:00", teams=fl_teams, activities=[act(2, date(2026, 2, 5), "F01")])
    city = m.city()
    status = {(s.unit, s.team_id, s.quarter): (s.status, s.team_name) for s in city.team_quarters}
    assert status[(m.wz.code, "T01", "2026Q2")][0] == "豁免" and status[(m.wz.code, "T01", "2026Q3")][0] == "达标"
    assert status[(m.wz.code, "T02", "2026Q1")] == ("未达标", "")  # an unreadable dissolution date: still counted
    assert status[(m.fl.code, "F01", "2026Q1")][0] == "达标" and len(city.team_quarters) == 12


def test_a_unit_reporting_but_not_listed_is_named_by_its_code(m: Month) -> None:
    sha = f"{next(_sha):064x}"
    facts = {
        "unit": m.fl.code,
        "unit_name": m.fl.name,
        "month": MONTH,
        "readable": True,
        "errors": 0,
        "warnings": 0,
        "findings": [],
    }
    with m.store.write():
        sid = m.store.add_submission(sha, facts, {"experience": [store_row({"title": "做法"}, 2, "experience")]})
        m.store.record_input(MONTH, "fl.xlsx", "文件夹", "2026-11-20T09:00:00+08:00", sha, None, sid, received_by=C.BY_GIVEN)
    m.decide()
    city = merge_month(m.store, m.settings, [m.wz], MONTH)
    assert [(e["unit"], e["unit_code"]) for e in city.experience] == [(m.fl.code, m.fl.code)]


def test_an_unreadable_report_is_refused_with_its_first_message(m: Month) -> None:
    for name, findings in (("bad.xlsx", [{"message": "文件已加密"}, {"message": "其他"}]), ("empty.xlsx", [])):
        sha = f"{next(_sha):064x}"
        facts = {
            "unit": None,
            "unit_name": None,
            "month": None,
            "readable": False,
            "errors": 1,
            "warnings": 0,
            "findings": findings,
        }
        with m.store.write():
            sid = m.store.add_submission(sha, facts, {})
            m.store.record_input(MONTH, name, "文件夹", "2026-11-20T09:00:00+08:00", sha, None, sid)
    sha = f"{next(_sha):064x}"
    facts = {
        "unit": m.wz.code,
        "unit_name": m.wz.name,
        "month": None,
        "readable": True,
        "errors": 0,
        "warnings": 0,
        "findings": [],
    }
    with m.store.write():
        sid = m.store.add_submission(sha, facts, {})
        m.store.record_input(MONTH, "nomonth.xlsx", "文件夹", "2026-11-20T09:00:00+08:00", sha, None, sid)
    assert m.decide() == {
        "bad.xlsx": (C.REJECTED, "文件已加密"),
        "empty.xlsx": (C.REJECTED, "文件无法读取"),
        "nomonth.xlsx": (C.REJECTED, "报送月份为「未填」，不是 2026-11"),
    }


def test_the_adopted_report_carries_its_cross_month_findings_in_the_ledger(m: Month, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexie_xl.consolidate import history
    from kexie_xl.findings import make

    found = [make("cell.required", sheet="注册情况", row=2, column="C"), make("cell.beneficiaries-outlier", value=9000)]
    found += [make("cell.beneficiaries-outlier", value=9001)]
    asked: list[tuple[str, str]] = []
    kept: list[str] = []

    def month_histories_to_keep(store, settings, template, adopted, month):
        asked.extend((unit, month) for unit in adopted)
        found_now = {unit: [f.to_dict() for f in found] if unit == m.wz.code else [] for unit in adopted}
        return found_now, lambda: kept.append(month)

    monkeypatch.setattr(history, "month_histories_to_keep", month_histories_to_keep)
    old = m.report(m.wz, "2026-11-19T09:00:00+08:00", name="old.xlsx", errors=1, warnings=1)
    new = m.report(m.wz, "2026-11-20T09:00:00+08:00", name="new.xlsx", errors=1, warnings=1)
    fl = m.report(m.fl, "2026-11-20T09:00:00+08:00", name="fl.xlsx")
    intake = {r["file"]: r for r in m.city().intake}
    assert sorted(asked) == [(m.wz.code, MONTH), (m.fl.code, MONTH)]
    assert kept == [MONTH] * len(kept) and kept  # what was compared is kept, once per merge
    assert (intake[new]["errors"], intake[new]["warnings"]) == (2, 3)
    assert intake[new]["reason"] == "最后收到的版本；与本单位上次采用的月报相比有 3 处跨月问题"
    assert [f["code"] for f in intake[new]["findings"]] == ["cell.required", *["cell.beneficiaries-outlier"] * 2]
    assert (intake[old]["errors"], intake[old]["warnings"], intake[old]["findings"]) == (1, 1, [])
    assert (intake[fl]["errors"], intake[fl]["reason"]) == (0, "")


def test_cross_month_findings_count_in_the_units_line(m: Month, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexie_xl.consolidate import history
    from kexie_xl.findings import make

    found = [make("cell.required", sheet="注册情况", row=2, column="C"), make("cell.beneficiaries-outlier", value=9000)]
    found += [make("cell.beneficiaries-outlier", value=9001)]
    monkeypatch.setattr(
        history,
        "month_histories_to_keep",
        lambda store, settings, template, adopted, month: (
            {u: [f.to_dict() for f in found] if u == m.wz.code else [] for u in adopted},
            lambda: None,
        ),
    )
    m.report(m.wz, "2026-11-20T09:00:00+08:00", errors=1, warnings=1)
    m.report(m.fl, "2026-11-20T09:00:00+08:00", errors=0, warnings=0)
    city = m.city()
    lines = {line.unit.code: line.values for line in city.units}
    assert (lines[m.wz.code]["errors"], lines[m.wz.code]["warnings"]) == (2, 3)
    assert (lines[m.fl.code]["errors"], lines[m.fl.code]["warnings"]) == (0, 0)
    assert [f["code"] for f in city.history[m.wz.code]] == [
        "cell.required",
        "cell.beneficiaries-outlier",
        "cell.beneficiaries-outlier",
    ]
    assert m.fl.code not in city.history


def test_detail_of_every_unit_by_date_and_row_and_the_months_so_far(m: Month) -> None:
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=[act(2, date(2026, 11, 9)), act(1, date(2026, 11, 3))])
    m.report(m.fl, "2026-11-20T09:00:00+08:00", activities=[act(7, date(2026, 11, 30)), act(8, date(2026, 12, 1))])
    city = m.city()
    assert [(d["unit"], d["activity_id"]) for d in city.detail] == [
        ("万州区科协", "A-001"),
        ("万州区科协", "A-002"),
        ("涪陵区科协", "A-007"),
    ]
    assert city.by_month[-1] == ("2026-11", 3) and [mo for mo, _n in city.by_month] == [f"2026-{n:02d}" for n in range(1, 12)]
    assert {(s.unit, s.team_id) for s in city.team_quarters} == set()  # no teams listed: nothing to judge


def test_detail_rows_say_their_own_and_their_cross_month_findings(m: Month, monkeypatch: pytest.MonkeyPatch) -> None:
    from kexie_xl.consolidate import history
    from kexie_xl.findings import make

    mine = make("cell.code-list", sheet="活动台账", row=3, column="I", label="服务阵地", value="站点X")
    other = make("cell.code-list", sheet="活动台账", row=3, column="I", label="服务阵地", value="别的单位的")
    changed = make("history.activity-changed", sheet="活动台账", row=2, activity="A-001", prev_month="2026-10", changes="类别")
    monkeypatch.setattr(
        history,
        "month_histories_to_keep",
        lambda store, settings, template, adopted, month: (
            {u: [changed.to_dict()] if u == m.wz.code else [] for u in adopted},
            lambda: None,
        ),
    )
    acts = [act(1, date(2026, 11, 3)), act(2, date(2026, 11, 9))]  # rows 2 and 3 of 活动台账
    m.report(m.wz, "2026-11-20T09:00:00+08:00", activities=acts, errors=1, findings=[mine.to_dict()])
    m.report(m.fl, "2026-11-20T09:00:00+08:00", activities=[act(7, date(2026, 11, 30))], findings=[other.to_dict()])
    detail = {(d["unit"], d["activity_id"]): d["problems"] for d in m.city().detail}
    assert detail == {
        ("万州区科协", "A-001"): f"【警告】{changed.message}",
        ("万州区科协", "A-002"): f"【错误】{mine.message}",
        ("涪陵区科协", "A-007"): "",  # its finding is on a row (3) it has no activity in
    }
    assert "「站点X」" in mine.message and "A-001" in changed.message


def _decide(inputs: list[dict], subs: dict, **kw) -> list[tuple[int, str, str]]:
    return [(d.input_id, d.status, d.reason) for d in decide(inputs, subs, MONTH, {"500101", "500102"}, False, **kw)]


def _input(n: int, sender: str | None, sid: int | None = 1, received: str = "2026-11-20T09:00:00+08:00") -> dict:
    return {"id": n, "submission_id": sid, "sender": sender, "received": received, "name": f"{n}.xlsx", "sha256": f"{n}"}


SUBS = {1: {"readable": 1, "unit": "500101", "unit_name": "万州区科协", "month": MONTH, "errors": 0, "findings": "[]"}}


def test_the_sender_decides_whether_a_mailed_workbook_is_taken() -> None:
    owners = {"wz@units.example": ("500101", "万州区科协"), "fl@units.example": ("500102", "涪陵区科协")}
    inputs = [
        _input(1, None, sid=None),  # not a workbook: decided when it was recorded
        _input(2, "wz@units.example, x@y.cn"),
        _input(3, "fl@units.example"),
        _input(4, "stranger@y.cn"),
        _input(5, "wz@units.example"),
    ]
    assert _decide(inputs, SUBS, sender_unit=owners.get, accept_unknown_senders=False) == [
        (2, C.QUARANTINED, "发件人一栏有多个地址（wz@units.example, x@y.cn），无法确定是哪个单位发送的，请确认后再汇总"),
        (3, C.REJECTED, "发件地址 fl@units.example 登记为「涪陵区科协」，但表内填报单位是「万州区科协」"),
        (4, C.QUARANTINED, "发件地址 stranger@y.cn 未在单位名录登记，请确认后登记该地址（或在配置中允许）再汇总"),
        (5, C.ADOPTED, ""),
    ]
    assert _decide([_input(4, "stranger@y.cn")], SUBS, sender_unit=owners.get) == [(4, C.ADOPTED, "")]
    assert _decide([_input(4, "stranger@y.cn")], SUBS) == [(4, C.ADOPTED, "")]


def test_a_workbook_without_a_unit_is_unidentified_and_an_unreadable_one_refused() -> None:
    subs = {
        1: {"readable": 1, "unit": None, "unit_name": None, "month": MONTH, "errors": 0, "findings": "[]"},
        2: {"readable": 0, "unit": None, "unit_name": None, "month": None, "errors": 1, "findings": "[]"},
    }
    assert _decide([_input(1, None, sid=1), _input(2, "wz@units.example", sid=2)], subs) == [
        (1, C.UNIDENTIFIED, "「填报单位」不在单位名录中，文件名中也找不到单位名称"),
        (2, C.REJECTED, "文件无法读取"),
    ]


def test_row_problems_by_sheet_name_and_row() -> None:
    found = [
        {"severity": "错误", "message": "a", "sheet": "活动台账", "row": 12},
        {"severity": "警告", "message": "b", "sheet": "活动 台账", "row": 12},  # matched as the reader matches names
        {"severity": "警告", "message": "c", "sheet": "活动台账", "row": 13},
        {"severity": "错误", "message": "d", "sheet": "服务队", "row": 12},  # another sheet's row 12
        {"severity": "错误", "message": "e", "sheet": "活动台账", "row": None},  # a header finding: no row
        {"severity": "错误", "message": "f", "sheet": "", "row": None},
        {"code": "cell.x", "sheet": "活动台账", "row": 14},  # an older or damaged store: no severity, no message
        {"severity": "错误", "message": "g", "sheet": "活动台账", "row": "abc"},  # nor a row number
        {"severity": "错误", "message": "h", "sheet": "活动台账", "row": -1},
        {"severity": "错误", "message": "i", "sheet": "活动台账", "row": 0},
        {"severity": "警告", "message": "j", "sheet": "活动台账", "row": 1},  # the header row is a row like any other
        {"sheet": "活动台账", "row": 15},  # nothing but where
    ]
    expected = {12: "【错误】a\n【警告】b", 13: "【警告】c", 14: "【问题】cell.x", 1: "【警告】j", 15: "【问题】"}
    assert row_problems(found) == expected
