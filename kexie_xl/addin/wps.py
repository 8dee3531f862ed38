"""The WPS add-in (WPS 加载项): ribbon.xml and plain JavaScript (kexie_xl/addin/wpsjs/, reviewed text) that send the
open workbook's values to kexie-xl serve's check API and apply the marks it returns (docs/wps-addin.md).

Built into a folder (`kexie-xl addin build --wps`), served by kexie-xl serve at /wps/ (online mode), or installed
for the current user into WPS's jsaddons folder with an entry in its publish.xml (offline mode). publish.xml is
shared by every JS add-in of the user: only our own entry is ever added, replaced or removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree

from .._version import __version__
from ..errors import KexieError

WPS_ADDIN_NAME = "kexie_xl"
SOURCE = Path(__file__).parent / "wpsjs"
WPS_FILES = ("ribbon.xml", "index.html", "main.js", "settings.html", "settings.js", "settings.css")
CONFIG_JS = "config.js"  # written by the build: the default service address and the version
DEFAULT_SERVICE = "http://127.0.0.1:8023"
_SERVICE = re.compile(r"https?://[^/\s\"'<>]+")


# Build


def wps_config_js(service: str) -> str:
    """config.js: what the built folder knows before the clerk opens 设置 ("" = the server the page came from)."""
    defaults = {"service": service, "version": __version__}
    return f"var KEXIE_XL_DEFAULTS = {json.dumps(defaults, ensure_ascii=False)};\n"


def wps_file(name: str, service: str = "") -> bytes | None:
    """One file of the add-in (for kexie-xl serve's /wps/); None for any other name."""
    if name == CONFIG_JS:
        return wps_config_js(service).encode("utf-8")
    if name in WPS_FILES:
        return (SOURCE / name).read_bytes()
    return None


def build_wps_addin(out: Path, service: str = DEFAULT_SERVICE) -> Path:
    """The add-in folder: the files of wpsjs/ and config.js with `service` as the default address."""
    service = service.rstrip("/")
    if not _SERVICE.fullmatch(service):
        raise KexieError(f"服务地址应为 http://电脑地址:端口，如 {DEFAULT_SERVICE}，收到「{service}」。")
    if out.exists() and not out.is_dir():
        raise KexieError(f"「{out}」是一个文件；请指定一个文件夹。")
    out.mkdir(parents=True, exist_ok=True)
    for name in WPS_FILES:
        shutil.copyfile(SOURCE / name, out / name)
    (out / CONFIG_JS).write_text(wps_config_js(service), encoding="utf-8")
    return out


# Install


def wps_jsaddons(system: str | None = None, home: Path | None = None, appdata: Path | None = None) -> Path:
    """Where WPS looks for the user's JS add-ins (jsaddons, with publish.xml)."""
    system = system or sys.platform
    home = home or Path.home()
    if system.startswith("win"):
        appdata = appdata or Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
        return appdata / "kingsoft" / "wps" / "jsaddons"
    if system == "darwin":
        return home / "Library" / "Containers" / "com.kingsoft.wpsoffice.mac" / "Data" / ".kingsoft" / "wps" / "jsaddons"
    return home / ".local" / "share" / "Kingsoft" / "wps" / "jsaddons"


def install_wps(jsaddons: Path, *, url: str | None = None, service: str = DEFAULT_SERVICE) -> list[str]:
    """Offline (no `url`): the built folder as jsaddons/kexie_xl_<version>/ and a <jsplugin> entry. Online: a
    <jspluginonline> entry pointing at kexie-xl serve's /wps/ (`url`), nothing copied. Either replaces our
    earlier entry and folders; other add-ins' entries stay as they are."""
    jsaddons.mkdir(parents=True, exist_ok=True)
    lines = _remove_folders(jsaddons)
    folder = f"{WPS_ADDIN_NAME}_{__version__}"
    attrs = {"name": WPS_ADDIN_NAME, "type": "et", "enable": "enable_dev", "install": "null"}
    if url is None:
        build_wps_addin(jsaddons / folder, service)
        entry = ElementTree.Element("jsplugin", {**attrs, "url": folder, "version": __version__, "customDomain": ""})
        lines.append(f"已复制加载项到 {jsaddons / folder}（校验服务默认地址 {service}）")
    else:
        url = url.rstrip("/") + "/"
        if not _SERVICE.match(url) or not url.endswith("/wps/"):
            raise KexieError(f"在线模式的地址应为 kexie-xl serve 的 /wps/，如 {DEFAULT_SERVICE}/wps/，收到「{url}」。")
        entry = ElementTree.Element("jspluginonline", {**attrs, "url": url})
        lines.append(f"在线模式：WPS 将从 {url} 加载加载项（需要那台电脑上的 kexie-xl serve 一直运行）")
    publish = jsaddons / "publish.xml"
    _write_publish(publish, [entry])
    lines.append(f"已登记到 {publish}；请完全退出 WPS（Linux 上执行 quickstartoffice restart）后重新打开 WPS 表格。")
    return lines


def uninstall_wps(jsaddons: Path) -> list[str]:
    """Remove our entry from publish.xml and our folders from jsaddons."""
    lines = _remove_folders(jsaddons)
    publish = jsaddons / "publish.xml"
    if publish.is_file():
        _write_publish(publish, [])
        lines.append(f"已从 {publish} 删除加载项的登记")
    return lines or [f"没有安装 WPS 加载项（{jsaddons}）"]


def _remove_folders(jsaddons: Path) -> list[str]:
    lines = []
    if jsaddons.is_dir():
        for old in sorted(jsaddons.glob(f"{WPS_ADDIN_NAME}_*")):
            if old.is_dir():
                shutil.rmtree(old)
                lines.append(f"已删除旧的加载项文件夹 {old}")
    return lines


def _write_publish(publish: Path, entries: list[ElementTree.Element]) -> None:
    """publish.xml with our entries replaced by `entries`; a copy of the original is kept once as publish.xml.bak."""
    root = ElementTree.Element("jsplugins")
    if publish.is_file():
        try:
            root = ElementTree.fromstring(publish.read_bytes())
        except ElementTree.ParseError as exc:
            raise KexieError(f"「{publish}」不是有效的 XML（{exc}），没有修改；请检查或删除它后重试。") from None
        backup = publish.with_name("publish.xml.bak")
        if not backup.exists():
            shutil.copyfile(publish, backup)
    for old in [e for e in root if e.get("name") == WPS_ADDIN_NAME]:
        root.remove(old)
    for entry in entries:
        entry.tail = "\n"
        root.append(entry)
    root.text = root.text or "\n"
    data = ElementTree.tostring(root, encoding="unicode")
    publish.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{data}\n', encoding="utf-8")
