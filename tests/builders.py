"""Small, clean unit workbooks built from the schema, and ways to damage them the way real files get damaged."""

from __future__ import annotations

import copy
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from kexie_xl.config import Settings
from kexie_xl.schema.codelists import REGISTRATION_ITEM
from kexie_xl.write.template import Contact, Filling, write_template

AS_OF = date(2026, 11, 30)
CONTACT = Contact("重庆市科协宣传文化部", "联系人", "63003526", "kx@example.cn", 23)


def clean_filling(settings: Settings | None = None) -> Filling:
    """万州区科协, 2026-11: two 支队 and a 分队, activities in every quarter, registration for both platforms."""
    platforms = (settings or Settings()).platform_names
    registration = [{"platform": p, "item": item, "total": 100, "new": 3} for p in platforms
                    for item in REGISTRATION_ITEM.items]
    teams = [
        _team("T00", "万州区科技志愿服务总队", "总队", None, date(2019, 5, 1)),
        _team("T01", "万州区农业科技志愿服务支队", "支队", "T00", date(2020, 3, 1)),
        _team("T02", "万州区应急科技志愿服务支队", "支队", "T00", date(2021, 6, 1)),
        _team("T01-1", "万州区农业科技志愿服务支队第一分队", "分队", "T01", date(2022, 1, 10)),
    ]
    activities = []
    for n, (day, team, kind) in enumerate([
        (date(2026, 2, 10), "T01", "进农村"), (date(2026, 3, 5), "T02", "应急科普"),
        (date(2026, 5, 20), "T01", "进农村"), (date(2026, 6, 3), "T02", "进社区"),
        (date(2026, 8, 12), "T01-1", "进农村"), (date(2026, 9, 9), "T02", "进校园"),
        (date(2026, 10, 15), "T01", "进农村"), (date(2026, 11, 6), "T02", "应急科普"),
    ], start=1):
        activities.append({
            "activity_id": f"A2026-{n:03d}", "date": day, "team_ids": team, "name": f"{kind}科普活动{n}",
            "kind": kind, "form": "科普讲座", "audience": "社区居民", "venue": "新时代文明实践站",
            "place": "龙宝镇·光明村", "delivery": "线下", "mode": "需求式邀课", "key_event": None,
            "script_no": 12, "volunteers": 8, "hours": 2.5, "beneficiaries": 120, "photos": None,
            "report_url": None, "remark": None,
        })
    return Filling(
        basic={"unit": "万州区科协", "report_month": "2026-11", "reporter": "王芳", "phone": "13812345678",
               "email": "wz@example.cn", "report_date": date(2026, 11, 20), "no_activity": None, "remark": None},
        rows={
            "registration": registration, "teams": teams, "activities": activities,
            "experience": [{"title": "订单式服务", "text": "做法……", "activity_ids": "A2026-007、A2026-008"}],
            "photos": [{"file": "A2026-008-1.jpg", "activity_id": "A2026-008", "caption": "现场"}],
        },
        meta={"unit_code": "500101", "unit_name": "万州区科协"},
    )


def _team(tid: str, name: str, level: str, parent: str | None, founded: date) -> dict[str, Any]:
    return {"team_id": tid, "name": name, "level": level, "parent_id": parent, "town": "龙宝镇", "leader": "李强",
            "leader_role": "学校校长", "phone": "023-58123456", "members": 20, "field": "农业技术",
            "founded": founded, "status": "在册", "dissolved": None, "remark": None}


def write(path: Path, template: Any, filling: Filling) -> Path:
    return write_template(path, template, CONTACT, filling, overwrite=True)


def changed(filling: Filling, sheet: str, index: int | None, **values: Any) -> Filling:
    """A copy of `filling` with `values` set on row `index` of `sheet` (a new row when index is None)."""
    out = copy.deepcopy(filling)
    if sheet == "basic":
        out.basic.update(values)  # type: ignore[attr-defined]
        return out
    rows = out.rows[sheet]  # type: ignore[index]
    if index is None:
        rows.append({**copy.deepcopy(rows[-1]), **values})
    else:
        rows[index].update(values)
    return out


def patch_part(path: Path, part: str, edit: Any) -> None:
    """Rewrite one part of an .xlsx with `edit(text) -> text` (for damage no library would write)."""
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zf.writestr(info, data)


def sheet_part(path: Path, name: str) -> str:
    """The part name of a worksheet, looked up through workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{re.escape(name)}"[^>]*r:id="(rId\d+)"', wb).group(1)
    target = re.search(rf'<Relationship[^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
