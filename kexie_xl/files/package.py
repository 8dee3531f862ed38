"""Edge adapter (files): an .xlsx/.xlsm package opened as its parts, edited part by part, written back whole.

openpyxl's load-and-save drops images, charts, x14 validations and more; editing only the parts we change
(sheet XML, styles, comments, one new sheet) keeps everything else byte for byte. XML is parsed without
entities, network access or huge-tree mode.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS = {"s": S, "r": R, "pr": PR, "ct": CT}

REL_WORKSHEET = f"{R}/worksheet"
REL_COMMENTS = f"{R}/comments"
REL_VML = f"{R}/vmlDrawing"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class Package:
    """The parts of a zip package by name, in their original order; changed parts are re-serialised on save."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as zf:
            self.infos = {i.filename: i for i in zf.infolist()}
            self.data = {name: zf.read(name) for name in self.infos}
        self._xml: dict[str, etree._Element] = {}

    # Parts

    def xml(self, name: str) -> etree._Element:
        if name not in self._xml:
            self._xml[name] = parse(self.data[name])
        return self._xml[name]

    def has(self, name: str) -> bool:
        return name in self.data or name in self._xml

    def put_xml(self, name: str, root: etree._Element) -> None:
        self._xml[name] = root
        self.data.setdefault(name, b"")

    def put_bytes(self, name: str, data: bytes) -> None:
        self._xml.pop(name, None)
        self.data[name] = data

    def remove(self, name: str) -> None:
        self.data.pop(name, None)
        self._xml.pop(name, None)
        self.infos.pop(name, None)

    def unused(self, pattern: str) -> str:
        """The first free part name for a pattern like 'xl/comments{}.xml'."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    # Relationships

    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def rels(self, part: str) -> etree._Element:
        name = self.rels_name(part)
        if not self.has(name):
            self.put_xml(name, etree.Element(f"{{{PR}}}Relationships", nsmap={None: PR}))
        return self.xml(name)

    def related(self, part: str, rel_type: str) -> list[tuple[str, str]]:
        """(rId, target part name) of the part's relationships of one type."""
        if not self.has(self.rels_name(part)):
            return []
        folder = posixpath.dirname(part)
        out = []
        for rel in self.rels(part).findall("pr:Relationship", NS):
            if rel.get("Type") == rel_type and rel.get("TargetMode") != "External":
                out.append((rel.get("Id"), _resolve(folder, rel.get("Target"))))
        return out

    def relate(self, part: str, rel_type: str, target: str) -> str:
        rels = self.rels(part)
        taken = {r.get("Id") for r in rels}
        n = 1
        while f"rId{n}" in taken:
            n += 1
        rid = f"rId{n}"
        rel = etree.SubElement(rels, f"{{{PR}}}Relationship")
        rel.set("Id", rid)
        rel.set("Type", rel_type)
        rel.set("Target", posixpath.relpath(target, posixpath.dirname(part)))
        return rid

    def unrelate(self, part: str, rid: str) -> None:
        rels = self.rels(part)
        for rel in rels.findall("pr:Relationship", NS):
            if rel.get("Id") == rid:
                rels.remove(rel)

    # Content types

    def content_type(self, part: str, ctype: str | None) -> None:
        """Declare (or with None, drop) an Override for `part`."""
        types = self.xml("[Content_Types].xml")
        for node in types.findall("ct:Override", NS):
            if node.get("PartName") == "/" + part:
                types.remove(node)
        if ctype:
            node = etree.SubElement(types, f"{{{CT}}}Override")
            node.set("PartName", "/" + part)
            node.set("ContentType", ctype)

    def default_type(self, extension: str, ctype: str) -> None:
        types = self.xml("[Content_Types].xml")
        if any(d.get("Extension") == extension for d in types.findall("ct:Default", NS)):
            return
        node = etree.Element(f"{{{CT}}}Default")
        node.set("Extension", extension)
        node.set("ContentType", ctype)
        types.insert(0, node)

    # Workbook

    def sheets(self) -> list[tuple[str, str, etree._Element]]:
        """(sheet name, part name, <sheet> element) in workbook order."""
        wb = self.xml("xl/workbook.xml")
        targets = dict(self.related("xl/workbook.xml", REL_WORKSHEET))
        out = []
        for sheet in wb.findall("s:sheets/s:sheet", NS):
            part = targets.get(sheet.get(f"{{{R}}}id"))
            if part:
                out.append((sheet.get("name"), part, sheet))
        return out

    # Save

    def save(self, path: Path) -> None:
        for name, root in self._xml.items():
            self.data[name] = dump(root)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.data.items():
                info = self.infos.get(name)
                if info is None:
                    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))
