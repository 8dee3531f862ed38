"""Every check, with a failing case (exactly this finding, here) and the passing case (a clean workbook)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kexie_xl.api import check_workbook, validate

from .builders import AS_OF, changed, clean_filling, write

BASIC, REG, TEAMS, ACTS, EXP, PHOTOS = "基本信息", "注册情况", "服务队", "活动台账", "经验做法", "图片清单"

CASES = [
    # (id, sheet key, row index or None for a new row, changes, expected findings)
    ("required-cell", "activities", 7, {"name": None}, [("cell.required", ACTS, "D9")]),
    ("required-form-field", "basic", None, {"reporter": None}, [("cell.required", BASIC, "B4")]),
    ("code-list", "activities", 7, {"kind": "进校区"}, [("cell.code-list", ACTS, "E9")]),
    ("code-list-multi", "activities", 7, {"audience": "青少年、外星人"}, [("cell.code-list", ACTS, "G9")]),
    ("date-invalid", "activities", None, {"date": "2026.13.5", "activity_id": "A2026-009"}, [("cell.date-invalid", ACTS, "B10")]),
    (
        "date-future",
        "activities",
        None,
        {"date": date(2026, 11, 25), "activity_id": "A2026-009"},
        [("cell.date-future", ACTS, "B10")],
    ),
    (
        "date-year",
        "activities",
        None,
        {"date": date(2025, 12, 30), "activity_id": "A2026-009"},
        [("cell.date-year", ACTS, "B10")],
    ),
    ("not-integer-text", "activities", 7, {"volunteers": "八个"}, [("cell.not-integer", ACTS, "N9")]),
    ("not-integer-fraction", "activities", 7, {"volunteers": 2.5}, [("cell.not-integer", ACTS, "N9")]),
    ("negative-count", "activities", 7, {"volunteers": -3}, [("cell.number-range", ACTS, "N9")]),
    ("script-out-of-range", "activities", 7, {"script_no": 61}, [("cell.number-range", ACTS, "M9")]),
    ("hours-zero", "activities", 7, {"hours": 0}, [("cell.number-range", ACTS, "O9")]),
    ("hours-too-many", "activities", 7, {"hours": 30}, [("cell.number-range", ACTS, "O9")]),
    ("phone-form", "basic", None, {"phone": "1380023"}, [("cell.phone", BASIC, "B5")]),
    ("phone-table", "teams", 1, {"phone": "12345"}, [("cell.phone", TEAMS, "H3")]),
    ("email", "basic", None, {"email": "kexie@qq"}, [("cell.email", BASIC, "B6")]),
    ("month", "basic", None, {"report_month": "2026-13"}, [("cell.month", BASIC, "B3")]),
    ("beneficiaries-outlier", "activities", 7, {"beneficiaries": 50000}, [("cell.beneficiaries-outlier", ACTS, "P9")]),
    ("key-event-mismatch", "activities", 7, {"key_event": "全国科技工作者日"}, [("cell.key-event-mismatch", ACTS, "L9")]),
    ("duplicate-id", "activities", None, {"activity_id": "A2026-001", "name": "另一场"}, [("row.duplicate-id", ACTS, "A10")]),
    ("duplicate-activity", "activities", None, {"activity_id": "A2026-099"}, [("row.duplicate-activity", ACTS, "A10")]),
    ("team-unknown", "activities", 7, {"team_ids": "T02、T99"}, [("ref.team-unknown", ACTS, "C9")]),
    ("parent-unknown", "teams", 0, {"parent_id": "T77"}, [("ref.team-unknown", TEAMS, "D2")]),
    ("team-not-yet-founded", "activities", 4, {"team_ids": "T01-1", "date": date(2026, 8, 12)}, []),
    ("dissolved-without-date", "teams", 2, {"status": "撤销"}, [("cell.required", TEAMS, "M4")]),
    (
        "dissolved-before-founded",
        "teams",
        0,
        {"status": "撤销", "dissolved": date(2019, 1, 1)},
        [("row.date-order", TEAMS, "M2")],
    ),
    ("experience-ref", "experience", 0, {"activity_ids": "A2026-404"}, [("ref.activity-unknown", EXP, "C2")]),
    ("photo-ref", "photos", 0, {"activity_id": "A2026-404"}, [("ref.activity-unknown", PHOTOS, "B2")]),
    ("new-exceeds-total", "registration", 0, {"new": 500}, [("reg.new-exceeds-total", REG, "D2")]),
    ("negative-total", "registration", 0, {"total": -1, "new": 0}, [("cell.number-range", REG, "C2")]),
    ("registration-blank", "registration", 3, {"total": None}, [("cell.required", REG, "C5")]),
    ("no-activity-this-month", "activities", 7, {"date": date(2026, 10, 20)}, [("report.no-activity", BASIC, "B8")]),
    ("unit-unknown", "basic", None, {"unit": "火星科协"}, [("report.unit-unknown", BASIC, "B2")]),
    ("unit-ended", "basic", None, {"unit": "江北区科协"}, [("report.unit-unknown", BASIC, "B2")]),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, ctx) -> Path:
    return write(tmp_path_factory.mktemp("clean") / "clean.xlsx", ctx.template, clean_filling())


def test_clean_workbook_has_no_findings(clean: Path, ctx) -> None:
    report = validate(clean, ctx, as_of=AS_OF)
    assert report.findings == [] and report.ok and report.exit_code == 0
    assert (report.unit, report.unit_code, report.month) == ("万州区科协", "500101", "2026-11")


@pytest.mark.parametrize(("case", "sheet", "index", "values", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_check(tmp_path: Path, ctx, case: str, sheet: str, index: int | None, values: dict, expected: list) -> None:
    path = write(tmp_path / f"{case}.xlsx", ctx.template, changed(clean_filling(), sheet, index, **values))
    report = validate(path, ctx, as_of=AS_OF)
    assert report.flatten(("code", "sheet", "cell")) == expected
    for f in report.findings:
        assert f.message and f.fix and f.sheet in f.message  # where, what, how to fix
    assert report.exit_code == (1 if any(f.severity.value == "错误" for f in report.findings) else 0)


def test_team_inactive_before_founding_and_after_dissolution(tmp_path: Path, ctx) -> None:
    filling = changed(clean_filling(), "teams", 3, founded=date(2026, 9, 1))  # T01-1 founded after its activity
    filling = changed(filling, "teams", 2, status="撤销", dissolved=date(2026, 10, 1))  # T02 dissolved
    report = validate(write(tmp_path / "t.xlsx", ctx.template, filling), ctx, as_of=AS_OF)
    assert report.flatten(("code", "cell", "value")) == [("ref.team-inactive", "C6", "T01-1"), ("ref.team-inactive", "C9", "T02")]
    assert "尚未成立" in report.findings[0].message and "已于 2026-10-01 撤销" in report.findings[1].message


def test_no_activity_statement_passes(tmp_path: Path, ctx) -> None:
    filling = changed(clean_filling(), "activities", 7, date=date(2026, 10, 20))
    filling = changed(filling, "basic", None, no_activity="是")
    assert validate(write(tmp_path / "n.xlsx", ctx.template, filling), ctx, as_of=AS_OF).findings == []


def test_alias_unit_name_is_accepted(tmp_path: Path, ctx) -> None:
    filling = changed(clean_filling(), "basic", None, unit="石柱县")
    report = validate(write(tmp_path / "a.xlsx", ctx.template, filling), ctx, as_of=AS_OF)
    assert report.findings == [] and report.unit_code == "500240"


def test_quarterly_rule_severity_and_old_template_version(tmp_path: Path, ctx) -> None:
    filling = clean_filling()
    filling.meta = {**filling.meta, "template_version": "2019.1"}  # type: ignore[misc]
    report = validate(write(tmp_path / "v.xlsx", ctx.template, filling), ctx, as_of=AS_OF)
    assert report.flatten(("code", "sheet", "value")) == [("file.template-version", "元数据", "2019.1")]
    assert report.ok  # a warning does not block


def test_submission_carries_typed_rows(clean: Path, ctx) -> None:
    report, sub = check_workbook(clean, ctx, as_of=AS_OF)
    assert report.ok and sub is not None and len(sub.rows("activities")) == 8 and len(sub.rows("teams")) == 4
    first = sub.rows("activities")[0]
    assert first.values["date"] == date(2026, 2, 10) and first.values["volunteers"] == 8
    assert first.values["hours"] == 2.5 and first.cell("kind") == "E2"
    assert sub.month == (2026, 11) and sub.report_date == date(2026, 11, 20)


def test_the_order_of_the_checks_does_not_matter(demo, monkeypatch) -> None:
    """Checks return findings and change nothing: run backwards, the demo month's findings are the same."""
    import kexie_xl.checks.pipeline as pipeline
    from kexie_xl.api import load_context

    out, manifest = demo
    ctx = load_context(out / manifest["config"])
    paths = [out / f["path"] for f in manifest["files"] if f["findings"]]
    forward = [validate(p, ctx, as_of=AS_OF).flatten(("code", "sheet", "cell", "message")) for p in paths]
    monkeypatch.setattr(pipeline, "RULES", tuple(reversed(pipeline.RULES)))
    sheets = pipeline.check_sheets
    monkeypatch.setattr(pipeline, "check_sheets", lambda sub: list(reversed(list(sheets(sub)))))
    backward = [validate(p, ctx, as_of=AS_OF).flatten(("code", "sheet", "cell", "message")) for p in paths]
    assert backward == forward and any(forward)
