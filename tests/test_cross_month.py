"""Cross-month checks (issue #15, part 1): a unit's report against its previous adopted report in the store —
the comparison on rows, the demo series (findings = its manifest), the ledger, the feedback and validate."""

from __future__ import annotations

import email
import email.policy
import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kexie_xl.api import Context, consolidate_month, draft_feedback, load_context
from kexie_xl.cli import cli
from kexie_xl.config import Settings
from kexie_xl.errors import KexieError
from kexie_xl.findings import CATALOGUE, Severity
from kexie_xl.rules.months import MonthReport, compare_months, flagged_rows, gaps, template_where
from kexie_xl.sample.series import month_range, write_series
from kexie_xl.schema.standard import build_template

from .conftest import ROOT

MONTHS = ["2026-09", "2026-10", "2026-11"]
P = "全国志愿服务信息系统（中国志愿服务网）"
WHERE = template_where(build_template(Settings().platform_names, ()))
HISTORY_CODES = {c for c in CATALOGUE if c.startswith("history.")}


def _reg(total: int | None, new: int | None, row: int = 2, item: str = "科技工作者") -> dict:
    return {"row": row, "platform": P, "item": item, "total": total, "new": new}


def _act(key: str, day: date, row: int, name: str = "科普讲座", team: str = "T01", volunteers: int = 10, **more) -> dict:
    return {"row": row, "activity_id": key, "date": day, "name": name, "team_ids": team, "volunteers": volunteers,
            "hours": 2, "beneficiaries": 100, **more}  # fmt: skip


def _team(team_id: str, status: str, dissolved: date | None = None, row: int = 2) -> dict:
    return {"row": row, "team_id": team_id, "name": f"{team_id}支队", "status": status, "dissolved": dissolved}


def _flat(found: list) -> list[tuple]:
    return [(f.code, f.sheet, f.cell, f.value) for f in found]


# The comparison on rows


@pytest.mark.parametrize(
    ("before", "total", "new", "expected"),
    [
        (500, 500, 0, []),  # the same 累计 and no 新增: fine
        (500, 512, 12, []),  # last 累计 + 新增
        (500, 499, 0, [("history.total-decreased", "注册情况", "C2", "499")]),
        (500, 515, 12, [("history.total-mismatch", "注册情况", "C2", "515")]),
        (500, 505, 0, [("history.total-mismatch", "注册情况", "C2", "505")]),  # 新增 0 but 累计 grew
        (500, 480, 3, [("history.total-decreased", "注册情况", "C2", "480")]),  # lower: one finding, not two
        (500, 10, 12, [("history.total-decreased", "注册情况", "C2", "10")]),  # and 新增 > 累计 (reg.new-exceeds-total)
        (500, 520, None, []),  # 新增 not filled: cell.required says so; no sum to check
    ],
)
def test_registration_against_last_month(before: int, total: int, new: int | None, expected: list) -> None:
    found = compare_months(
        MonthReport("2026-10", registration=[_reg(before, 7)]), MonthReport("2026-11", registration=[_reg(total, new)]), WHERE
    )
    assert _flat(found) == expected


def test_the_mismatch_message_shows_the_three_numbers() -> None:
    [finding] = compare_months(MonthReport("2026-10", [_reg(500, 3)]), MonthReport("2026-11", [_reg(515, 12)]), WHERE)
    assert "累计注册数 515 不等于 2026-10 月报的累计 500 + 本月新增 12（= 512）" in finding.message
    assert (finding.severity, finding.label, finding.row, finding.column) == (Severity.WARNING, "累计注册数", 2, "C")


def test_the_sum_is_checked_only_against_the_month_just_before() -> None:
    """Two months apart, the 新增 of the month between is unknown: only a lower 累计 is said."""
    prev = MonthReport("2026-09", [_reg(500, 3), _reg(300, 1, row=3, item="大学生")])
    found = compare_months(prev, MonthReport("2026-11", [_reg(515, 12), _reg(290, 0, row=3, item="大学生")]), WHERE)
    assert _flat(found) == [("history.total-decreased", "注册情况", "C3", "290")]


def test_registration_across_a_new_year_is_still_compared() -> None:
    found = compare_months(MonthReport("2026-12", [_reg(500, 3)]), MonthReport("2027-01", [_reg(503, 4)]), WHERE)
    assert _flat(found) == [("history.total-mismatch", "注册情况", "C2", "503")]


def test_an_unchanged_ledger_carried_forward_is_clean() -> None:
    acts = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3)]
    more = [*acts, _act("A3", date(2026, 11, 2), 4)]
    assert compare_months(MonthReport("2026-10", activities=acts), MonthReport("2026-11", activities=more), WHERE) == []


def test_an_earlier_activity_missing_changed_or_reused() -> None:
    prev = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3), _act("A3", date(2026, 10, 20), 4),
            _act("A4", date(2026, 10, 21), 5), _act("A5", date(2026, 10, 22), 6, name="讲座")]  # fmt: skip
    now = [
        _act("A2", date(2026, 10, 8), 2, volunteers=14),  # date and count changed
        _act("A3", date(2026, 11, 5), 3, name="另一场活动"),  # the id now names another activity
        _act("A4", date(2026, 10, 21), 4, team="T01、T02"),  # another team joined
        _act("A5", date(2026, 10, 22), 5, name="科普 讲座"),  # only the name's spacing: no finding
    ]
    found = compare_months(MonthReport("2026-10", activities=prev), MonthReport("2026-11", activities=now), WHERE)
    assert _flat(found) == [
        ("history.activity-missing", "活动台账", "", "A1"),
        ("history.activity-changed", "活动台账", "B2", "2026-10-08"),
        ("history.activity-id-reused", "活动台账", "A3", "A3"),
        ("history.activity-changed", "活动台账", "C4", "T01、T02"),
    ]
    assert "活动日期 2026-10-09 → 2026-10-08；参与志愿者人数 10 → 14" in found[1].message
    assert "在 2026-10 月报中是「科普讲座」（2026-10-20），本月是「另一场活动」（2026-11-05）" in found[2].message
    assert "A1" in found[0].message and found[0].row is None


def test_a_name_change_with_the_same_date_is_a_correction_not_a_reuse() -> None:
    prev = MonthReport("2026-10", activities=[_act("A1", date(2026, 10, 3), 2)])
    now = MonthReport("2026-11", activities=[_act("A1", date(2026, 10, 3), 2, name="改过名的讲座")])
    assert compare_months(prev, now, WHERE) == []


def test_a_new_year_starts_a_new_ledger() -> None:
    """December's activities are not expected in January's ledger; nor is a wrongly dated row of another year."""
    prev = MonthReport("2026-12", activities=[_act("A2026-001", date(2026, 12, 3), 2)])
    assert compare_months(prev, MonthReport("2027-01", activities=[]), WHERE) == []
    stray = MonthReport("2026-10", activities=[_act("A9", date(2025, 10, 3), 2), _act("A1", date(2026, 10, 3), 3)])
    found = compare_months(stray, MonthReport("2026-11", activities=[_act("A1", date(2026, 10, 3), 2)]), WHERE)
    assert found == []


def test_rows_that_had_a_finding_last_month_are_not_compared() -> None:
    """The clerk was asked to fix them: deleting or changing them is the fix."""
    prev = MonthReport(
        "2026-10", activities=[_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 4), 3)], flagged=frozenset({3})
    )
    found = compare_months(prev, MonthReport("2026-11", activities=[_act("A1", date(2026, 10, 3), 2)]), WHERE)
    assert found == []


ACTS = "activities"


def test_a_column_either_report_lacked_is_not_compared() -> None:
    """A workbook without 参与志愿者人数 (header.missing) holds None there for every row: not 「10 → （空）」 each."""
    prev = [_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3)]
    now = [_act("A1", date(2026, 10, 3), 2, volunteers=None), _act("A2", date(2026, 10, 8), 3, volunteers=None)]
    lacking = MonthReport("2026-11", activities=now, absent=frozenset({(ACTS, "volunteers")}))
    found = compare_months(MonthReport("2026-10", activities=prev), lacking, WHERE)
    assert _flat(found) == [("history.activity-changed", "活动台账", "B3", "2026-10-08")]  # the date still counts
    assert "参与志愿者人数" not in found[0].message
    earlier = MonthReport(
        "2026-10", activities=[{**a, "volunteers": None} for a in prev], absent=frozenset({(ACTS, "volunteers")})
    )
    assert compare_months(earlier, MonthReport("2026-11", activities=prev), WHERE) == []
    # the same rows with the column present: each emptied count is a change
    assert len(compare_months(MonthReport("2026-10", activities=prev), MonthReport("2026-11", activities=now), WHERE)) == 2


def test_without_activity_ids_no_activity_is_matched() -> None:
    prev = MonthReport("2026-10", activities=[_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3)])
    now = [{**_act("A1", date(2026, 10, 3), 2), "activity_id": None}]
    assert compare_months(prev, MonthReport("2026-11", activities=now, absent=frozenset({(ACTS, "activity_id")})), WHERE) == []
    earlier = MonthReport("2026-10", activities=prev.activities, absent=frozenset({(ACTS, "activity_id")}))
    assert compare_months(earlier, MonthReport("2026-11", activities=[]), WHERE) == []
    assert len(compare_months(prev, MonthReport("2026-11", activities=now), WHERE)) == 2  # with the column: both missing


@pytest.mark.parametrize("lacking", ["name", "date"])
def test_without_names_or_dates_an_id_is_not_called_reused(lacking: str) -> None:
    prev = MonthReport("2026-10", activities=[_act("A1", date(2026, 10, 3), 2, volunteers=10)])
    now = [_act("A1", date(2026, 11, 5), 2, name="另一场活动", volunteers=12)]
    found = compare_months(prev, MonthReport("2026-11", activities=now, absent=frozenset({(ACTS, lacking)})), WHERE)
    assert [f.code for f in found] == ["history.activity-changed"]
    assert "参与志愿者人数 10 → 12" in found[0].message and ("活动日期" in found[0].message) == (lacking == "name")
    earlier = replace(prev, absent=frozenset({(ACTS, lacking)}))  # last month's workbook lacked it
    found = compare_months(earlier, MonthReport("2026-11", activities=now), WHERE)
    assert [f.code for f in found] == ["history.activity-changed"]
    assert ("活动日期" in found[0].message) == (lacking == "name")
    assert [f.code for f in compare_months(prev, MonthReport("2026-11", activities=now), WHERE)] == ["history.activity-id-reused"]


def test_a_cell_with_its_own_finding_this_month_is_not_compared() -> None:
    """「八」 in 参与志愿者人数 is cell.not-integer and not taken: the clerk did not empty the cell."""
    prev = MonthReport("2026-10", activities=[_act("A1", date(2026, 10, 3), 2), _act("A2", date(2026, 10, 9), 3)])
    now = [_act("A1", date(2026, 10, 3), 2, volunteers=None), _act("A2", date(2026, 10, 9), 3, volunteers=None)]
    found = compare_months(prev, MonthReport("2026-11", activities=now, unsure=frozenset({(ACTS, 2, "volunteers")})), WHERE)
    assert _flat(found) == [("history.activity-changed", "活动台账", "N3", "（空）")]  # row 3 was emptied indeed
    for key in ("name", "date"):  # an id is not called reused on a name or date not taken
        reused = [{**_act("A1", date(2026, 11, 5), 2, name="另一场活动"), key: None}]
        found = compare_months(prev, MonthReport("2026-11", activities=reused, unsure=frozenset({(ACTS, 2, key)})), WHERE)
        assert [f.code for f in found] == ["history.activity-changed", "history.activity-missing"][key == "date" :]
        assert [f.code for f in compare_months(prev, MonthReport("2026-11", activities=reused), WHERE)][:1] == [
            "history.activity-id-reused"  # an empty cell without a finding of its own: taken as written
        ]
    kept = [_act("A1", date(2026, 10, 3), 2, volunteers=12)]  # a count kept with a warning of its own is compared
    found = compare_months(prev, MonthReport("2026-11", activities=kept, unsure=frozenset({(ACTS, 2, "volunteers")})), WHERE)
    assert [f.code for f in found] == ["history.activity-changed", "history.activity-missing"]


def test_registration_and_team_cells_with_findings_are_not_compared() -> None:
    prev = MonthReport("2026-10", [_reg(500, 3)], teams=[_team("T02", "撤销", date(2026, 8, 15), 3)])
    now = MonthReport("2026-11", [_reg(None, 0)], teams=[_team("T02", None, None, 3)])  # type: ignore[arg-type]
    assert [f.code for f in compare_months(prev, now, WHERE)] == ["history.team-revived"]
    unsure = frozenset({("registration", 2, "total"), ("teams", 3, "status")})
    assert compare_months(prev, MonthReport("2026-11", now.registration, now.teams, unsure=unsure), WHERE) == []
    wrong = MonthReport("2026-11", [_reg(515, 12)])
    assert [f.code for f in compare_months(prev, wrong, WHERE)] == ["history.total-mismatch"]
    kept = MonthReport("2026-11", [_reg(515, 12)], unsure=frozenset({("registration", 2, "new")}))
    assert [f.code for f in compare_months(prev, kept, WHERE)] == ["history.total-mismatch"]  # a value kept is compared
    for key in ("platform", "item"):
        lacking = MonthReport("2026-11", [_reg(400, 0)], absent=frozenset({("registration", key)}))
        assert (
            compare_months(prev, lacking, WHERE) == []
            and compare_months(replace(prev, absent=lacking.absent), wrong, WHERE) == []
        )


def test_gaps_are_read_from_the_findings_by_sheet_and_label() -> None:
    template = build_template(Settings().platform_names, ())
    findings = [
        {"code": "header.missing", "sheet": "活动台账", "label": "参与志愿者人数"},
        {"code": "cell.not-integer", "sheet": "活动台账", "row": 7, "column": "L", "label": "受益人数", "value": "八"},
        {"code": "cell.required", "sheet": "注册情况", "row": 3, "column": "C", "label": "累计注册数"},
        {"code": "cell.required", "sheet": "服务队", "row": 4, "label": "状态"},
        {"code": "row.duplicate-id", "sheet": "活动台账", "row": 8, "label": "活动编号"},  # not a cell finding
        {"code": "cell.required", "sheet": "基本信息", "row": 3, "label": "填报单位"},  # not a table
        {"code": "cell.required", "sheet": "活动台账", "label": "活动名称"},  # no row
        {"code": "header.missing", "sheet": "活动台账", "label": "没有这一列"},
        {"code": "cell.required", "sheet": "活动 台账", "row": 9, "label": "活动日期"},  # the sheet as the reader found it
        {"code": "cell.required", "sheet": "别的表", "row": 9, "label": "活动日期"},
    ]
    damaged = [{"code": "row.duplicate-id", "sheet": "活动台账", "row": "12"}, {"sheet": "活动台账", "row": 0}]  # an older store
    assert flagged_rows([*findings, *damaged], template.sheet(ACTS).names) == {7, 8, 9}
    absent, unsure = gaps(findings, template)
    assert absent == {(ACTS, "volunteers")}
    assert unsure == {(ACTS, 7, "beneficiaries"), (ACTS, 9, "date"), ("registration", 3, "total"), ("teams", 4, "status")}
    assert flagged_rows(findings, template.sheet(ACTS).names) == {7, 8, 9}


def test_a_dissolved_team_active_again() -> None:
    gone = date(2026, 8, 15)
    prev = MonthReport(
        "2026-10", teams=[_team("T02", "撤销", gone, 3), _team("T03", "撤销", gone, 4), _team("T04", "撤销", gone, 5)]
    )
    now_teams = [
        _team("T02", "在册", None, 3),  # revived
        _team("T03", "撤销", date(2026, 11, 10), 4),  # dissolution moved later, with activities in between
        _team("T04", "撤销", gone, 5),  # still dissolved on the same day: ref.team-inactive covers later activities
    ]
    acts = [
        _act("A1", date(2026, 9, 1), 2, team="T03"),
        _act("A2", date(2026, 8, 10), 3, team="T03"),  # before the dissolution: fine
        _act("A3", date(2026, 11, 12), 4, team="T03"),  # after this month's date too: ref.team-inactive
        _act("A4", date(2026, 9, 2), 5, team="T04"),
    ]
    found = compare_months(prev, MonthReport("2026-11", teams=now_teams, activities=acts), WHERE)
    assert _flat(found) == [
        ("history.team-revived", "服务队", "L3", "在册"),
        ("history.team-dissolved-active", "活动台账", "C2", "T03"),
    ]
    assert "服务队「T02」（T02支队）在 2026-10 月报中已撤销（2026-08-15），本月状态为「在册」" in found[0].message
    assert "活动日期 2026-09-01 晚于服务队「T03」在 2026-10 月报中的撤销日期 2026-08-15" in found[1].message


def test_only_an_earlier_month_is_compared_and_severity_is_configurable() -> None:
    prev, now = MonthReport("2026-10", [_reg(500, 3)]), MonthReport("2026-11", [_reg(400, 0)])
    assert compare_months(now, prev, WHERE) == []
    assert compare_months(prev, prev, WHERE) == []
    [finding] = compare_months(prev, now, WHERE, Severity.ERROR)
    assert finding.severity is Severity.ERROR


def test_month_range() -> None:
    assert month_range("2026-11..2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert month_range("2026-11") == ["2026-11"]
    with pytest.raises(KexieError, match=r"2026-09\.\.2026-11"):
        month_range("2026-11..2026-09")


# The demo series, consolidated month by month into one store


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory, ctx: Context) -> tuple[Path, dict[str, dict], dict]:
    out = tmp_path_factory.mktemp("series") / "demo"
    write_series(out, ctx, MONTHS, 2026)
    manifests = {m: json.loads((out / m / "manifest.json").read_text(encoding="utf-8")) for m in MONTHS}
    merged = {}
    for month in MONTHS:
        month_ctx = load_context(out / month / "config" / "kexie.toml")
        merged[month] = consolidate_month([out / month / "mail"], month_ctx, month, output=out / month / "city.xlsx")
    return out, manifests, merged


def _planted(manifest: dict) -> list[tuple]:
    return sorted((h["unit"], h["code"], h["sheet"], h["cell"], h["value"]) for h in manifest.get("history", []))


def test_the_series_findings_are_exactly_the_planted_ones(series) -> None:
    _out, manifests, merged = series
    for month in MONTHS:
        history = merged[month].city.history
        found = sorted((u, f["code"], f["sheet"], f["cell"], f["value"]) for u, fs in history.items() for f in fs)
        assert found == _planted(manifests[month]), month
    assert "history" not in manifests["2026-09"] and merged["2026-09"].city.history == {}
    planted_codes = {h["code"] for m in MONTHS[1:] for h in manifests[m]["history"]}
    assert planted_codes == HISTORY_CODES - {"history.team-dissolved-active"}  # every kind the demo plants, planted
    assert all(len(manifests[m]["history"]) >= 5 for m in MONTHS[1:])


def test_the_series_carries_each_unit_from_month_to_month(series) -> None:
    out, manifests, _merged = series
    store = out / "kexie_store.sqlite"
    assert store.is_file() and not (out / "2026-10" / "kexie_store.sqlite").exists()
    series_manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [m["month"] for m in series_manifest["months"]] == MONTHS
    assert [m["history"] for m in series_manifest["months"]] == [len(manifests[m].get("history", [])) for m in MONTHS]


def test_the_ledger_and_the_summary_count_them(series) -> None:
    _out, _manifests, merged = series
    city = merged["2026-10"].city
    for unit, findings in city.history.items():
        [line] = [r for r in city.intake if r["unit_code"] == unit and r["status"] == "采用"]
        assert f"有 {len(findings)} 处跨月问题" in line["reason"]
        assert [f for f in line["findings"] if f["code"].startswith("history.")] == findings
        [summary] = [u for u in city.units if u.unit.code == unit]
        assert summary.values["warnings"] == line["warnings"]
    others = [r for r in city.intake if r["unit_code"] not in city.history]
    assert others and not any("跨月" in r["reason"] for r in others)


def test_feedback_lists_them_and_marks_them(series, tmp_path: Path) -> None:
    out, manifests, _merged = series
    month = "2026-10"
    month_ctx = load_context(out / month / "config" / "kexie.toml")
    drafts = draft_feedback(month_ctx, month, out / "kexie_store.sqlite", tmp_path / "反馈")
    by_unit = {d.unit: d for d in drafts}
    for planted in manifests[month]["history"]:
        message = email.message_from_bytes(by_unit[planted["unit"]].raw, policy=email.policy.default)
        body = message.get_body(("plain",)).get_content()
        assert CATALOGUE[planted["code"]].fix in body
        [attachment] = list(message.iter_attachments())
        results = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))["校验结果"]
        rows = [r[1:4] for r in results.iter_rows(min_row=6, values_only=True)]
        assert ("警告", planted["sheet"], planted["cell"] or None) in rows


def test_validate_compares_with_the_configured_store(series) -> None:
    out, manifests, _merged = series
    month = "2026-11"
    planted = next(h for h in manifests[month]["history"] if h["cell"])
    file = next(f for f in manifests[month]["files"] if f["id"] == planted["file"])
    config = out / month / "config" / "kexie.toml"
    args = ["validate", str(out / month / file["path"]), "--no-mark", "--format", "json", "--as-of", file["received"][:10]]
    with_store = CliRunner().invoke(cli, ["--config", str(config), *args])
    [report] = json.loads(with_store.output)
    history = [(f["code"], f["sheet"], f["cell"], f["value"]) for f in report["findings"] if f["code"].startswith("history.")]
    assert history == [(planted["code"], planted["sheet"], planted["cell"], planted["value"])]
    empty = out / "empty.toml"
    empty.write_text('[paths]\nstore = "none.sqlite"\n', encoding="utf-8")
    without = CliRunner().invoke(cli, ["--config", str(empty), *args])
    assert not [f for f in json.loads(without.output)[0]["findings"] if f["code"].startswith("history.")]
    explicit = CliRunner().invoke(cli, ["--config", str(empty), *args, "--store", str(out / "kexie_store.sqlite")])
    assert [f["code"] for f in json.loads(explicit.output)[0]["findings"] if f["code"].startswith("history.")] == [
        planted["code"]
    ]
    missing = CliRunner().invoke(cli, ["--config", str(empty), *args, "--store", str(out / "nowhere.sqlite")])
    assert missing.exit_code == 2 and "找不到汇总库" in missing.output


def test_a_workbook_lacking_a_column_or_with_a_mistyped_cell_gets_no_history_noise(ctx: Context, tmp_path: Path) -> None:
    """December's workbook lost its 参与志愿者人数 header and has 「八」 in one 受益人数: the reply lists those
    (header.missing, cell.not-integer), not a 「10 → （空）」 for every activity of the year."""
    from .builders import changed, clean_filling, write

    november = write(tmp_path / "nov" / "2026-11_万州区科协.xlsx", ctx.template, clean_filling())
    store = tmp_path / "store.sqlite"
    consolidate_month([november], ctx, "2026-11", output=tmp_path / "nov.xlsx", store_path=store)
    filling = changed(clean_filling(), "basic", None, report_month="2026-12", report_date=date(2026, 12, 20))
    for row in filling.rows["registration"]:  # type: ignore[index]
        row["total"] += row["new"]  # November's 累计 + December's 新增: nothing to say across the months
    december = write(tmp_path / "dec" / "2026-12_万州区科协.xlsx", ctx.template, filling)
    book = openpyxl.load_workbook(december)
    sheet = book["活动台账"]
    header = next(c for row in sheet.iter_rows() for c in row if c.value == "参与志愿者人数")
    header.value = "志愿者（另行统计）"
    people = next(c for row in sheet.iter_rows() for c in row if c.value == "受益人数")
    sheet.cell(people.row + 3, people.column, "八")
    book.save(december)
    args = ["--config", str(ROOT / "tests" / "data" / "empty.toml"), "validate", str(december), "--no-mark"]
    done = CliRunner().invoke(cli, [*args, "--format", "json", "--as-of", "2026-12-20", "--store", str(store)])
    [report] = json.loads(done.output)
    codes = [f["code"] for f in report["findings"]]
    assert "header.missing" in codes and "cell.not-integer" in codes
    assert not [c for c in codes if c.startswith("history.")], codes
    result = consolidate_month([december], ctx, "2026-12", output=tmp_path / "dec.xlsx", store_path=store)
    assert result.city.history == {}
