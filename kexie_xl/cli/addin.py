"""`kexie-xl addin build`: the Excel add-in from the plain-text VBA and ribbon XML in macros/."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("addin")
def addin_group() -> None:
    """Excel 功能区加载项（「科技志愿服务」选项卡）。"""


@addin_group.command("build")
@click.option("--macros", type=click.Path(file_okay=False, exists=True, path_type=Path), default=Path("macros"),
              show_default=True, help="VBA 源码和功能区 XML 所在目录。")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("workbook/kexie_xl.xlam"), show_default=True, help="输出的加载项文件。")
def build(macros: Path, out: Path) -> None:
    """由 macros/ 构建加载项 workbook/kexie_xl.xlam（可在 Linux 上构建）。

    \b
    示例：
      kexie-xl addin build
      kexie-xl addin build -o dist/kexie_xl.xlam
    """
    from ..addin.build import build_addin

    path = build_addin(macros, out)
    click.echo(f"已生成加载项：{path}")
