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
    registration = [{"platform": p, "item": item, "total": 100, "new": 3} for p in platforms for item in REGISTRATION_ITEM.items]
    teams = [
        _team("T00", "万州区科技志愿服务总队", "总队", None, date(2019, 5, 1)),
        _team("T01", "万州区农业科技志愿服务支队", "支队", "T00", date(2020, 3, 1)),
        _team("T02", "万州区应急科技志愿服务支队", "支队", "T00", date(2021, 6, 1)),
        _team("T01-1", "万州区农业科技志愿服务支队第一分队", "分队", "T01", date(2022, 1, 10)),
    ]
    activities = []
    for n, (day, team, kind) in enumerate(
        [
            (date(2026, 2, 10), "T01", "进农村"),
            (date(2026, 3, 5), "T02", "应急科普"),
            (date(2026, 5, 20), "T01", "进农村"),
            (date(2026, 6, 3), "T02", "进社区"),
            (date(2026, 8, 12), "T01-1", "进农村"),
            (date(2026, 9, 9), "T02", "进校园"),
            (date(2026, 10, 15), "T01", "进农村"),
            (date(2026, 11, 6), "T02", "应急科普"),
        ],
        start=1,
    ):
        activities.append(
            {
                "activity_id": f"A2026-{n:03d}",
                "date": day,
                "team_ids": team,
                "name": f"{kind}科普活动{n}",
                "kind": kind,
                "form": "科普讲座",
                "audience": "社区居民",
                "venue": "新时代文明实践站",
                "place": "龙宝镇·光明村",
                "delivery": "线下",
                "mode": "需求式邀课",
                "key_event": None,
                "script_no": 12,
                "volunteers": 8,
                "hours": 2.5,
                "beneficiaries": 120,
                "photos": None,
                "report_url": None,
                "remark": None,
            }
        )
    return Filling(
        basic={
            "unit": "万州区科协",
            "report_month": "2026-11",
            "reporter": "王芳",
            "phone": "13812345678",
            "email": "wz@example.cn",
            "report_date": date(2026, 11, 20),
            "no_activity": None,
            "remark": None,
        },
        rows={
            "registration": registration,
            "teams": teams,
            "activities": activities,
            "experience": [{"title": "订单式服务", "text": "做法……", "activity_ids": "A2026-007、A2026-008"}],
            "photos": [{"file": "A2026-008-1.jpg", "activity_id": "A2026-008", "caption": "现场"}],
        },
        meta={"unit_code": "500101", "unit_name": "万州区科协"},
    )


def _team(tid: str, name: str, level: str, parent: str | None, founded: date) -> dict[str, Any]:
    return {
        "team_id": tid,
        "name": name,
        "level": level,
        "parent_id": parent,
        "town": "龙宝镇",
        "leader": "李强",
        "leader_role": "学校校长",
        "phone": "023-58123456",
        "members": 20,
        "field": "农业技术",
        "founded": founded,
        "status": "在册",
        "dissolved": None,
        "remark": None,
    }


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


# Extra content a unit's workbook may carry, which marking must keep


DRAWING = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>20</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>23</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>8</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="现场照片"/><xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="1371600"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"""
DRAWING_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image1.png"/></Relationships>"""
X14 = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1><xm:f>代码表!$H$2:$H$8</xm:f>'
    "</x14:formula1><xm:sqref>T2:T100</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
)


def add_image_and_x14(path: Path, sheet_name: str, png: bytes) -> str:
    """Give a worksheet a picture and an Excel-2010 (x14) cross-sheet validation; returns the sheet's part."""
    part = sheet_part(path, sheet_name)
    rels_part = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    rel = (
        '<Relationship Id="rIdPic1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'drawing" Target="../drawings/drawing1.xml"/>'
    )
    if rels_part in members:
        members[rels_part] = members[rels_part].replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    else:
        members[rels_part] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            f'"http://schemas.openxmlformats.org/package/2006/relationships">{rel}</Relationships>'
        ).encode()
    sheet = members[part].decode()
    drawing = '<drawing r:id="rIdPic1"/>'
    if "xmlns:r=" not in sheet.split(">", 2)[1]:
        sheet = sheet.replace(
            "<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1
        )
    sheet = sheet.replace("</worksheet>", drawing + X14 + "</worksheet>")
    members[part] = sheet.encode()
    members["xl/drawings/drawing1.xml"] = DRAWING.encode()
    members["xl/drawings/_rels/drawing1.xml.rels"] = DRAWING_RELS.encode()
    members["xl/media/image1.png"] = png
    types = members["[Content_Types].xml"].decode()
    types = types.replace("<Default ", '<Default Extension="png" ContentType="image/png"/><Default ', 1).replace(
        "</Types>",
        '<Override PartName="/xl/drawings/drawing1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
    )
    members["[Content_Types].xml"] = types.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return part


def add_vba(path: Path, target: Path) -> bytes:
    """Copy an .xlsx to an .xlsm carrying a (dummy) VBA project part, as a macro workbook has."""
    blob = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["xl/vbaProject.bin"] = blob
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    types = (
        members["[Content_Types].xml"]
        .decode()
        .replace(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        .replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    )
    members["[Content_Types].xml"] = types.encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return blob
