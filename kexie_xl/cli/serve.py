"""`kexie-xl serve`: the browser page for clerks and the office; `kexie-xl office password`: its login."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

DEFAULT_PORT = 8023


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="监听地址；只在本机使用时不要改。局域网使用：--host 0.0.0.0。"
)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535), help="端口。")
@click.pass_obj
def serve(obj: dict, host: str, port: int) -> None:
    """在浏览器里校验月报：各单位填报员上传工作簿即可看到问题清单和标注副本（不需要登录，文件不保存）；
    市科协办公室登录后查看本月各单位报送情况、汇总、下载全市月报和反馈。

    默认只在本机（127.0.0.1）提供；要让局域网内的电脑访问，用 --host 指定本机的局域网地址或 0.0.0.0。
    办公室密码先用 kexie-xl office password 设置。设置项见配置文件的 [web]。

    \b
    示例：
      kexie-xl serve
      kexie-xl serve --host 0.0.0.0 --port 8023 --config 办公室/kexie.toml
    """
    import uvicorn

    from ..api import load_context
    from ..web.app import create_app

    ctx = load_context(obj["config"])
    app = create_app(ctx)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"校验页面：http://{shown}:{port}/    办公室页面：http://{shown}:{port}/office    （按 Ctrl+C 停止）")
    if not _loopback(host):
        click.echo("注意：局域网内的电脑都能打开校验页面；办公室页面需要密码。", err=True)
    if not ctx.settings.web.login_hash:
        click.echo("办公室页面尚未设置密码：先运行 kexie-xl office password。", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    except OSError as exc:
        raise click.ClickException(f"无法在 {host}:{port} 上启动（{exc.strerror or exc}）；请换一个端口（--port）。") from None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("office")
def office_group() -> None:
    """市科协办公室页面（kexie-xl serve）的设置。"""


@office_group.command("password")
@click.option("--stdin", "from_stdin", is_flag=True, help="从标准输入读一行作为密码（供脚本使用）。")
@click.pass_obj
def office_password(obj: dict, from_stdin: bool) -> None:
    """设置办公室页面的登录密码：配置文件 [web] 中只保存加盐哈希（scrypt），不保存密码本身。

    没有配置文件时在当前目录新建 kexie.toml。改密码后重新启动 kexie-xl serve 生效。

    \b
    示例：
      kexie-xl office password
      kexie-xl office password --config 办公室/kexie.toml
    """
    from ..api import CONFIG_FILENAME, find_config_file, set_office_password

    file = find_config_file(obj["config"]) or Path(CONFIG_FILENAME)
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("新密码", hide_input=True, confirmation_prompt="再输入一次")
    set_office_password(file, password)
    click.echo(f"已设置办公室密码（只保存了加盐哈希）：{file}；重新启动 kexie-xl serve 后生效。")


@office_group.command("link")
@click.argument("unit")
@click.option("--revoke", is_flag=True, help="收回该单位的上传链接（链接立即失效）。")
@click.option(
    "--base-url", default=f"http://127.0.0.1:{DEFAULT_PORT}", show_default=True, help="kexie-xl serve 的地址（写在链接里）。"
)
@click.pass_obj
def office_link(obj: dict, unit: str, revoke: bool, base_url: str) -> None:
    """给一个单位发放（或收回）专用上传链接：通过链接上传的月报与该单位发来的邮件一样进入收件、归档和汇总，
    上传时间作为报送时间的依据；表内填报单位不是该单位的会被退回。

    链接只显示这一次，汇总库旁的 upload-links.json 中只保存它的哈希；再次发放即作废旧链接。

    \b
    示例：
      kexie-xl office link 万州区科协 --base-url http://10.0.0.5:8023
      kexie-xl office link 万州区科协 --revoke
    """
    from ..api import issue_link, load_context, revoke_link

    ctx = load_context(obj["config"])
    if revoke:
        found, had = revoke_link(ctx, unit)
        click.echo(f"已收回「{found.name}」的上传链接。" if had else f"「{found.name}」没有上传链接，无需收回。")
        return
    found, token = issue_link(ctx, unit)
    click.echo(f"「{found.name}」的上传链接（只显示这一次，请通过可靠渠道发给该单位；旧链接已作废）：")
    click.echo(f"{base_url.rstrip('/')}/u/{token}")
