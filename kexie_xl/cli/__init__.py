"""Edge adapter: the `kexie-xl` command line (click). Thin: every command calls one verb of kexie_xl.api.

Exit codes: 0 done / clean, 1 findings of severity 错误 or a KexieError (shown as 「错误：…」), 2 usage error,
unreadable input, or a store / output / archive that cannot be used (KexieError.exit_code).
"""

from __future__ import annotations

import sys

import click

from ..errors import KexieError
from . import addin, consolidate, demo, docs, info, quarterly, report, run, serve, template, validate, zh

zh.install()  # click's own messages (usage errors, help headings) in Chinese


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KexieError as exc:
            if ctx.find_root().params.get("verbose"):
                raise
            click.echo(f"错误：{exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kexie-xl", message="kexie-xl %(version)s")
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(dir_okay=False),
    envvar="KEXIE_XL_CONFIG",
    help="配置文件 kexie.toml（默认：当前目录下的 kexie.toml，没有则用内置默认值）。",
)
@click.option("--verbose", "-v", is_flag=True, help="出错时显示完整的技术信息（traceback）。")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """重庆市科协科技志愿服务月报工具 · kexie_xl.

    生成标准模板、校验填报、季度达标、汇总全市月报。每个命令都有 --help。
    """
    ctx.obj = {"config": config, "verbose": verbose}
    if verbose:  # unexpected failures inside a batch are findings; --verbose also shows their tracebacks
        import logging

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


cli.add_command(template.template)
cli.add_command(validate.validate)
cli.add_command(quarterly.quarterly)
cli.add_command(consolidate.consolidate)
cli.add_command(run.run)
cli.add_command(addin.addin_group)
cli.add_command(addin.doctor)
cli.add_command(demo.demo)
cli.add_command(info.units)
cli.add_command(info.config_group)
cli.add_command(docs.docs)
cli.add_command(report.report)
cli.add_command(serve.serve)
cli.add_command(serve.office_group)


def _config_after_subcommand(command: click.Command) -> None:
    """`--config` is accepted after the sub-command too (kexie-xl run --month 2026-11 --config 办公室.toml)."""
    command.options_metavar = "[选项]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            _config_after_subcommand(sub)
        return

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None and isinstance(ctx.obj, dict):
            ctx.obj["config"] = value

    command.params.append(
        click.Option(
            ["--config", "-c"],
            type=click.Path(dir_okay=False),
            expose_value=False,
            callback=remember,
            is_eager=True,
            help="配置文件 kexie.toml（也可写在子命令前）。",
        )
    )


for _command in cli.commands.values():
    _config_after_subcommand(_command)
cli.options_metavar = "[选项]"
cli.subcommand_metavar = "命令 [参数]..."


def main() -> None:
    """Console-script entry point (`kexie-xl`, `python -m kexie_xl`)."""
    _utf8_console()
    try:
        cli(prog_name="kexie-xl")  # click's standalone mode ends every command with SystemExit
    except SystemExit as done:
        _end(done)
        raise


def _end(done: SystemExit) -> None:
    """End the process once the command is done, without tearing the interpreter down.

    A normal exit then frees every object of ~430 modules one by one: ~0.1 s of a 0.9 s re-run of the month, on
    every command, for nothing — the process ends anyway. So, as a normal exit does first, the atexit handlers run
    (logging's flush, temporary folders removed, multiprocessing's cleanup) and stdout/stderr are flushed; then
    os._exit with the command's exit code. Every file kexie_xl writes is closed by then (saved atomically, in `with`
    blocks). Returns — and the normal exit follows — when another thread is still running (a normal exit waits for
    it) or the exit code is not a number (SystemExit prints a text itself). Only the command line does this: tests
    and the add-in call kexie_xl in their own processes."""
    import threading

    code = 0 if done.code is None else done.code
    if not isinstance(code, int) or threading.active_count() > 1:
        return
    import atexit
    import os
    from contextlib import suppress

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError):  # a reader gone (a closed pipe), a closed or missing stream
            stream.flush()
    os._exit(code)


def _utf8_console() -> None:
    """On a GBK Windows console, replace what cannot be printed instead of crashing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
