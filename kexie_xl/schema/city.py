"""Schema ①: the city-level monthly submission workbook — its sheets and column labels, in one place.

The unit template is described in standard.py; this is the workbook the city coordinator sends on. Columns
that depend on configuration (one group per platform, one column per 活动类别) are built by the functions here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .codelists import ACTIVITY_KIND

CITY_TITLE = "重庆市科技志愿服务月报"
CITY_FILENAME = "重庆市科技志愿服务月报_{month}.xlsx"
PHOTO_FOLDER = "重庆市科技志愿服务月报_{month}_图片"

SUMMARY, DETAIL, QUARTERLY, EXPERIENCE, PHOTOS, INTAKE, CHARTS = (
    "汇总表",
    "活动明细",
    "季度达标",
    "经验做法汇编",
    "图片清单",
    "收件清单",
    "图表",
)

# 报送状态 of a unit, 收件 status of an input (domain research §6.20).
ON_TIME, LATE, MISSING = "按时", "逾期", "未报"
ADOPTED, SUPERSEDED, REJECTED, UNIDENTIFIED = "采用", "被替代", "退回", "无法识别"
SKIPPED = "已跳过"  # kexie_xl's own files met in a source (store, lock, archive, city workbook, marked copies, its replies)
QUARANTINED = "待确认"  # mailed from an address no unit is registered with: kept aside until someone confirms
UNVERIFIED = "未核实"  # 报送状态 when no evidence says when the unit's first report arrived (issue #18)

# Where a received time comes from. Only evidence decides 按时/逾期: a file's modification time says when someone
# saved it, not when the unit sent it.
BY_MAIL_DATE, BY_SERVER, BY_UPLOAD, BY_GIVEN = "邮件日期", "服务器收到时间", "上传时间", "人工指定"
BY_FILE_TIME, BY_ZIP_TIME, BY_MAIL_FILE = "文件修改时间", "压缩包内时间", "邮件文件时间"
EVIDENCE = frozenset({BY_MAIL_DATE, BY_SERVER, BY_UPLOAD, BY_GIVEN})


@dataclass(frozen=True)
class CityColumn:
    key: str
    label: str
    width: float = 10
    number: bool = False  # summed in the totals row


def summary_columns(platform_shorts: tuple[str, ...]) -> tuple[CityColumn, ...]:
    """汇总表: one row per unit due this month; the totals row sums every `number` column with a formula."""
    head = (
        CityColumn("seq", "序号", 5),
        CityColumn("code", "单位编码", 9),
        CityColumn("unit", "填报单位", 24),
        CityColumn("type", "单位类型", 12),
        CityColumn("status", "报送状态", 8),
        CityColumn("received", "报送时间", 16),
    )
    platforms = tuple(
        CityColumn(f"p{i}_{key}", f"{short}{label}", 11, True)
        for i, short in enumerate(platform_shorts)
        for key, label in (
            ("vol_total", "累计注册志愿者"),
            ("vol_new", "本月新增志愿者"),
            ("team_total", "累计注册队伍"),
            ("team_new", "本月新增队伍"),
        )
    )
    kinds = tuple(CityColumn(f"kind_{i}", f"{kind}（场）", 8, True) for i, kind in enumerate(ACTIVITY_KIND.items))
    tail = (
        CityColumn("activities", "本月活动（场）", 9, True),
        CityColumn("quarter_to_date", "本季度累计（场）", 9, True),
        CityColumn("year_to_date", "本年累计（场）", 9, True),
        CityColumn("volunteers", "参与志愿者人次", 10, True),
        CityColumn("hours", "服务时长（小时）", 10, True),
        CityColumn("beneficiaries", "受益人数", 10, True),
        CityColumn("missed", "未达标支队", 8, True),
        CityColumn("pending", "待开展支队", 8, True),
        CityColumn("errors", "错误", 6, True),
        CityColumn("warnings", "警告", 6, True),
    )
    return head + platforms + kinds + tail


DETAIL_COLUMNS = (
    CityColumn("unit", "填报单位", 20),
    CityColumn("activity_id", "活动编号", 12),
    CityColumn("date", "活动日期", 11),
    CityColumn("team_ids", "服务队编号", 12),
    CityColumn("name", "活动名称", 28),
    CityColumn("kind", "活动类别", 12),
    CityColumn("form", "活动形式", 12),
    CityColumn("audience", "服务对象", 14),
    CityColumn("venue", "服务阵地", 16),
    CityColumn("place", "镇街·村社区", 18),
    CityColumn("delivery", "开展方式", 10),
    CityColumn("mode", "服务模式", 10),
    CityColumn("key_event", "重点节点", 14),
    CityColumn("script_no", "宣讲稿编号", 8),
    CityColumn("volunteers", "参与志愿者人数", 9, True),
    CityColumn("hours", "服务时长（小时）", 9, True),
    CityColumn("beneficiaries", "受益人数", 9, True),
    CityColumn("photos", "图片文件", 20),
    CityColumn("report_url", "报道链接", 20),
    CityColumn("remark", "备注", 20),
    CityColumn("problems", "校验问题", 40),  # the row's findings: what a value not taken had been (merge.row_problems)
)

QUARTERLY_COLUMNS = (
    CityColumn("unit", "填报单位", 20),
    CityColumn("team_id", "队伍编号", 10),
    CityColumn("team_name", "队伍名称", 28),
    CityColumn("level", "层级", 6),
    CityColumn("quarter", "季度", 8),
    CityColumn("count", "活动次数", 8),
    CityColumn("status", "状态", 8),
    CityColumn("days_left", "剩余天数", 8),
    CityColumn("reason", "说明", 40),
)

EXPERIENCE_COLUMNS = (
    CityColumn("unit", "填报单位", 20),
    CityColumn("title", "标题", 30),
    CityColumn("text", "内容", 90),
    CityColumn("activity_ids", "相关活动编号", 18),
)

PHOTO_COLUMNS = (
    CityColumn("unit", "填报单位", 20),
    CityColumn("file", "图片文件名", 30),
    CityColumn("activity_id", "活动编号", 12),
    CityColumn("caption", "图片说明", 40),
    CityColumn("link", "图片", 40),
)

INTAKE_COLUMNS = (
    CityColumn("seq", "序号", 5),
    CityColumn("file", "文件", 44),
    CityColumn("source", "来源", 30),
    CityColumn("unit", "填报单位", 20),
    CityColumn("month", "报送月份", 9),
    CityColumn("received", "接收时间", 16),
    CityColumn("received_by", "时间依据", 12),
    CityColumn("status", "状态", 8),
    CityColumn("reason", "原因", 40),
    CityColumn("errors", "错误", 6),
    CityColumn("warnings", "警告", 6),
    CityColumn("sha256", "SHA-256", 20),
    CityColumn("format", "格式", 16),
)
