"""The month's 工作简报 draft (.docx, python-docx): what the office otherwise writes up by hand every month.

Laid out as a 公文-style draft the office edits in Word or WPS: title in 方正小标宋 (宋体 where not installed) 二号,
issue line, body in 仿宋_GB2312 三号, first-level headings 一、二、… in 黑体, second-level （一）… in 楷体. Sections:
总体情况 (headline figures, month over month when the store holds the previous month), 报送情况 (on time, late,
not reported), 季度达标, 经验做法 (3–5 excerpts with their units), 图片 (captions). Every figure is the city
workbook's; names of units and teams are data, written as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..consolidate.merge import CityMonth
from ..context import Context
from ..rules.quarterly import MISSED, PENDING
from ..schema import city as C
from ..write.save import save_atomic

TITLE_FONT, BODY_FONT, HEADING_FONT, SUB_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
NUMERALS = "一二三四五六七八九十"
EXCERPTS = 5
EXCERPT_CHARS = 160


def brief_name(month: str) -> str:
    return f"重庆市科技志愿服务工作简报_{month}（草稿）.docx"


def write_brief(path: Path, city: CityMonth, ctx: Context) -> Path:
    return save_atomic(path, lambda tmp: _build(tmp, city, ctx), overwrite=True)  # a draft: rewritten with the month


def _build(path: Path, city: CityMonth, ctx: Context) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4, 公文 margins
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    year, mon = (int(p) for p in city.month.split("-"))

    def para(
        text: str, *, font: str = BODY_FONT, size: float = 16, bold: bool = False, align: Any = None, indent: bool = True
    ) -> None:
        p = doc.add_paragraph()
        p.paragraph_format.line_spacing = Pt(28)
        p.paragraph_format.space_after = Pt(0)
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        run = p.add_run(text)
        run.bold = bold
        run.font.size = Pt(size)
        run.font.name = font
        _east_asian(run, font)

    para("重庆市科技志愿服务工作简报", font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para(f"（{year}年{mon}月）", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para(f"{ctx.settings.receiver.department}", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para("")

    sections = _sections(city)
    for n, (heading, paragraphs) in enumerate(sections):
        para(f"{NUMERALS[n]}、{heading}", font=HEADING_FONT)
        for text, sub in paragraphs:
            para(text, font=SUB_FONT if sub else BODY_FONT)
    para("")
    para("（本简报由 kexie_xl 根据各单位报送的月报自动生成初稿，请核对、修改后印发。）", size=14)
    doc.core_properties.title = f"重庆市科技志愿服务工作简报（{year}年{mon}月）"
    doc.core_properties.author = "kexie_xl"
    doc.save(str(path))


def _east_asian(run: Any, font: str) -> None:
    """Word takes Chinese text's font from w:eastAsia, which python-docx's font.name does not set."""
    from docx.oxml.ns import qn

    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)


def _sections(city: CityMonth) -> list[tuple[str, list[tuple[str, bool]]]]:
    year, mon = (int(p) for p in city.month.split("-"))
    reported = [u for u in city.units if u.submission is not None]
    total = {k: sum(u.values.get(k, 0) for u in reported) for k in ("activities", "volunteers", "hours", "beneficiaries")}
    by = {s: [u.unit.name for u in city.units if u.status == s] for s in (C.ON_TIME, C.LATE, C.UNVERIFIED, C.MISSING, C.REJECTED)}
    overview = [
        (
            f"{year}年{mon}月，全市应报单位 {len(city.units)} 个，已报送 {len(reported)} 个。各单位共开展科技志愿服务活动 "
            f"{total['activities']:.0f} 场次，参与志愿者 {total['volunteers']:.0f} 人次，服务时长 {total['hours']:.1f} 小时，"
            f"受益群众 {total['beneficiaries']:,.0f} 人次。",
            False,
        )
    ]
    kinds: dict[str, int] = {}
    for a in city.detail:
        kinds[a.get("kind") or "其他"] = kinds.get(a.get("kind") or "其他", 0) + 1
    if kinds:
        top = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
        overview.append(("从活动类别看，" + "，".join(f"{k} {v} 场次" for k, v in top) + "。", False))
    year_to_date = [m for m in city.by_month if m[1]]
    if len(year_to_date) > 1:
        overview.append((f"今年以来累计开展活动 {sum(n for _m, n in year_to_date):,} 场次。", False))

    submission = [
        (f"按时报送 {len(by[C.ON_TIME])} 个单位" + (f"：{'、'.join(by[C.ON_TIME])}。" if by[C.ON_TIME] else "。"), False)
    ]
    if by[C.LATE]:
        submission.append((f"逾期报送 {len(by[C.LATE])} 个单位：{'、'.join(by[C.LATE])}。", False))
    if by[C.UNVERIFIED]:
        submission.append((f"报送时间待核实 {len(by[C.UNVERIFIED])} 个单位：{'、'.join(by[C.UNVERIFIED])}。", False))
    if by[C.MISSING] or by[C.REJECTED]:
        names = by[C.MISSING] + by[C.REJECTED]
        submission.append((f"未报送或报表被退回 {len(names)} 个单位：{'、'.join(names)}，请抓紧补报。", False))

    missed = sorted({(city.names.get(s.unit, s.unit), s.team_name) for s in city.quarterly if s.status == MISSED})
    pending = {(s.unit, s.team_id) for s in city.quarterly if s.status == PENDING}
    quarter = [
        (
            f"截至{year}年{mon}月底，未达到每季度至少开展 1 次活动要求的支队 {len(missed)} 个"
            + (f"（{'；'.join(f'{u}{t}' for u, t in missed[:10])}{'等' if len(missed) > 10 else ''}）" if missed else "")
            + f"；本季度尚待开展活动的支队 {len(pending)} 个。",
            False,
        )
    ]
    experience = []
    for i, e in enumerate(city.experience[:EXCERPTS]):
        text = " ".join(str(e.get("text") or "").split())
        cut = text[:EXCERPT_CHARS] + ("……" if len(text) > EXCERPT_CHARS else "")
        experience.append((f"（{NUMERALS[i]}）{e.get('unit')}：{e.get('title') or '经验做法'}", True))
        if cut:
            experience.append((cut, False))
    if not experience:
        experience = [("本月各单位未报送经验做法。", False)]
    photos = [
        (f"{p.get('unit')}：{p.get('caption') or p.get('file')}", False)
        for p in city.photos[:8]
        if p.get("caption") or p.get("file")
    ]
    out = [("总体情况", overview), ("报送情况", submission), ("季度达标情况", quarter), ("经验做法", experience)]
    if photos:
        out.append(("活动图片（选登）", [(f"{len(city.photos)} 张图片已随全市月报归档，以下为部分图片说明：", False), *photos]))
    return out
