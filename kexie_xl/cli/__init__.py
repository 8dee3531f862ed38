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
    """Console-script entry point."""
    _utf8_console()
    cli(prog_name="kexie-xl")


def _utf8_console() -> None:
    """On a GBK Windows console, replace what cannot be printed instead of crashing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
