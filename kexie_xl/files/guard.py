"""Edge adapter (files): safety checks before any parser sees a file → one clear file-level finding, or None.

Catches: a format the reader cannot check or a file renamed to another format (formats.py), empty, encrypted (an
OLE container holding EncryptionInfo), zip bombs (total size, member count, compression ratio), XML with
DOCTYPE/ENTITY declarations (entity bombs; Excel never writes them), a sheet whose real extent is absurd.
Macros in .xlsm are never executed by kexie_xl; they are left alone.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..findings import Finding, make
from ..formats import OLE_MAGIC, ZIP_MAGIC, mismatch, refusal, sniff
from ..schema.types import column_letter, column_number

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_RATIO = 200  # uncompressed / compressed, for members above 1 MB
MAX_AREA = 25_000_000  # cells between A1 and a sheet's last cell: the reader builds a dense grid of that size
_REF = re.compile(rb'<(?:c|row)\b[^>]*?\br="([A-Z]{0,3})([0-9]{1,7})"')
_BIG = re.compile(rb'r="(?:[A-Z]{0,3}[0-9]{6}|[A-Z]{2})')  # a reference past row 99,999 or column Z (or look-alikes)
_SMALL = (99_999, 26)  # what a block without one can reach


def may_hold_error_cells(xml: bytes) -> bool:
    """Whether sheet XML may hold an error-typed cell (t="e" or t='e'). Sheet XML rarely holds a single quote at
    all: looking for one (memchr) spares most sheets the second search."""
    return b'"e"' in xml or (b"'" in xml and b"'e'" in xml)


def may_hold_formulas(xml: bytes) -> bool:
    """Whether sheet XML may hold a cell's formula. Every formula has its <f> element closed by "f>" (<f>…</f>,
    <x:f>…</x:f> with a namespace prefix; a shared formula's other cells, <f … />, are on the sheet of the one that
    holds it), so one search (memchr speed) clears a sheet without any: a data validation's <formula1> and a
    conditional format's <formula> end otherwise. Excel's x14 dropdown lists (<xm:f>…</xm:f>, a list on another
    sheet) are not cell formulas: a sheet whose every "f>" is theirs holds none."""
    return b"f>" in xml and xml.count(b"f>") > xml.count(b"xm:f>")


def may_need_patching(xml: bytes) -> bool:
    """Whether the reader must look at sheet XML itself (files/calamine.py): for error values, which the engine
    loses, or for formulas saved without their result — the one test both the guard's hint (`clean_sheets`) and
    the reader make, so they cannot disagree."""
    return may_hold_error_cells(xml) or may_hold_formulas(xml)


def inspect(path: Path, name: str | None = None, *, clean_sheets: set[str] | None = None) -> Finding | None:
    """None when the file may be parsed; otherwise the finding that explains why not (`name`: as received).

    `clean_sheets`, when given, receives the worksheet parts the scan found without any error-typed cell (t="e")
    or formula: the reader need not decompress them again to look for either (files/calamine.py read_grid)."""
    name = name or path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        return make("file.unreadable", file=name, reason=f"无法打开（{exc.strerror or exc}）")
    if size == 0:
        return make("file.unreadable", file=name, reason="文件是空的（0 字节）")
    if size > MAX_FILE_BYTES:
        return make("file.too-large", file=name, reason=f"文件有 {size / 1024 / 1024:.0f} MB，超过 50 MB")
    encrypted = _ole(path, name) if head.startswith(OLE_MAGIC) else None  # reads the file once
    if encrypted is not None:
        return encrypted
    if head.startswith(ZIP_MAGIC):
        damaged = _zip(path, name, clean_sheets)  # a damaged package or a bomb says so before its format is looked at
        if damaged is not None:
            return damaged
    found = sniff(path)
    if not found.readable:
        return make("file.format", file=name, reason=refusal(found))
    renamed = mismatch(name, found)
    if renamed:
        return make("file.format", file=name, reason=renamed)
    return None


def _ole(path: Path, name: str) -> Finding | None:
    """Legacy .xls is fine; an OLE container with EncryptionInfo is a password-protected .xlsx."""
    data = path.read_bytes()
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return make("file.encrypted", file=name)
    return None


def _zip(path: Path, name: str, clean_sheets: set[str] | None = None) -> Finding | None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                return make("file.too-large", file=name, reason=f"压缩包内有 {len(infos)} 个部件，疑似压缩炸弹")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNZIPPED_BYTES:
                return make("file.too-large", file=name, reason=f"解压后有 {total / 1024 / 1024:.0f} MB，疑似压缩炸弹")
            for info in infos:
                if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    return make("file.too-large", file=name, reason=f"部件 {info.filename} 压缩比异常，疑似压缩炸弹")
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as member:
                        head = member.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        return make("file.unsafe", file=name, reason=f"{info.filename} 含有 XML 实体声明")
            scanned: set[str] = set()
            dirty: set[str] = set()  # a name twice in a damaged or hostile package: dirty if either is
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    problem, patch = _extent(zf, info, name)
                    if problem is not None:
                        return problem
                    (dirty if patch else scanned).add(info.filename)
            if clean_sheets is not None:
                clean_sheets |= scanned - dirty
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        return make("file.unreadable", file=name, reason=f"压缩包已损坏（{exc}）")
    return None


def _extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> tuple[Finding | None, bool]:
    """The real extent of a sheet (its last row and column that hold a cell), scanned from the XML — not the
    declared dimension, which WPS writes wrongly. One stray value in XFD1048576 would make the reader build a
    grid of 17 billion cells.

    Most blocks of a sheet hold no row past 99,999 and no column past Z: one regex search says so, and such a block
    is bounded by (99,999, Z) instead of reading every cell reference (a third of the time of a 1,000-row check).
    Only blocks with a larger reference are scanned exactly, and the whole sheet again if the bound is too large.
    Also says whether the reader must look at the sheet's XML (`may_need_patching`)."""
    exact, bounded, patch = _scan(zf, info, quick=True)
    last_row, last_col = max(exact[0], bounded[0]), max(exact[1], bounded[1])
    if last_row * max(last_col, 1) > MAX_AREA and bounded != (0, 0):
        (last_row, last_col), _, _ = _scan(zf, info, quick=False)
    if last_row * max(last_col, 1) > MAX_AREA:
        letters = column_letter(max(last_col, 1))
        return make(
            "file.too-large",
            file=name,
            reason=f"工作表的数据区域延伸到 {letters}{last_row}（{last_row:,} 行 × {last_col:,} 列），"
            "远超月报所需；请在 Excel/WPS 中按 Ctrl+End 找到最后一个单元格，删除多余的行列后重新保存",
        ), patch
    return None, patch


def _scan(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, quick: bool) -> tuple[tuple[int, int], tuple[int, int], bool]:
    """(last row, last column) over the blocks scanned exactly, the bound of the blocks that had no large
    reference (`quick`; (0, 0) when there were none), and whether any block may hold an error-typed cell or a
    formula (`may_need_patching`) — streamed in 1 MB blocks, never the whole sheet at once."""
    last_row = last_col = 0
    bounded = (0, 0)
    patch = False
    tail = b""
    with zf.open(info) as member:
        for block in iter(lambda: member.read(1 << 20), b""):
            data = tail + block
            tail = data[-256:]
            patch = patch or may_need_patching(data)
            if quick and _BIG.search(data) is None:
                bounded = _SMALL
                continue
            refs = _REF.findall(data)
            if refs:  # max over the block in C (map/zip), column letters looked up once each
                cols, rows = zip(*refs, strict=True)
                last_row = max(last_row, *map(int, rows))
                named = set(cols) - {b""}
                if named:
                    last_col = max(last_col, *map(column_number, named))
    return (last_row, last_col), bounded, patch
