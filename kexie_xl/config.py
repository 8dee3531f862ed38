"""Settings: one TOML file (kexie.toml) validated by pydantic; every field has a default.

Where the file is looked for: the path given on the command line, else $KEXIE_XL_CONFIG, else ./kexie.toml,
else the defaults alone. Secrets (mail passwords) are never read from here: only from the environment or the
OS keyring (see the mail settings).

The sections are frozen dataclasses (sections.py): the defaults are built without pydantic — a ribbon click
imports this module — and a file is validated by pydantic against the same classes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigError
from .sections import Section, section, setting

if TYPE_CHECKING:
    from pydantic import ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "KEXIE_XL_CONFIG"
CONFIG_FILENAME = "kexie.toml"

DEFAULT_PLATFORMS = (
    ("全国志愿服务信息系统（中国志愿服务网）", "全国志愿服务系统"),
    ("科技志愿服务信息平台（中国科协）", "科技志愿服务平台"),
)


@section
class ReportSettings(Section):
    """The reporting cycle (渝科协发〔2020〕96号: 每月 23 日前报送)."""

    deadline_day: int = setting(default=23, ge=1, le=28, description="每月报送截止日（含当日）")
    timezone: str = setting(default="Asia/Shanghai", description="判断按时/逾期所用的时区")
    period: Literal["calendar_month"] = setting(default="calendar_month", description="报送周期：自然月")
    quarters: Literal["calendar"] = setting(default="calendar", description="季度：自然季度（1–3、4–6、7–9、10–12 月）")
    trust_file_times: bool = setting(
        default=False,
        description="把文件修改时间当作报送时间的依据（默认否：只认邮件日期、服务器收到"
        "时间、上传时间或人工指定的时间，否则标「未核实」）",
    )


@section
class QuarterlyRule(Section):
    """原则上各科技志愿服务支队每季度服务活动不少于 1 次."""

    levels: tuple[str, ...] = setting(default=("支队",), description="计入季度考核的队伍层级")
    minimum: int = setting(default=1, ge=1, description="每季度最少活动次数")
    child_counts_for_parent: bool = setting(default=True, description="分队开展的活动是否计入其上级支队")
    grace_last_month: bool = setting(default=True, description="在季度最后一个月成立的队伍当季豁免")
    severity: Literal["警告", "错误"] = setting(default="警告", description="未达标在校验结果中的严重程度（通知为「原则上」）")


@section
class CrossMonthRule(Section):
    """This month's report against the unit's previous adopted report in the store (累计注册, 全年累计台账, 撤销的队伍)."""

    enabled: bool = setting(default=True, description="汇总、反馈和校验（配置了汇总库时）是否与该单位上次采用的月报比较")
    severity: Literal["警告", "错误"] = setting(default="警告", description="跨月问题在校验结果中的严重程度")


@section
class ValidationSettings(Section):
    max_hours: float = setting(default=24.0, gt=0, description="单次活动服务时长上限（小时）")
    beneficiaries_warn: int = setting(default=5000, ge=1, description="单次活动受益人数超过此数给出警告")


@section
class Platform(Section):
    name: str
    short: str = setting(default="", description="汇总表列名用的简称（默认取全称括号前的部分）")

    @property
    def label(self) -> str:
        return self.short or self.name.split("（")[0].split("(")[0]


@section
class Receiver(Section):
    """Who receives the reports (the notice names 市科协宣传部; it now signs as 宣传文化部)."""

    department: str = "重庆市科协宣传文化部"
    contact: str = "熊蔓源"
    phone: str = "63003526"
    mailbox: str = "834396688@qq.com"


def _month(value: str) -> str:
    parse_month(value)
    return value


@section
class RegistrySettings(Section):
    file: Path | None = setting(default=None, description="用户单位名录文件（TOML），补充或覆盖内置名录")
    district_reform_month: str = setting(
        default="2026-02",
        description="江北区、渝北区停止报送、两江新区按行政区报送的首个报送月份（YYYY-MM）",
        check=_month,
    )


@section
class MailServer(Section):
    """One mail server account. The password is never written here: it comes from the environment variable
    `password_env`, else from the OS keyring (service `keyring_service`, the user name as the key)."""

    host: str = setting(description="服务器地址，如 imap.qq.com / smtp.qq.com")
    port: int = setting(default=0, ge=0, le=65535, description="端口（0 = 按 security 取默认：IMAP 993/143，SMTP 465/587）")
    security: Literal["ssl", "starttls", "none"] = setting(
        default="ssl", description="ssl（如 QQ 邮箱）、starttls，或 none（仅限本机测试）"
    )
    user: str = setting(description="登录名（QQ 邮箱为完整邮箱地址）")
    password_env: str = setting(default="KEXIE_XL_MAIL_PASSWORD", description="存放密码/授权码的环境变量名")
    keyring_service: str = setting(default="kexie_xl", description="系统钥匙串中的服务名")
    timeout: float = setting(default=60, gt=0, description="连接超时（秒）")
    ca_file: Path | None = setting(default=None, description="自建邮件服务器的 CA 证书文件（PEM）；公共邮箱（如 QQ 邮箱）不需要")


@section
class MailSettings(Section):
    """Intake by mail. Passwords never live here: see the README (environment variable or OS keyring)."""

    accept_unknown_senders: bool = setting(default=False, description="发件地址未在单位名录登记的报表是否也采用（默认：待确认）")
    imap: MailServer | None = setting(default=None, description="收件邮箱（IMAP）；不配置则只处理本地的邮件文件")
    mailbox: str = setting(default="INBOX", description="收取的邮件文件夹")
    smtp: MailServer | None = setting(default=None, description="发送反馈用的 SMTP 账号；不配置则只生成草稿")
    reply_from: str = setting(default="", description="反馈邮件的发件地址（默认：SMTP 登录名，或接收邮箱）")


@section
class Paths(Section):
    store: Path = setting(default=Path("kexie_store.sqlite"), description="汇总库（SQLite）")
    archive: Path | None = setting(default=None, description="原始邮件和附件归档目录（默认：汇总库所在文件夹下的 archive）")

    def archive_root(self, store: Path | None = None) -> Path:
        """The archive: as configured, else the folder `archive` beside the store in use — so a store and the
        files it refers to stay together whatever folder a command runs from."""
        root = self.archive if self.archive is not None else (store or self.store).parent / "archive"
        return Path(os.path.abspath(root))


@section
class WebSettings(Section):
    """kexie-xl serve: the clerks' check page (no login) and the office desk (login). The office password is kept
    only as a salted hash (written by kexie-xl office password), never in clear."""

    login_hash: str = setting(default="", description="办公室页面登录口令的加盐哈希（scrypt；由 kexie-xl office password 写入）")
    max_upload_mb: int = setting(default=20, ge=1, le=50, description="上传工作簿的大小上限（MB）")
    workers: int = setting(default=0, ge=0, le=32, description="同时进行的校验数（0 = CPU 核数）；其余排队")
    check_seconds: int = setting(default=120, ge=5, le=3600, description="一次校验（含排队）的时间上限（秒）")
    session_minutes: int = setting(default=480, ge=5, le=10080, description="办公室登录多久不操作后失效（分钟）")
    sources: tuple[Path, ...] = setting(default=(), description="办公室页面「汇总」时，除已归档的邮件外还读取的文件夹")


@section
class KeyDate(Section):
    """A key date or window (重点节点) for one year; used only for soft plausibility warnings."""

    event: str
    start: date
    end: date

    def validate(self) -> None:
        if self.end < self.start:
            raise ValueError(f"重点节点「{self.event}」的结束日期早于开始日期")


def _default_calendar() -> tuple[KeyDate, ...]:
    fixed = [
        ("学雷锋纪念日", (3, 1), (3, 31)),
        ("学雷锋科技志愿服务周", (3, 1), (3, 10)),
        ("全国科技活动周", (5, 15), (6, 5)),
        ("全国科技工作者日", (5, 20), (6, 10)),
        ("全国科普月", (9, 1), (9, 30)),
        ("国际志愿者日", (12, 1), (12, 10)),
    ]
    out = []
    for year in (2025, 2026, 2027):
        for event, (m1, d1), (m2, d2) in fixed:
            out.append(KeyDate(event=event, start=date(year, m1, d1), end=date(year, m2, d2)))
    # 2005–2024 全国科普日 was a week in September; from 2025 the whole of September is 全国科普月.
    out.append(KeyDate(event="全国科普日", start=date(2024, 9, 1), end=date(2024, 9, 30)))
    return tuple(out)


def _platforms(value: tuple[Platform, ...]) -> tuple[Platform, ...]:
    names = [p.name for p in value]
    if not names or len(set(names)) != len(names):
        raise ValueError("至少配置一个平台，且平台名称不能重复")
    return value


@section
class Settings(Section):
    """Everything kexie_xl can be told; `Settings()` is the embedded default."""

    report: ReportSettings = setting(default_factory=ReportSettings)
    quarterly: QuarterlyRule = setting(default_factory=QuarterlyRule)
    cross_month: CrossMonthRule = setting(default_factory=CrossMonthRule)
    validation: ValidationSettings = setting(default_factory=ValidationSettings)
    platforms: tuple[Platform, ...] = setting(
        default=tuple(Platform(name=n, short=s) for n, s in DEFAULT_PLATFORMS), check=_platforms
    )
    receiver: Receiver = setting(default_factory=Receiver)
    registry: RegistrySettings = setting(default_factory=RegistrySettings)
    paths: Paths = setting(default_factory=Paths)
    mail: MailSettings = setting(default_factory=MailSettings)
    web: WebSettings = setting(default_factory=WebSettings)
    key_dates: tuple[KeyDate, ...] = setting(default_factory=_default_calendar)

    @property
    def platform_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.platforms)


def parse_month(value: str) -> tuple[int, int]:
    """'2026-11' → (2026, 11); ValueError with a Chinese message otherwise (strictly YYYY-MM: 「2026-1」 is refused
    rather than guessed)."""
    import re

    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if match is None:
        raise ValueError(f"月份「{value}」格式不对，应为 YYYY-MM（月份两位），如 2026-11")
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError(f"月份「{value}」不存在，应为 YYYY-MM，如 2026-11")
    return year, month


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, or None for the embedded defaults."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    local = Path.cwd() / CONFIG_FILENAME
    return local if local.is_file() else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate the settings; ConfigError (in Chinese) on any problem."""
    file = find_config_file(path)
    if file is None:
        return Settings()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件「{file}」。") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件「{file}」格式有误：{exc}") from None
    from .validcache import validated_once

    def validate(items: list[dict[str, Any]]) -> list[Settings]:
        from pydantic import ValidationError

        try:
            return [Settings.validated(items[0])]
        except ValidationError as exc:
            raise ConfigError(f"配置文件「{file}」有误：\n{_explain(exc)}") from None

    (settings,) = validated_once(Settings, [data], validate)  # pydantic only when this file is new to this code
    return _relative_to(settings, file.parent)


def _relative_to(settings: Settings, base: Path) -> Settings:
    """Relative paths in a config file mean: relative to that file, not to wherever the command runs."""

    def fix(path: Path) -> Path:
        return path if path.is_absolute() else base / path

    archive = settings.paths.archive
    registry = replace(settings.registry, file=None if settings.registry.file is None else fix(settings.registry.file))
    paths = replace(settings.paths, store=fix(settings.paths.store), archive=None if archive is None else fix(archive))
    web = replace(settings.web, sources=tuple(fix(p) for p in settings.web.sources))
    return replace(settings, registry=registry, paths=paths, web=web)


def _explain(exc: ValidationError) -> str:
    from .sections import in_chinese

    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  - 「{where}」不是可识别的设置项（请检查拼写）")
        else:
            value = err.get("input")
            shown = "" if isinstance(value, (dict, list)) else f"（当前值：{value!r}）"  # a whole table says nothing
            lines.append(f"  - 「{where}」：{in_chinese(dict(err))}{shown}")
    return "\n".join(lines)
