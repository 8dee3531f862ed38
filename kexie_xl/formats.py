"""Which spreadsheet format a received file really is — from its content, not its name (pure; used by the intake
and by the file guard).

Clerks save from Excel (.xlsx/.xlsm/.xls/.xlsb), LibreOffice (.ods) and WPS (.et); files get renamed on the way.
`sniff` reads the first bytes and, for a zip package, its member names. The reader (python-calamine) reads .xlsx,
.xlsm, .xlsb, .xls and .ods; everything else gets a message that names the format and the one action that fixes it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Containers the intake does not open, by their first bytes: a unit's workbook may be inside, so the sender is told
# what arrived and what to send instead. TNEF is Outlook's winmail.dat (signature 0x223E9F78, little-endian).
CONTAINER_MAGIC = {b"Rar!\x1a\x07": "rar", b"7z\xbc\xaf\x27\x1c": "7z", b"\x78\x9f\x3e\x22": "tnef"}
SAVE_AS = "请用 Excel 或 WPS 打开它，「另存为」Excel 工作簿（*.xlsx）后再报送"


@dataclass(frozen=True)
class Format:
    key: str
    label: str  # what the clerk calls it
    suffix: str
    readable: bool = False  # checked like .xlsx
    markable: bool = False  # a marked copy can be written into it


FORMATS = {
    f.key: f
    for f in (
        Format("xlsx", "Excel 工作簿", ".xlsx", True, True),
        Format("xlsm", "Excel 启用宏的工作簿", ".xlsm", True, True),
        Format("xlsb", "Excel 二进制工作簿", ".xlsb", True),
        Format("xls", "Excel 97-2003 工作簿", ".xls", True),
        Format("ods", "OpenDocument 电子表格", ".ods", True),
        Format("et", "WPS 表格文件", ".et"),
        Format("doc", "Word 97-2003 文档", ".doc"),
        Format("ppt", "PowerPoint 97-2003 演示文稿", ".ppt"),
        Format("numbers", "Apple Numbers 表格", ".numbers"),
        Format("csv", "CSV 文本文件", ".csv"),
        Format("odf", "OpenDocument 文档（不是电子表格）", ".odt"),
        Format("docx", "Word 文档", ".docx"),
        Format("pptx", "PowerPoint 演示文稿", ".pptx"),
        Format("rar", "RAR 压缩包", ".rar"),
        Format("7z", "7z 压缩包", ".7z"),
        Format("tnef", "Outlook 打包的附件（winmail.dat）", ""),  # named .dat, like many other files
        Format("unknown", "无法识别的文件", ""),
    )
}
BY_SUFFIX = {f.suffix: f for f in FORMATS.values() if f.suffix} | {".ett": FORMATS["et"], ".xlt": FORMATS["xls"]}


def sniff(path: Path) -> Format:
    """The format `path` really has, from its content (an OLE file by its streams, a zip package by its parts)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return FORMATS["unknown"]
    if head.startswith(OLE_MAGIC):
        return _compound(path)
    if head.startswith(ZIP_MAGIC):
        return _package(path)
    for magic, key in CONTAINER_MAGIC.items():
        if head.startswith(magic):
            return FORMATS[key]
    if _suffix(path) == ".csv" or _looks_like_csv(path):
        return FORMATS["csv"]
    return FORMATS["unknown"]


def by_name(name: str) -> Format | None:
    return BY_SUFFIX.get(_suffix(Path(name)))


def mismatch(name: str, found: Format) -> str:
    """A reason when a known format (`found`, from the content) arrived under another format's name (an .ods
    renamed to .xlsx), else ''. Content of no known format (an empty file, a damaged or cut-off package) is no
    other format: the reader says what is wrong with it (「文件是空的」, 「压缩包已损坏」)."""
    named = by_name(name)
    if named is None or found.key in (named.key, "unknown") or {named.key, found.key} <= {"xlsx", "xlsm"}:
        return ""
    return f"这是 {found.label}（{found.suffix}），文件名却是 {PurePosixPath(name).suffix}；{SAVE_AS}"


def refusal(found: Format) -> str:
    """The message for a format the reader cannot check (`found`, from the content)."""
    if found.key == "et":
        return "这是 WPS 表格的 .et 格式，请在 WPS 中「另存为」Excel 工作簿（*.xlsx）后再报送"
    if found.key == "csv":
        return "这是 CSV 文本文件，不是月报工作簿（没有各个工作表）；请使用标准模板填报，保存为 .xlsx 后报送"
    if found.key in ("numbers", "odf", "docx", "pptx", "doc", "ppt"):
        return f"这是 {found.label}，不是 Excel 工作簿；{SAVE_AS}"
    if found.key in ("rar", "7z"):
        return f"这是 {found.label}，只能打开 .zip 压缩包：请直接附上工作簿，或改用 .zip 压缩后重新发送"
    if found.key == "tnef":
        return (
            "这是 Outlook 以「RTF 格式」发信时生成的 winmail.dat，附件被打包在里面、无法取出：请在 Outlook 中把邮件"
            "格式改为 HTML 或纯文本后重新发送工作簿"
        )
    return f"不是 Excel 工作簿（.xlsx/.xlsm/.xls/.xlsb/.ods）；{SAVE_AS}"


CONTAINERS = frozenset(CONTAINER_MAGIC.values())


WPS_MARKS = (b"WPS", b"Kingsoft", b"KSOProductBuildVer")  # in WPS's CompObj / document summary streams
WPS_STREAMS = ("etextdata", "wpscustomdata", "ksoproductbuildver")  # stream names only WPS writes


def _compound(path: Path) -> Format:
    """An OLE compound file: Excel 97-2003 has a `Workbook` (BIFF8) or `Book` (BIFF5) stream — also when WPS saved
    it as .xls; WPS's own .et is told by its name, or, without a `Workbook` stream, by WPS's streams and marks;
    Word and PowerPoint 97-2003 by theirs. A password-protected .xlsx is an OLE file too (the guard says so)."""
    import olefile  # installed with extract-msg; parses the directory only

    named_et = _suffix(path) in (".et", ".ett")
    try:
        with olefile.OleFileIO(str(path)) as ole:
            entries = ole.listdir(streams=True, storages=True)
            tops = {e[0].lower() for e in entries}
            names = {e[-1].lower() for e in entries}
            marks = b"".join(
                ole.openstream(s).read(4096) for s in ("\x01CompObj", "\x05DocumentSummaryInformation") if ole.exists(s)
            )
    except Exception:  # a damaged container: the reader gives its own message
        return FORMATS["et"] if named_et else FORMATS["xls"]
    wps = any(n.startswith(WPS_STREAMS) for n in names) or any(m in marks for m in WPS_MARKS)
    if "encryptedpackage" in tops:
        return FORMATS["xlsm"] if _suffix(path) == ".xlsm" else FORMATS["xlsx"]
    if "workbook" in tops or "book" in tops:
        return FORMATS["et"] if named_et else FORMATS["xls"]
    if wps or named_et:
        return FORMATS["et"]
    if "worddocument" in tops:
        return FORMATS["doc"]
    if "powerpoint document" in tops:
        return FORMATS["ppt"]
    return FORMATS["unknown"]


def _package(path: Path) -> Format:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:80] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, KeyError):
        return FORMATS["unknown"]
    if "xl/workbook.bin" in names:
        return FORMATS["xlsb"]
    if "xl/workbook.xml" in names:
        return FORMATS["xlsm"] if "xl/vbaProject.bin" in names else FORMATS["xlsx"]
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return FORMATS["ods"]
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return FORMATS["odf"]
    if "Index/Document.iwa" in names or any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        return FORMATS["numbers"]
    if "word/document.xml" in names:
        return FORMATS["docx"]
    if "ppt/presentation.xml" in names:
        return FORMATS["pptx"]
    return FORMATS["unknown"]


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _looks_like_csv(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return b"\0" not in head and head.count(b",") >= 3 and b"\n" in head
