"""What the marks say (issue #19): one mark per cell with the most severe colour and every message, the restore
records both markers read, and the rows of 校验结果 and 季度达标 exactly as the clerk sees them."""

from __future__ import annotations

from datetime import date

import pytest

from kexie_xl.findings import Report, Severity, make
from kexie_xl.rules.quarterly import QuarterStatus
from kexie_xl.write.marks import (
    FILL,
    NOTE_PREFIX,
    QUARTERLY_SHEET,
    RESULT_HEADER,
    RESULT_SHEET,
    STATUS_FILL,
    CellMark,
    Restore,
    cell_marks,
    is_ours,
    quarterly_sheet,
    result_sheet,
    short_message,
    summary_lines,
)

ACTS = "活动台账"


def _report(*findings, unit: str | None = "万州区科协", month: str | None = "2026-11", readable: bool = True) -> Report:
    return Report("t.xlsx", list(findings), [], readable, unit, "500101", month)


REQUIRED = make("cell.required", sheet=ACTS, row=9, column="D", label="活动名称")
OUTLIER = make("cell.beneficiaries-outlier", sheet=ACTS, row=9, column="D", label="受益人数", value=9000)
PHONE = make("cell.phone", sheet="基本信息", row=5, column="B", label="联系电话", value="12")
NO_CELL = make("sheet.missing", sheet="注册情况")


# Cell marks


def test_one_mark_per_cell_most_severe_colour_every_message() -> None:
    marks = cell_marks(_report(OUTLIER, REQUIRED, PHONE, NO_CELL))
    assert [(m.sheet, m.cell, m.severity) for m in marks] == [(ACTS, "D9", Severity.ERROR), ("基本信息", "B5", Severity.ERROR)]
    assert marks[0].note == (
        f"【警告】{short_message(OUTLIER.message)}。{OUTLIER.fix}\n【错误】{short_message(REQUIRED.message)}。{REQUIRED.fix}"
    )
    assert cell_marks(_report(OUTLIER))[0].severity is Severity.WARNING
    assert FILL == {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C"}


def test_short_message_drops_the_sheet_and_cell_already_shown() -> None:
    assert REQUIRED.message.startswith("工作表「活动台账」D9 ")
    assert short_message(REQUIRED.message) == REQUIRED.message.removeprefix("工作表「活动台账」D9 ")
    assert short_message("工作表「活动台账」第 12 行有问题") == "第 12 行有问题"
    assert short_message("工作表「活动台账」 缺少表头") == "缺少表头"
    assert short_message("工作表「活动台账」A 列") == "A 列"
    assert short_message("文件已损坏") == "文件已损坏"


def test_is_ours_by_the_prefix_only() -> None:
    assert NOTE_PREFIX == "kexie_xl：\n"
    assert is_ours(NOTE_PREFIX + "x") and not is_ours("kexie_xl：x") and not is_ours(None) and not is_ours("我的批注")


# Restore records


@pytest.mark.parametrize(
    ("restore", "text"),
    [
        (Restore(ACTS, "F12", 5, ""), "kexie-restore:活动台账!F12=style:5;fill:none"),
        (Restore(ACTS, "F12", 0, "FFFF00"), "kexie-restore:活动台账!F12=style:0;fill:FFFF00"),
        (Restore(ACTS, "F12", None, "FFFF00"), "kexie-restore:活动台账!F12=fill:FFFF00"),
        (Restore(ACTS, "F12", 7, None), "kexie-restore:活动台账!F12=style:7"),
        (Restore("a!b", "AB1234567", 3, ""), "kexie-restore:a!b!AB1234567=style:3;fill:none"),
    ],
)
def test_restore_records_round_trip(restore: Restore, text: str) -> None:
    assert restore.text() == text
    assert Restore.parse(text) == restore


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("kexie-restore:活动台账!F12=5", Restore(ACTS, "F12", 5, None)),  # the first format: files
        ("kexie-restore:活动台账!F12=ffff00", Restore(ACTS, "F12", None, "FFFF00")),  # …and the ribbon
        ("kexie-restore:活动台账!F12=none", Restore(ACTS, "F12", None, "")),
        ("kexie-restore:活动台账!F12= style:5 ; fill:none ", Restore(ACTS, "F12", 5, "")),
        ("kexie-restore:活动台账!F12=style:x;fill:GGGGGG", Restore(ACTS, "F12", None, None)),
        ("kexie-restore:活动台账!F12=fill:FFFF0", Restore(ACTS, "F12", None, None)),
        ("kexie-restore:活动台账!F12=shade:5", Restore(ACTS, "F12", None, None)),
        ("kexie-restore:活动台账!f12=5", None),
        ("kexie-restore:活动台账!F12345678=5", None),
        ("kexie-restore:F12=5", None),
        ("restore:活动台账!F12=5", None),
        (None, None),
    ],
)
def test_restore_records_as_written_by_either_marker(text: object, parsed: Restore | None) -> None:
    assert Restore.parse(text) == parsed


# 校验结果


def test_the_result_sheet_lists_every_finding_with_a_link() -> None:
    report = _report(PHONE, NO_CELL, REQUIRED)
    sheet = result_sheet(report, "2026-11-30")
    assert (sheet.name, sheet.header) == (RESULT_SHEET, RESULT_HEADER)
    assert sheet.rows == (
        ("1", "错误", "基本信息", "B5", "联系电话", "12", PHONE.message, PHONE.fix, "cell.phone"),
        ("2", "错误", "注册情况", "", "", "", NO_CELL.message, NO_CELL.fix, "sheet.missing"),
        ("3", "错误", ACTS, "D9", "活动名称", "", REQUIRED.message, REQUIRED.fix, "cell.required"),
    )
    assert sheet.links == ((0, 3, "基本信息", "B5"), (2, 3, ACTS, "D9"))
    assert sheet.widths == (6, 6, 10, 8, 14, 16, 60, 40, 24) and sheet.fills == ()
    assert sheet.lines == (
        "校验结果　万州区科协　2026-11",
        "校验日期 2026-11-30　错误 3 处　警告 0 处　未通过：请按下表修改「错误」后重新校验。",
        "点击「单元格」列可跳到对应位置；标红为错误，标黄为警告。重新校验会替换本表和所有标注。",
    )


def test_summary_lines_of_a_clean_or_anonymous_report() -> None:
    assert summary_lines(_report(OUTLIER), "2026-11-30")[:2] == [
        "校验结果　万州区科协　2026-11",
        "校验日期 2026-11-30　错误 0 处　警告 1 处　通过：没有错误，可以报送。",
    ]
    assert summary_lines(_report(unit=None, month=None), "x")[0] == "校验结果　（未填填报单位）　"
    assert "未通过" in summary_lines(_report(readable=False), "x")[1]


# 季度达标


def _status(team: str, quarter: int, status: str, count: int, left: int | None = None, reason: str = "", row: int | None = 3):
    start = date(2026, 3 * quarter - 2, 1)
    return QuarterStatus(
        "500101",
        team,
        f"{team}队",
        "支队",
        f"2026Q{quarter}",
        start,
        start,
        count,
        1,
        status,
        left,
        reason,
        date(2026, 11, 20),
        row,
    )


def test_the_quarterly_sheet_one_row_per_team() -> None:
    statuses = [
        _status("T01", 3, "未达标", 0, reason="少于 1 次"),
        _status("T01", 4, "待开展", 0, 42, "还剩 42 天"),
        _status("T02", 3, "达标", 2, row=None),
        _status("T02", 4, "豁免", 0, reason="尚未成立"),
    ]
    sheet = quarterly_sheet(statuses, "服务队", "B")
    assert sheet.name == QUARTERLY_SHEET
    assert sheet.header == (
        "队伍编号",
        "队伍名称",
        "层级",
        "2026Q3 次数",
        "2026Q3 状态",
        "2026Q4 次数",
        "2026Q4 状态",
        "本季度剩余天数",
        "说明",
    )
    assert sheet.rows == (
        ("T01", "T01队", "支队", 0, "未达标", 0, "待开展", 42, "2026Q3 少于 1 次；2026Q4 还剩 42 天"),
        ("T02", "T02队", "支队", 2, "达标", 0, "豁免", "", "2026Q4 尚未成立"),
    )
    assert sheet.fills == (
        (0, 4, STATUS_FILL["未达标"]),
        (0, 6, STATUS_FILL["待开展"]),
        (1, 4, STATUS_FILL["达标"]),
        (1, 6, STATUS_FILL["豁免"]),
    )
    assert sheet.links == ((0, 0, "服务队", "B3"),)
    assert sheet.widths == (10, 30, 6, 8, 8, 8, 8, 12, 60)
    assert sheet.lines[0].endswith("统计截至 2026-11-20")
    assert sheet.lines[1] == "计入考核的队伍 2 支；未达标 1 个队·季度，待开展 1 个队·季度。"


def test_a_team_missing_a_quarter_gets_blank_cells() -> None:
    sheet = quarterly_sheet([_status("T01", 3, "达标", 1), _status("T02", 4, "达标", 1)], "服务队")
    assert sheet.rows[0][3:7] == (1, "达标", "", "") and sheet.rows[1][3:7] == ("", "", 1, "达标")
    assert sheet.links == ((0, 0, "服务队", "A3"), (1, 0, "服务队", "A3"))


def test_an_empty_quarterly_sheet() -> None:
    sheet = quarterly_sheet([], "服务队")
    assert (sheet.rows, sheet.links, sheet.fills) == ((), (), ())
    assert sheet.lines[0].endswith("统计截至 ") and "0 支" in sheet.lines[1]


def test_a_cell_mark_is_a_value() -> None:
    assert CellMark(ACTS, "D9", Severity.ERROR, "x") == CellMark(ACTS, "D9", Severity.ERROR, "x")


def test_a_quarterly_sheet_of_one_status_and_its_legend() -> None:
    sheet = quarterly_sheet([_status("T01", 4, "待开展", 0, 42)], "服务队")
    assert sheet.lines[0].endswith("统计截至 2026-11-20") and sheet.rows[0][-2:] == (42, "")
    assert (
        sheet.lines[2]
        == "绿色=达标，红色=未达标（季度已结束），黄色=待开展（季度未结束），灰色=豁免；点队伍编号可跳到「服务队」。"
    )
