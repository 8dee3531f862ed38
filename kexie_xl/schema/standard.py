"""Schema ①: the standard monthly template — every sheet, column, Chinese label, alias, hint and code list.

This module is the single place where column labels are spelled. The template writer, the readers, the
validators, the city workbook and the docs all take them from `build_template()`.
"""

from __future__ import annotations

from functools import lru_cache

from . import codelists as cl
from .types import CodeList, Column, Kind, Layout, Sheet, Template

TEMPLATE_ID = "kexie_xl/科技志愿服务月报"
TEMPLATE_VERSION = "2026.1"
TEMPLATE_RELEASED = "2026-11-01"
# Versions the readers accept (older ones map through header aliases).
SUPPORTED_VERSIONS = ("2026.1",)
TITLE = "重庆市科协系统科技志愿服务月报"
TEMPLATE_FILENAME = "科技志愿服务月报模板.xlsx"

ID_HELP = "本单位内唯一，建议用 单位简称+序号，如 WZ-ZD01"
MULTI = "可填多个，用顿号「、」分隔"

BASIC = Sheet(
    "basic",
    "基本信息",
    Layout.FORM,
    (
        Column(
            "unit",
            "填报单位",
            Kind.CODE,
            True,
            codes="unit",
            width=34,
            open_list=True,
            help="从下拉列表选择本单位全称（列表来自单位名录）",
            aliases=("单位名称", "报送单位", "填报单位名称"),
        ),
        Column(
            "report_month",
            "报送月份",
            Kind.MONTH,
            True,
            example="2026-11",
            help="本次报送的月份，格式 YYYY-MM，如 2026-11",
            aliases=("月份", "报送月", "所属月份"),
        ),
        Column("reporter", "填报人", Kind.TEXT, True, help="填报人姓名", aliases=("联系人",)),
        Column(
            "phone",
            "联系电话",
            Kind.PHONE,
            True,
            example="023-63003526",
            help="手机 11 位，或座机 区号-号码",
            aliases=("电话", "手机"),
        ),
        Column("email", "电子邮箱", Kind.EMAIL, True, help="用于接收校验反馈", aliases=("邮箱", "Email", "E-mail")),
        Column("report_date", "填报日期", Kind.DATE, True, help="格式 YYYY-MM-DD", aliases=("报送日期", "日期")),
        Column(
            "no_activity",
            "本月无活动",
            Kind.YESNO,
            codes="yesno",
            help="本月确实未开展活动时选「是」，并在备注中说明原因；有活动时留空或选「否」",
        ),
        Column("remark", "备注", Kind.TEXT, width=60, help="其他需要说明的情况", aliases=("说明",)),
    ),
    help="报送单位、月份和联系人。每份月报只填一个单位、一个月份。",
    freeze="",
)


def _registration(platforms: tuple[str, ...]) -> Sheet:
    prefill = tuple((p, item) for p in platforms for item in cl.REGISTRATION_ITEM.items)
    return Sheet(
        "registration",
        "注册情况",
        Layout.TABLE,
        (
            Column(
                "platform",
                "平台",
                Kind.CODE,
                True,
                codes="platform",
                width=40,
                help="两个志愿服务平台之一",
                aliases=("注册平台", "平台名称"),
            ),
            Column(
                "item",
                "统计项",
                Kind.CODE,
                True,
                codes="registration_item",
                width=28,
                help="志愿者来源（人）或注册队伍（个）",
                aliases=("志愿者来源", "类别", "项目"),
            ),
            Column(
                "total",
                "累计注册数",
                Kind.INT,
                True,
                min=0,
                width=14,
                help="截至本月底在该平台累计注册的人数（队伍行填个数）",
                aliases=("累计注册人数", "累计", "累计数"),
            ),
            Column(
                "new",
                "本月新增数",
                Kind.INT,
                True,
                min=0,
                width=14,
                help="本月新增注册的人数（队伍行填个数），不大于累计数",
                aliases=("本月新增", "新增", "本月新增人数"),
            ),
            Column("remark", "备注", Kind.TEXT, width=30, aliases=("说明",)),
        ),
        help="按平台、按志愿者来源填写累计注册数和本月新增数；最后一行填注册的科技志愿服务队伍个数。没有的填 0。",
        entry_rows=len(prefill) + 10,
        prefill=prefill,
        freeze="C2",
    )


TEAMS = Sheet(
    "teams",
    "服务队",
    Layout.TABLE,
    (
        Column("team_id", "队伍编号", Kind.TEXT, True, width=14, help=ID_HELP, aliases=("编号", "服务队编号", "队伍代码")),
        Column("name", "队伍名称", Kind.TEXT, True, width=30, aliases=("服务队名称", "名称", "队名")),
        Column(
            "level",
            "层级",
            Kind.CODE,
            True,
            codes="team_level",
            width=8,
            help="总队/支队/大队/分队/小队；季度活动次数按支队统计",
            aliases=("队伍层级", "级别"),
        ),
        Column(
            "parent_id",
            "上级队伍编号",
            Kind.REFS,
            refs="teams",
            width=14,
            help="分队填所属支队的编号，支队填所属总队的编号",
            aliases=("上级队伍", "所属队伍"),
        ),
        Column("town", "所在镇街", Kind.TEXT, width=14, aliases=("镇街", "所在镇（街道）")),
        Column("leader", "队长", Kind.TEXT, True, width=10, aliases=("队长姓名", "负责人")),
        Column(
            "leader_role",
            "队长身份",
            Kind.CODE,
            codes="leader_role",
            width=12,
            help="基层「三长」（学校校长、医院院长、农技站站长）担任队长的请选择对应身份",
        ),
        Column("phone", "联系电话", Kind.PHONE, width=15, help="手机 11 位，或座机 区号-号码", aliases=("电话",)),
        Column("members", "队员人数", Kind.INT, min=0, width=10, aliases=("人数", "队员数")),
        Column("field", "专业领域", Kind.CODE, codes="field", width=14, aliases=("领域",)),
        Column("founded", "成立日期", Kind.DATE, True, width=12, help="格式 YYYY-MM-DD", aliases=("成立时间",)),
        Column("status", "状态", Kind.CODE, True, codes="team_status", width=8, help="在册 或 撤销", aliases=("队伍状态",)),
        Column("dissolved", "撤销日期", Kind.DATE, width=12, help="状态为「撤销」时必填", aliases=("撤销时间",)),
        Column("remark", "备注", Kind.TEXT, width=24, aliases=("说明",)),
    ),
    help="本单位全部科技志愿服务队伍的名册，逐月沿用；新成立的队伍加一行，撤销的队伍改状态并填撤销日期，不要删除。",
    entry_rows=300,
    id_column="team_id",
    freeze="C2",
)

ACTIVITIES = Sheet(
    "activities",
    "活动台账",
    Layout.TABLE,
    (
        Column("activity_id", "活动编号", Kind.TEXT, True, width=14, help=ID_HELP, aliases=("编号", "序号")),
        Column(
            "date",
            "活动日期",
            Kind.DATE,
            True,
            width=12,
            help="格式 YYYY-MM-DD，如 2026-11-05",
            aliases=("日期", "开展日期", "活动时间"),
        ),
        Column(
            "team_ids",
            "服务队编号",
            Kind.REFS,
            True,
            refs="teams",
            width=16,
            help="开展活动的服务队编号（见「服务队」表）；" + MULTI,
            aliases=("服务队", "队伍编号", "参与队伍"),
        ),
        Column("name", "活动名称", Kind.TEXT, True, width=30, aliases=("活动主题", "名称")),
        Column(
            "kind",
            "活动类别",
            Kind.CODE,
            True,
            codes="activity_kind",
            width=14,
            help="进校园/进农村/进社区/进企业（园区）/进机关/应急科普",
            aliases=("类别", "活动类型"),
        ),
        Column("form", "活动形式", Kind.CODE, codes="activity_form", width=14, aliases=("形式",)),
        Column("audience", "服务对象", Kind.CODES, codes="audience", width=16, help=MULTI, aliases=("对象", "受益对象")),
        Column("venue", "服务阵地", Kind.CODE, codes="venue", width=18, aliases=("阵地", "活动阵地")),
        Column(
            "place",
            "镇街·村社区",
            Kind.TEXT,
            width=20,
            help="如 龙宝镇·龙宝村",
            aliases=("镇街村社区", "活动地点", "地点", "镇街/村社区"),
        ),
        Column(
            "delivery", "开展方式", Kind.CODE, True, codes="delivery", width=12, help="线下/线上/线上线下结合", aliases=("方式",)
        ),
        Column("mode", "服务模式", Kind.CODE, codes="service_mode", width=12, help="订单式服务/需求式邀课/自主开展"),
        Column(
            "key_event",
            "重点节点",
            Kind.CODE,
            codes="key_event",
            width=16,
            help="活动结合的重点节点，没有选「无」或留空",
            aliases=("结合节点", "重要节点"),
        ),
        Column(
            "script_no",
            "宣讲稿编号",
            Kind.INT,
            min=1,
            max=60,
            width=10,
            help="使用市科协「讲科技」宣讲内容库时填 1–60 的编号",
            aliases=("讲科技宣讲稿编号",),
        ),
        Column(
            "volunteers",
            "参与志愿者人数",
            Kind.INT,
            True,
            min=0,
            width=10,
            aliases=("志愿者人数", "参与志愿者人次", "志愿者人次"),
        ),
        Column(
            "hours",
            "服务时长（小时）",
            Kind.DECIMAL,
            True,
            min=0,
            width=10,
            help="本次活动时长，单位小时，可填 0.5 的倍数",
            aliases=("服务时长(小时)", "服务时长", "时长（小时）", "时长"),
        ),
        Column("beneficiaries", "受益人数", Kind.INT, True, min=0, width=10, aliases=("受益人次", "服务人数")),
        Column(
            "photos",
            "图片文件",
            Kind.TEXT,
            width=24,
            help="随报送的图片文件名（见「图片清单」）；" + MULTI,
            aliases=("图片", "照片"),
        ),
        Column("report_url", "报道链接", Kind.URL, width=24, help="媒体或网络报道的网址（可选）", aliases=("报道",)),
        Column("remark", "备注", Kind.TEXT, width=24, aliases=("说明",)),
    ),
    help="本年度全部活动的累计台账，逐月在末尾追加；每行一次活动。",
    entry_rows=1000,
    id_column="activity_id",
    freeze="C2",
)

EXPERIENCE = Sheet(
    "experience",
    "经验做法",
    Layout.TABLE,
    (
        Column("title", "标题", Kind.TEXT, True, width=30, aliases=("题目",)),
        Column("text", "内容", Kind.TEXT, True, width=90, help="经验做法正文，500 字以内为宜", aliases=("正文", "主要做法")),
        Column("activity_ids", "相关活动编号", Kind.REFS, refs="activities", width=18, help=MULTI, aliases=("活动编号",)),
    ),
    help="本月值得推广的经验做法，每条一行。",
    entry_rows=50,
    freeze="A2",
)

PHOTOS = Sheet(
    "photos",
    "图片清单",
    Layout.TABLE,
    (
        Column(
            "file",
            "图片文件名",
            Kind.TEXT,
            True,
            width=34,
            help="与邮件附件中的图片文件名一致，如 WZ-2026-031-1.jpg",
            aliases=("文件名", "图片名称"),
        ),
        Column("activity_id", "活动编号", Kind.REFS, True, refs="activities", width=14, help="图片所属活动的编号"),
        Column("caption", "图片说明", Kind.TEXT, width=50, aliases=("说明", "图片描述")),
    ),
    help="活动现场图片的清单；图片作为邮件附件另行发送（不要插入到表格中）。",
    entry_rows=200,
    freeze="A2",
)

INSTRUCTIONS = Sheet("instructions", "填报说明", Layout.TEXT, aliases=("说明",), freeze="")
CODES = Sheet("codes", "代码表", Layout.CODES, hidden=True, freeze="")
META = Sheet("meta", "元数据", Layout.META, hidden=True, freeze="")

# Keys of the metadata sheet.
META_TEMPLATE_ID = "template_id"
META_VERSION = "template_version"
META_UNIT_CODE = "unit_code"
META_UNIT_NAME = "unit_name"


@lru_cache(maxsize=8)
def build_template(platforms: tuple[str, ...], units: tuple[str, ...]) -> Template:
    """The standard template for the configured platforms and the registry's unit names."""
    code_lists: tuple[CodeList, ...] = (
        CodeList("unit", "填报单位", units, help="单位名录中有效的单位"),
        CodeList("platform", "平台", platforms, help="配置中的志愿服务平台"),
        *cl.FIXED_CODE_LISTS,
    )
    sheets = (INSTRUCTIONS, BASIC, _registration(platforms), TEAMS, ACTIVITIES, EXPERIENCE, PHOTOS, CODES, META)
    return Template(
        template_id=TEMPLATE_ID,
        version=TEMPLATE_VERSION,
        released=TEMPLATE_RELEASED,
        title=TITLE,
        sheets=sheets,
        code_lists=code_lists,
        supported_versions=SUPPORTED_VERSIONS,
    )
