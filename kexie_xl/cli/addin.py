"""`kexie-xl addin build`: the Excel add-in from the plain-text VBA and ribbon XML in macros/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.group("addin")
def addin_group() -> None:
    """Excel 功能区加载项（「科技志愿服务」选项卡）。"""


@addin_group.command("build")
@click.option(
    "--macros",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("macros"),
    show_default=True,
    help="VBA 源码和功能区 XML 所在目录。",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("workbook/kexie_xl.xlam"),
    show_default=True,
    help="输出的加载项文件。",
)
def build(macros: Path, out: Path) -> None:
    """由 macros/ 构建加载项 workbook/kexie_xl.xlam（可在 Linux 上构建）。

    \b
    示例：
      kexie-xl addin build
      kexie-xl addin build -o dist/kexie_xl.xlam
    """
    from ..api import build_addin

    path = build_addin(macros, out)
    click.echo(f"已生成加载项：{path}")


def _where() -> Any:
    from ..api import place

    return place()


@addin_group.command("install")
@click.option(
    "--addin",
    "addin",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("workbook/kexie_xl.xlam"),
    show_default=True,
    help="要安装的加载项文件。",
)
def install_cmd(addin: Path) -> None:
    """为当前用户安装加载项（复制到 Excel 的 XLSTART，并让 xlwings 使用当前的 Python）。

    \b
    示例：
      kexie-xl addin install
      kexie-xl addin install --addin D:\\下载\\kexie_xl.xlam
    """
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
def uninstall_cmd() -> None:
    """从 XLSTART 删除加载项。

    \b
    示例：
      kexie-xl addin uninstall
    """
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
