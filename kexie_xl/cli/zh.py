"""The CLI speaks Chinese end to end: click's own messages (usage errors, help headings) translated.

click marks every message it prints for gettext (`from gettext import gettext as _` in each module). A catalogue
file would need compiling and a locale set up on every clerk's PC, so the translations live here and replace
those module-level functions when the CLI starts. Messages not listed stay as click wrote them.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行「{command} {option}」查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少子命令。",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "No such command {name!r}.": "没有「{name}」这个命令。",
    "No such option {name!r}.": "没有「{name}」这个选项。",
    "No such option: {name}": "没有这个选项：{name}",
    "Did you mean {possibility}?": "是不是要用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是要用其中之一：{possibilities}？）",
    "Option {name!r} does not take a value.": "选项「{name}」不带值。",
    "Option {name!r} requires an argument.": "选项「{name}」后面需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项「{name}」后面需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对：{message}",
    "Invalid value: {message}": "值不对：{message}",
    "Aborted!": "已取消。",
    "{name} {filename!r} does not exist.": "{name}「{filename}」不存在。",
    "{name} {filename!r} is a directory.": "{name}「{filename}」是一个文件夹，这里需要文件。",
    "{name} {filename!r} is a file.": "{name}「{filename}」是一个文件，这里需要文件夹。",
    "{name} {filename!r} is not readable.": "{name}「{filename}」无法读取（没有权限）。",
    "{name} {filename!r} is not writable.": "{name}「{filename}」无法写入（没有权限）。",
    "{name} {filename!r} is not executable.": "{name}「{filename}」不可执行。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{value!r} is not {choice}.": "「{value}」不是 {choice}。",
    "{value!r} is not one of {choices}.": "「{value}」不在可选值 {choices} 中。",
    "{value!r} does not match the format {format}.": "「{value}」的格式不对，应为 {format}。",
    "{value!r} does not match the formats {formats}.": "「{value}」的格式不对，应为 {formats} 之一。",
    "{value!r} is not a valid {number_type}.": "「{value}」不是有效的{number_type}。",
    "integer": "整数",
    "float": "数字",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "Could not open file {filename!r}: {message}": "无法打开文件「{filename}」：{message}",
    "Error: The two entered values do not match.": "错误：两次输入的不一致，请重新输入。",
    "Repeat for confirmation": "再输入一次",
    # help
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
}


def _gettext(message: str) -> str:
    return ZH.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def install() -> None:
    """Replace click's gettext functions with the Chinese catalogue (idempotent)."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types):
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
