"""Build workbook/kexie_xl.xlam from macros/ on any OS: VBA project via pyOpenVBA, ribbon part written by us.

The add-in holds: KexieRibbon (our dispatcher, from macros/), the xlwings VBA of the pinned xlwings version
(`xlwings_custom_addin.bas` as module `xlwings`, PROJECT_NAME set to kexie_xl, and `Dictionary.cls`, licence
headers kept), and customUI14.xml with its relationship. Clerks need no separate xlwings add-in.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ADDIN_NAME = "kexie_xl"
ADDIN_FILE = "kexie_xl.xlam"
CUSTOMUI_PART = "customUI/customUI14.xml"
CUSTOMUI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
STAMP = (2026, 1, 1, 0, 0, 0)
# [MS-OVBA] 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00, Reserved3 0x0000 and no performance cache.
# Version 0xFFFF matches no Excel, so every Excel (32/64-bit, any build) compiles the project from its source —
# the form xlwings ships in its own add-ins. The builder's template keeps its own version byte (0xB5) instead.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x00\x00"


@dataclass(frozen=True)
class Module:
    name: str
    source: str  # CRLF text, without the Attribute VB_Name line
    kind: str  # "standard" or "class"


def xlwings_sources() -> list[Module]:
    """The xlwings VBA of the installed (pinned) xlwings, as modules of our project."""
    import importlib.util

    spec = importlib.util.find_spec("xlwings")  # located, not imported: xlwings belongs to the Excel layer
    if spec is None or spec.origin is None:
        raise RuntimeError("xlwings is not installed; `pip install kexie-xl` installs the pinned version")
    root = Path(spec.origin).parent
    main = _crlf((root / "xlwings_custom_addin.bas").read_text(encoding="ascii"))  # shipped with LF endings
    main = re.sub(r'(Public Const PROJECT_NAME As String = )"[^"]*"', rf'\1"{ADDIN_NAME}"', main)
    main = lean_bootstrap(main)
    dictionary = _crlf((root / "addin" / "Dictionary.cls").read_text(encoding="ascii"))
    return [Module("xlwings", _strip_name(main), "standard"), Module("Dictionary", dictionary, "class")]


# xlwings' RunPython on Windows starts `python -B -c "import xlwings.utils;…; <our command>"`: importing xlwings
# imports pandas and numpy when installed. The add-in's copy imports kexie_xl.xl.lean first, which blocks both for
# that process (see there): 0.3–0.5 s less per click.
RUNPYTHON_BOOTSTRAP = '" -B -c ""import xlwings.utils;'
LEAN_BOOTSTRAP = '" -B -c ""import kexie_xl.xl.lean;import xlwings.utils;'


def lean_bootstrap(main: str) -> str:
    """xlwings' VBA with the lean start in its RunPython command (exactly one place; any other layout is an error:
    a new xlwings version must be looked at before it is embedded)."""
    if main.count(RUNPYTHON_BOOTSTRAP) != 1:
        raise RuntimeError("xlwings' RunPython command is not where kexie_xl expects it; check the pinned xlwings version")
    return main.replace(RUNPYTHON_BOOTSTRAP, LEAN_BOOTSTRAP)


def macro_sources(macros: Path) -> list[Module]:
    out = []
    for path in sorted(macros.glob("*.bas")):
        text = ascii_literals(_crlf(path.read_bytes().decode("utf-8")), path.name)
        out.append(Module(_module_name(text, path), _strip_name(text), "standard"))
    return out


LITERAL = re.compile(r'"((?:[^"\r\n]|"")*)"')


def ascii_literals(source: str, name: str = "VBA") -> str:
    """The module as VBA will read it on any Windows code page: every string literal holding Chinese (or any
    non-ASCII text) becomes a ChrW() expression; non-ASCII anywhere else (a comment, a name) is an error."""

    def literal(match: re.Match[str]) -> str:
        text = match.group(0)
        return text if text.isascii() else vba_string(match.group(1).replace('""', '"'))

    lines = []
    for line in re.split(r"\r?\n", source):
        code, quote, comment = _split_comment(line)
        lines.append(LITERAL.sub(literal, code) + quote + comment)
    out = "\r\n".join(lines)
    if not out.isascii():
        raise ValueError(f"{name}: non-ASCII text outside a string literal (VBA reads source in the ANSI code page)")
    return out


def _split_comment(line: str) -> tuple[str, str, str]:
    """(code, "'", comment) split at the first apostrophe outside a string literal."""
    inside = False
    for i, ch in enumerate(line):
        if ch == '"':
            inside = not inside
        elif ch == "'" and not inside:
            return line[:i], "'", line[i + 1 :]
    return line, "", ""


def vba_string(text: str) -> str:
    """A VBA string expression for any text, ASCII only: non-ASCII characters become ChrW(&Hxxxx) at build time,
    so the source reads the same whatever the Windows code page."""
    parts, plain = [], ""
    for ch in text:
        if ord(ch) < 128 and ch != '"':
            plain += ch
            continue
        if plain:
            parts.append(f'"{plain}"')
            plain = ""
        parts.append('""""' if ch == '"' else f"ChrW(&H{ord(ch):04X})")
    if plain or not parts:
        parts.append(f'"{plain}"')
    return " & ".join(parts)


SMOKE = """Option Explicit
' Smoke test (tests only): proves the project loads and runs, and how non-ASCII text is carried (ChrW).
Public Sub KexieSmokeWrite()
    Worksheets(1).Range("A1").Value = "hello from VBA"
    Worksheets(1).Range("B1").Value = 42
    Worksheets(1).Range("C1").Value = {label}
    Worksheets(1).Range("D1").Value = KexieBookFree("kx_merge_folder")
    Worksheets(1).Range("E1").Value = KexieBookFree("kx_validate")
End Sub
"""


def build_smoke(macros: Path, target: Path, label: str = "科技志愿服务") -> Path:
    """A macro workbook (.xlsm) with our modules and a smoke Sub, without xlwings (which LibreOffice cannot run)."""
    smoke = Module("KexieSmoke", SMOKE.format(label=vba_string(label)).replace("\n", "\r\n"), "standard")
    return _build([*macro_sources(macros), smoke], None, target)


def build_addin(macros: Path, target: Path) -> Path:
    """Write the add-in to `target` (atomically)."""
    modules = [*macro_sources(macros), *xlwings_sources()]
    return _build(modules, (macros / "customUI14.xml").read_bytes(), target)


def _build(modules: list[Module], customui: bytes | None, target: Path) -> Path:
    from pyopenvba import ExcelFile, VBAModuleKind

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / target.name
        with ExcelFile.create_new(raw) as wb:
            project = wb.vba_project()
            for module in project.modules:  # the template's ThisWorkbook and Sheet1 carry compiled code: keep the source only
                if module.text_offset:
                    module.body = module.body
            project.delete_module("Module1")
            for module in modules:
                kind = VBAModuleKind.other if module.kind == "class" else VBAModuleKind.standard
                project.add_module(module.name, module.source, kind=kind)
            wb.save()
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".~{target.name}")
        _add_ribbon(raw, staged, customui)
        os.replace(staged, target)
    return target


def _add_ribbon(source: Path, target: Path, customui: bytes | None) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/vbaProject.bin":
                data = _without_cache(data)
            if info.filename == "_rels/.rels" and customui is not None:
                rel = (f'<Relationship Id="rIdKexieUI" Type="{CUSTOMUI_REL}" Target="{CUSTOMUI_PART}"/>').encode()
                data = data.replace(b"</Relationships>", rel + b"</Relationships>")
            zout.writestr(_fixed(info.filename), data)
        if customui is not None:
            zout.writestr(_fixed(CUSTOMUI_PART), customui)


def _without_cache(project: bytes) -> bytes:
    """The project with the 7-byte `_VBA_PROJECT` stream (no version-bound cache), written by pyOpenVBA's CFB."""
    from pyopenvba.cfb import CFB

    cfb = CFB.from_bytes(project)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return cfb.to_bytes()


def _crlf(text: str) -> str:
    """VBA source lines end in CRLF (xlwings ships its .bas/.cls with LF)."""
    return re.sub(r"\r?\n", "\r\n", text)


def _fixed(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _module_name(text: str, path: Path) -> str:
    match = re.search(r'^Attribute VB_Name = "([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else path.stem


def _strip_name(text: str) -> str:
    return re.sub(r'^Attribute VB_Name = "[^"]+"\r?\n', "", text, count=1)
