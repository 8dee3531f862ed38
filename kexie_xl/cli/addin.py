"""`kexie-xl addin build`: the Excel add-in from the plain-text VBA and ribbon XML in macros/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.group("addin")
def addin_group() -> None:
    """Excel 功能区加载项和 WPS 加载项（「科技志愿服务」选项卡）。"""


@addin_group.command("build")
@click.option("--wps", "wps", is_flag=True, help="构建 WPS 加载项（文件夹：ribbon.xml、main.js 等），而不是 Excel 加载项。")
@click.option(
    "--service",
    default="http://127.0.0.1:8023",
    show_default=True,
    help="WPS 加载项默认连接的校验服务（kexie-xl serve）地址；填报员可在「设置」里修改。",
)
@click.option(
    "--macros",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("macros"),
    show_default=True,
    help="VBA 源码和功能区 XML 所在目录。",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="输出的加载项文件（默认 workbook/kexie_xl.xlam）；--wps 时为文件夹（默认 workbook/wps）。",
)
def build(wps: bool, service: str, macros: Path, out: Path | None) -> None:
    """由 macros/ 构建加载项 workbook/kexie_xl.xlam（可在 Linux 上构建）；--wps 构建 WPS 加载项文件夹。

    \b
    示例：
      kexie-xl addin build
      kexie-xl addin build -o dist/kexie_xl.xlam
      kexie-xl addin build --wps -o dist/wps --service http://192.168.1.20:8023
    """
    if wps:
        from ..api import build_wps_addin

        folder = build_wps_addin(out or Path("workbook/wps"), service)
        click.echo(f"已生成 WPS 加载项：{folder}（默认校验服务 {service}）")
        return
    if not macros.is_dir():  # checked here, not by click: --wps needs no macros/
        raise click.BadParameter(f"目录「{macros}」不存在。", param_hint="'--macros'")
    from ..api import build_addin

    path = build_addin(macros, out or Path("workbook/kexie_xl.xlam"))
    click.echo(f"已生成加载项：{path}")


def _where() -> Any:
    from ..api import place

    return place()


@addin_group.command("install")
@click.option("--wps", "wps", is_flag=True, help="安装 WPS 加载项（复制到 WPS 的 jsaddons 并登记到 publish.xml）。")
@click.option("--url", default=None, help="WPS 在线模式：由 kexie-xl serve 提供加载项，如 http://127.0.0.1:8023/wps/。")
@click.option("--service", default="http://127.0.0.1:8023", show_default=True, help="WPS 离线安装时默认的校验服务地址。")
@click.option(
    "--jsaddons",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="WPS 的 jsaddons 文件夹（默认按系统：%APPDATA%\\kingsoft\\wps\\jsaddons 或 ~/.local/share/Kingsoft/wps/jsaddons）。",
)
@click.option(
    "--addin",
    "addin",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("workbook/kexie_xl.xlam"),
    show_default=True,
    help="要安装的加载项文件。",
)
def install_cmd(wps: bool, url: str | None, service: str, jsaddons: Path | None, addin: Path) -> None:
    """为当前用户安装加载项（复制到 Excel 的 XLSTART，并让 xlwings 使用当前的 Python）；--wps 安装 WPS 加载项。

    \b
    示例：
      kexie-xl addin install
      kexie-xl addin install --addin D:\\下载\\kexie_xl.xlam
      kexie-xl addin install --wps
      kexie-xl addin install --wps --url http://192.168.1.20:8023/wps/
    """
    if wps:
        from ..api import install_wps, wps_jsaddons

        for line in install_wps(jsaddons or wps_jsaddons(), url=url, service=service):
            click.echo(line)
        return
    from ..api import install

    for line in install(addin, _where()):
        click.echo(line)


@addin_group.command("status")
def status_cmd() -> None:
    """显示加载项是否已安装、xlwings 设置是否正确。

    \b
    示例：
      kexie-xl addin status
    """
    from ..api import diagnose

    for ok, message in diagnose(_where())[:4]:
        click.echo(("✓ " if ok else "✗ ") + message)


@addin_group.command("uninstall")
@click.option("--wps", "wps", is_flag=True, help="卸载 WPS 加载项（删除 jsaddons 中的文件夹和 publish.xml 中的登记）。")
@click.option("--jsaddons", type=click.Path(file_okay=False, path_type=Path), default=None, help="WPS 的 jsaddons 文件夹。")
def uninstall_cmd(wps: bool, jsaddons: Path | None) -> None:
    """从 XLSTART 删除加载项；--wps 卸载 WPS 加载项。

    \b
    示例：
      kexie-xl addin uninstall
      kexie-xl addin uninstall --wps
    """
    if wps:
        from ..api import uninstall_wps, wps_jsaddons

        for line in uninstall_wps(jsaddons or wps_jsaddons()):
            click.echo(line)
        return
    from ..api import uninstall

    for line in uninstall(_where()):
        click.echo(line)


@click.command("doctor")
def doctor() -> None:
    """诊断加载项常见问题：Python 路径、xlwings 版本、加载项位置和信任、阻止 Office 启动 Python 的安全规则。

    \b
    示例：
      kexie-xl doctor
    """
    from ..api import diagnose

    problems = 0
    for ok, message in diagnose(_where()):
        click.echo(("✓ " if ok else "✗ ") + message)
        problems += not ok
    click.echo("没有发现问题。" if problems == 0 else f"发现 {problems} 个问题，请按上面的提示处理。")
