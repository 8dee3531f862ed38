"""Install the add-in for the current user, report its state, remove it, and diagnose what usually breaks it.

Excel loads every workbook in the user's XLSTART folder at start-up, so installing is a copy there. RunPython
finds the Python to start through the xlwings configuration file of the project (~/.kexie_xl/kexie_xl.conf, the
PROJECT_NAME set at build time), which is written here with this interpreter's path — in the encoding VBA reads
it with (`Open … For Input` reads the ANSI code page: cp936 on Chinese Windows), so a Chinese user folder works.

macOS is not supported: VBA there runs sandboxed, reads its configuration from the Office container and needs
xlwings' AppleScript installed beside it; `install` refuses rather than leave buttons that cannot work.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..errors import KexieError
from .build import ADDIN_FILE, ADDIN_NAME

PINNED_XLWINGS = "0.37.8"


@dataclass(frozen=True)
class Place:
    """Where the add-in and the xlwings configuration live for this user."""

    xlstart: Path
    conf: Path
    interpreter_key: str
    encoding: str = "cp936"  # the ANSI code page VBA reads the configuration file in


def place(
    system: str | None = None, home: Path | None = None, appdata: Path | None = None, code_page: str | None = None
) -> Place:
    """Where things go for this user. `code_page` is Windows' ANSI code page (asked from Windows when running
    there; given by tests, which run elsewhere)."""
    system = system or sys.platform
    home = home or Path.home()
    conf = home / f".{ADDIN_NAME}" / f"{ADDIN_NAME}.conf"
    if system.startswith("win"):
        appdata = appdata or Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
        return Place(appdata / "Microsoft" / "Excel" / "XLSTART", conf, "INTERPRETER_WIN", code_page or _ansi_code_page())
    if system == "darwin":
        raise KexieError(
            "暂不支持 macOS 上的 Excel：Mac 版 Excel 的宏运行在沙盒中，按钮无法启动 Python。"
            "请在 Windows 电脑上安装加载项，或在 Mac 上使用命令行（kexie-xl validate / run 等）。"
        )
    raise KexieError("Excel 加载项只能安装在 Windows 上；Linux 服务器请使用命令行（kexie-xl run 等）。")


def _ansi_code_page() -> str:
    """Windows' ANSI code page (what VBA's file input uses), e.g. cp936; cp936 when not running on Windows."""
    if sys.platform.startswith("win"):
        import ctypes

        return f"cp{ctypes.windll.kernel32.GetACP()}"  # type: ignore[attr-defined]
    return "cp936"


def install(addin: Path, where: Place, python: str | None = None) -> list[str]:
    """Copy the add-in into XLSTART and point xlwings at this Python; returns what was done, in Chinese."""
    if not addin.is_file():
        raise KexieError(f"找不到加载项文件「{addin}」：请在仓库目录中运行，或先执行 kexie-xl addin build。")
    interpreter = python or sys.executable
    line = f'"{where.interpreter_key}","{interpreter}"\r\n'
    try:
        data = line.encode(where.encoding)
    except UnicodeEncodeError:
        raise KexieError(
            f"Python 的路径「{interpreter}」含有系统代码页（{where.encoding}）无法表示的字符，Excel 读不到它："
            "请把 Python 安装到只含中英文字符的路径（如 C:\\Python312），再运行 kexie-xl addin install。"
        ) from None
    where.xlstart.mkdir(parents=True, exist_ok=True)
    target = where.xlstart / ADDIN_FILE
    try:
        shutil.copyfile(addin, target)
    except PermissionError:
        raise KexieError(f"无法写入「{target}」：请先关闭 Excel 再安装。") from None
    where.conf.parent.mkdir(parents=True, exist_ok=True)
    where.conf.write_bytes(data)
    return [
        f"已安装加载项：{target}",
        f"已写入 xlwings 设置：{where.conf}（Python：{interpreter}）",
        "请重新启动 Excel，功能区会出现「科技志愿服务」选项卡。",
    ]


def uninstall(where: Place) -> list[str]:
    target = where.xlstart / ADDIN_FILE
    if not target.exists():
        return ["没有安装加载项，无需卸载。"]
    try:
        target.unlink()
    except PermissionError:
        raise KexieError("无法删除加载项：请先关闭 Excel。") from None
    return [f"已删除：{target}（xlwings 设置 {where.conf} 保留，可手动删除）"]


def diagnose(where: Place, addin_source: Path | None = None) -> list[tuple[bool, str]]:
    """(ok, message) for each thing that usually breaks an xlwings add-in."""
    checks: list[tuple[bool, str]] = []
    checks.append((sys.version_info >= (3, 10), f"Python {sys.version.split()[0]}（需要 3.10 或更高）：{sys.executable}"))
    try:
        version = metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        version = ""
    checks.append(
        (
            version == PINNED_XLWINGS,
            f"xlwings {version or '未安装'}（加载项内嵌的 VBA 属于 {PINNED_XLWINGS}，"
            "版本不一致时 RunPython 可能失败：pip install xlwings==" + PINNED_XLWINGS + "）",
        )
    )
    installed = where.xlstart / ADDIN_FILE
    hint = "" if installed.is_file() else "（未安装：kexie-xl addin install）"
    checks.append((installed.is_file(), f"加载项：{installed}{hint}"))
    zone = Path(str(installed) + ":Zone.Identifier")
    if sys.platform.startswith("win") and installed.is_file() and zone.exists():
        checks.append((False, "加载项被标记为「来自网络」，宏会被 Office 拦截：右键该文件 → 属性 → 勾选「解除锁定」。"))
    interpreter = _configured_interpreter(where)
    checks.append(
        (bool(interpreter) and Path(interpreter).is_file(), f"xlwings 设置 {where.conf}：Python = {interpreter or '未设置'}")
    )
    try:
        metadata.version("pandas")
        checks.append(
            (
                True,
                "提示：此 Python 装有 pandas，xlwings 会一并导入，每次点按钮约多 0.4 秒；"
                "可为加载项单独建一个不含 pandas 的环境。",
            )
        )
    except metadata.PackageNotFoundError:
        pass
    checks.append(
        (
            True,
            "若点按钮没有反应：检查杀毒软件或组策略是否启用了「阻止 Office 应用程序创建子进程」"
            "（ASR 规则 D4F940AB-401B-4EFC-AADC-AD5F3C50688A），需由 IT 为 Excel 添加例外。",
        )
    )
    return checks


def _configured_interpreter(where: Place) -> str:
    if not where.conf.is_file():
        return ""
    for line in where.conf.read_bytes().decode(where.encoding, errors="replace").splitlines():
        key, _, value = line.partition(",")
        if key.strip('"') == where.interpreter_key:
            return value.strip().strip('"')
    return ""
