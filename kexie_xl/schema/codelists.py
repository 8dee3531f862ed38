"""Schema ①: the code lists behind the template's dropdowns (labels from 渝科协发〔2020〕96号 and domain research).

Lists whose items come from configuration or the unit registry (平台, 填报单位) are filled in by
`standard.build_template`; everything else is fixed here. Every list that a clerk may need to extend ends in 其他.
"""

from __future__ import annotations

from .types import CodeList

VOLUNTEER_SOURCE = CodeList(
    "volunteer_source",
    "志愿者来源",
    (
        "科技工作者",
        "科协工作人员",
        "科普场馆辅导员",
        "青少年科技辅导员",
        "农业技术人才",
        "大学生",
        '基层"三长"',
        "科普中国信息员",
        "其他",
    ),
    aliases=(
        ("基层科协三长", '基层"三长"'),
        ("基层“三长”", '基层"三长"'),
        ("基层科协“三长”", '基层"三长"'),
        ("三长", '基层"三长"'),
    ),
    help="通知列举的科技志愿者来源",
)

# 注册情况's 统计项: the volunteer sources (people) and the registered teams (count of teams).
TEAM_ITEM = "注册科技志愿服务队伍（个）"
REGISTRATION_ITEM = CodeList(
    "registration_item",
    "统计项",
    (*VOLUNTEER_SOURCE.items, TEAM_ITEM),
    aliases=(*VOLUNTEER_SOURCE.aliases, ("注册队伍", TEAM_ITEM), ("志愿服务队伍", TEAM_ITEM)),
)

TEAM_LEVEL = CodeList("team_level", "队伍层级", ("总队", "支队", "大队", "分队", "小队"))

TEAM_STATUS = CodeList("team_status", "队伍状态", ("在册", "撤销"), aliases=(("正常", "在册"), ("已撤销", "撤销")))

LEADER_ROLE = CodeList(
    "leader_role",
    "队长身份",
    ("学校校长", "医院院长", "农技站站长", "科技工作者", "科协工作人员", "其他"),
    aliases=(("校长", "学校校长"), ("院长", "医院院长"), ("站长", "农技站站长")),
)

ACTIVITY_KIND = CodeList(
    "activity_kind",
    "活动类别",
    ("进校园", "进农村", "进社区", "进企业（园区）", "进机关", "应急科普", "其他"),
    aliases=(("进企业", "进企业（园区）"), ("进园区", "进企业（园区）"), ("进企业(园区)", "进企业（园区）")),
    help="通知第三部分的六类活动",
)

ACTIVITY_FORM = CodeList(
    "activity_form",
    "活动形式",
    (
        "科普讲座",
        "科技培训",
        "科技咨询",
        "科技推广",
        "科普展览",
        "科普讲解",
        "科普宣传",
        "科普报告",
        "科普讲坛",
        "科技教育",
        "科技竞赛",
        "创客大赛",
        "科学表演",
        "科普（科幻）电影放映",
        "科学家与媒体面对面",
        "理论宣讲",
        "农技推广",
        "田间课堂",
        "网络科普",
        "健康义诊",
        "其他",
    ),
)

AUDIENCE = CodeList(
    "audience",
    "服务对象",
    (
        "青少年",
        "学龄前儿童",
        "农民",
        "城镇劳动者",
        "进城务工人员",
        "待业人员",
        "老年人",
        "社区居民",
        "企业管理人员",
        "企业科技人员",
        "企业职工",
        "领导干部和公务员",
        "其他",
    ),
    aliases=(("学生", "青少年"), ("居民", "社区居民"), ("职工", "企业职工"), ("公务员", "领导干部和公务员")),
)

VENUE = CodeList(
    "venue",
    "服务阵地",
    (
        "新时代文明实践中心",
        "新时代文明实践所",
        "新时代文明实践站",
        "文明实践点",
        "党群服务中心",
        "科技馆",
        "流动科技馆",
        "科普大篷车",
        "农村中学科技馆",
        "科普活动室（站）",
        "科普教育（示范）基地",
        "社区科普大学",
        "农技协科技小院",
        "学校",
        "企业（园区）",
        "机关/党校/行政学院",
        "线上平台",
        "其他",
    ),
    aliases=(
        ("文明实践中心", "新时代文明实践中心"),
        ("文明实践所", "新时代文明实践所"),
        ("文明实践站", "新时代文明实践站"),
    ),
)

DELIVERY = CodeList(
    "delivery",
    "开展方式",
    ("线下", "线上", "线上线下结合"),
    aliases=(("线上线下", "线上线下结合"), ("线上+线下", "线上线下结合")),
)

SERVICE_MODE = CodeList("service_mode", "服务模式", ("订单式服务", "需求式邀课", "自主开展"))

KEY_EVENT = CodeList(
    "key_event",
    "重点节点",
    (
        "无",
        "学雷锋纪念日",
        "学雷锋科技志愿服务周",
        "全国科技活动周",
        "全国科技工作者日",
        "全国科普日",
        "全国科普月",
        "国际志愿者日",
        "文化科技卫生三下乡",
        "梦想驿站",
        "其他",
    ),
    aliases=(
        ("科普日", "全国科普日"),
        ("科普月", "全国科普月"),
        ("科技活动周", "全国科技活动周"),
        ("科技工作者日", "全国科技工作者日"),
        ("三下乡", "文化科技卫生三下乡"),
        ("“三下乡”", "文化科技卫生三下乡"),
        ("文化科技卫生“三下乡”", "文化科技卫生三下乡"),
        ("“梦想驿站”", "梦想驿站"),
        ("学雷锋日", "学雷锋纪念日"),
    ),
    help="日期见配置中的重点节点日历",
)

FIELD = CodeList(
    "field",
    "专业领域",
    ("农业技术", "医疗卫生", "教育/青少年科技", "应急安全", "生态环保", "信息技术", "工程技术", "综合", "其他"),
    aliases=(("健康", "医疗卫生"), ("医疗卫生/健康", "医疗卫生"), ("信息技术/数字化", "信息技术")),
)

YESNO = CodeList("yesno", "是否", ("是", "否"), aliases=(("Y", "是"), ("N", "否"), ("有", "是"), ("无", "否")))

FIXED_CODE_LISTS: tuple[CodeList, ...] = (
    VOLUNTEER_SOURCE,
    REGISTRATION_ITEM,
    TEAM_LEVEL,
    TEAM_STATUS,
    LEADER_ROLE,
    ACTIVITY_KIND,
    ACTIVITY_FORM,
    AUDIENCE,
    VENUE,
    DELIVERY,
    SERVICE_MODE,
    KEY_EVENT,
    FIELD,
    YESNO,
)
