"""Sample data: write the demo month — config, template, workbooks, photos, emails and the manifest."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from .._version import __version__
from ..config import parse_month
from ..context import Context
from ..errors import KexieError
from ..mail.compose import Attachment, compose
from ..schema import standard
from ..schema.units import Registry, Unit
from ..write.template import Filling, write_template
from .carry import REVIVE, carry_forward, history_roles, plant_history, plant_revival
from .month import UnitGenerator, UnitMonth
from .plants import Planted, Planter, quarterly_findings
from .roles import RESUBMIT_PLANT, Roles, assign

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "kexie_xl/demo-manifest"
Progress = Callable[[int, int, str], None]

# Two example volunteers outside the 区县 (the registry has room for them; they exist only in the demo's file).
EXTRA_UNITS = (
    Unit(code="XH-KPZX", name="重庆市科普作家协会", type="市级学会", aliases=("市科普作协",)),
    Unit(code="QS-NKY", name="重庆市农业科学院科协", type="企事业科协", aliases=("市农科院科协",)),
)


@dataclass
class DemoResult:
    out_dir: Path
    month: str
    seed: int
    units: int
    files: int
    messages: int
    planted: int
    roles: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)  # one line per step of the job run on the demo
    disagreements: list[str] = field(default_factory=list)  # files whose validation differs from the manifest
    data: dict[str, UnitMonth] = field(default_factory=dict)  # each unit's last report, clean: a series carries it on
    history: int = 0  # cross-month problems planted (a month of a series)

    @property
    def manifest(self) -> Path:
        return self.out_dir / MANIFEST

    def summary(self) -> str:
        r = self.roles
        return "\n".join(
            [
                f"演示数据已生成：{self.out_dir}（{self.month}，种子 {self.seed}）",
                f"  应报单位 {self.units} 个；报送文件 {self.files} 份，邮件 {self.messages} 封；预置问题 {self.planted} 处",
                f"  未报：{r['missing']}；逾期：{'、'.join(r['late'])}；重报：{r['resubmit']}",
                f"  模板：{self.out_dir / standard.TEMPLATE_FILENAME}",
                f"  填报表：{self.out_dir / 'workbooks'}    邮件：{self.out_dir / 'mail'}",
                f"  配置：{self.out_dir / 'config' / 'kexie.toml'}    清单：{self.manifest}",
                *(f"  {line}" for line in self.steps),
            ]
        )


def write_demo(
    out_dir: Path,
    ctx: Context,
    month: str,
    seed: int,
    progress: Progress | None = None,
    *,
    carry: dict[str, UnitMonth] | None = None,
    store: str = "../kexie_store.sqlite",
) -> DemoResult:
    """One demo month. In a series (sample/series.py), `carry` holds each unit's report of an earlier month: those
    units carry it forward (carry.py) and some get cross-month problems, listed under "history" in the manifest."""
    year, mon = parse_month(month)
    _prepare(out_dir)
    rng = random.Random(f"kexie-demo:{seed}:{month}")
    registry = _demo_registry(ctx.registry)
    _write_config(out_dir / "config", ctx, registry, store)
    demo_ctx = Context(ctx.settings, registry)
    standard_path = out_dir / standard.TEMPLATE_FILENAME
    write_template(standard_path, demo_ctx.template, demo_ctx.contact)

    units = sorted(registry.active_in_month(year, mon), key=lambda u: u.code)
    report = ctx.settings.report
    roles = assign(rng, units, year, mon, report.deadline_day, report.timezone)
    planter = Planter(demo_ctx.template, ctx.settings, rng)
    files: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    quarterly: list[dict[str, Any]] = []
    carry = carry or {}
    kinds = history_roles(rng, roles, carry, units, year, mon) if carry else {}
    history: list[dict[str, Any]] = []
    clean: dict[str, UnitMonth] = {}
    for n, unit in enumerate(units, start=1):
        if progress:
            progress(n - 1, len(units), f"生成 {unit.name}")
        received = roles.received.get(unit.code, [])
        if not received:
            continue
        report_date = max(received[0].date() - timedelta(days=rng.randint(0, 1)), date(year, mon, 1))
        no_activity = unit.code == roles.no_activity
        if unit.code in carry:
            data = carry_forward(carry[unit.code], rng, ctx.settings, year, mon, report_date, no_activity)
        else:
            plans = roles.team_plans.get(unit.code, {})
            data = UnitGenerator(rng, ctx.settings, unit, year, mon, report_date, plans, no_activity=no_activity).build()
        crossed = _plant_history(planter, data, carry.get(unit.code), kinds.get(unit.code), rng, ctx.settings)
        quarterly += _quarterly_cases(unit, data, year)
        clean[unit.code] = copy.deepcopy(data)
        for version, (got, planted, submitted) in enumerate(_versions(data, unit, roles, planter, received), 1):
            entry = _write_submission(out_dir, demo_ctx, unit, submitted, got, version, planted, month, len(files))
            files.append(entry)
            messages.append(_write_message(out_dir, ctx, unit, entry, submitted, got, len(messages), seed, month))
            clean[unit.code].report_date = submitted.report_date
        history += [{**p.to_dict(), "unit": unit.code, "file": files[-1]["id"]} for p in crossed]
    if progress:
        progress(len(units), len(units), "完成")
    _link_versions(files)
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "version": 1,
        "generator": f"kexie_xl {__version__}",
        "month": month,
        "seed": seed,
        "deadline": date(year, mon, report.deadline_day).isoformat(),
        "as_of": date(year, mon, report.deadline_day).isoformat(),
        "config": "config/kexie.toml",
        "template": standard.TEMPLATE_FILENAME,
        "units": [_unit_entry(u, roles) for u in units],
        "files": files,
        "messages": messages,
        "quarterly": quarterly,
        "roles": _roles_dict(roles, registry),
    }
    if carry:
        manifest["history"] = history
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    count = sum(len(f["findings"]) for f in files)
    result = DemoResult(out_dir, month, seed, len(units), len(files), len(messages), count, _roles_names(roles, registry))
    result.data, result.history = clean, len(history)
    return result


def _plant_history(
    planter: Planter, data: UnitMonth, prev: UnitMonth | None, kind: str | None, rng: random.Random, settings: Any
) -> list[Planted]:
    if prev is None or kind is None:
        return []
    found = plant_revival(planter, data, rng, settings) if kind == REVIVE else plant_history(planter, data, prev, kind)
    return [found] if found is not None else []


# Submissions


def _versions(
    data: UnitMonth, unit: Unit, roles: Roles, planter: Planter, received: list[datetime]
) -> list[tuple[datetime, list[Planted], UnitMonth]]:
    """(received, planted findings, data) for each file the unit sends."""
    if unit.code == roles.resubmit:
        first = copy.deepcopy(data)
        planted = [planter.apply(first, RESUBMIT_PLANT)]
        second = copy.deepcopy(data)
        second.report_date = received[1].date()
        second.basic["report_date"] = second.report_date
        return [(received[0], planted, first), (received[1], [], second)]
    planted = [planter.apply(data, kind) for kind in roles.errors.get(unit.code, ())]
    planted += quarterly_findings(planter, data)
    return [(received[0], planted, data)]


def _file_name(month: str, unit: Unit, version: int) -> str:
    suffix = "" if version == 1 else "（更正）"
    return f"{month}_{unit.name}_科技志愿服务月报{suffix}.xlsx"


def _write_submission(
    out_dir: Path,
    ctx: Context,
    unit: Unit,
    data: UnitMonth,
    received: datetime,
    version: int,
    planted: list[Planted],
    month: str,
    index: int,
) -> dict[str, Any]:
    name = _file_name(month, unit, version)
    path = out_dir / "workbooks" / name
    filling = Filling(
        basic=data.basic, rows=data.rows(), meta={standard.META_UNIT_CODE: unit.code, standard.META_UNIT_NAME: unit.name}
    )
    write_template(path, ctx.template, ctx.contact, filling)
    stamp = received.timestamp()
    os.utime(path, (stamp, stamp))
    photo_dir = out_dir / "photos" / unit.code
    photo_dir.mkdir(parents=True, exist_ok=True)
    for photo in data.photos:
        (photo_dir / photo["file"]).write_bytes(_png(photo["file"]))
    return {
        "id": f"F{index + 1:03d}",
        "unit": unit.code,
        "unit_name": unit.name,
        "path": f"workbooks/{name}",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "received": received.isoformat(),
        "report_date": data.report_date.isoformat(),
        "version": version,
        "activities": len(data.activities),
        "month_activities": len(data.month_activities),
        "photos": [f"photos/{unit.code}/{p['file']}" for p in data.photos],
        "findings": [p.to_dict() for p in planted],
    }


def _write_message(
    out_dir: Path,
    ctx: Context,
    unit: Unit,
    entry: dict[str, Any],
    data: UnitMonth,
    received: datetime,
    index: int,
    seed: int,
    month: str,
) -> dict[str, Any]:
    style = "qq" if index % 3 == 0 else "rfc2231"
    workbook = out_dir / entry["path"]
    attachments = [Attachment(workbook.name, workbook.read_bytes())]
    attachments += [Attachment(p["file"], _png(p["file"])) for p in data.photos]
    sender = unit.senders[0]
    year, mon = parse_month(month)
    subject = f"{unit.name}{year}年{mon}月科技志愿服务工作情况报送"
    if entry["version"] > 1:
        subject = "【更正】" + subject
    body = (
        f"{ctx.settings.receiver.department}：\n\n    附件为{unit.name}{year}年{mon}月科技志愿服务工作情况，"
        f"含月报表 1 份、活动图片 {len(data.photos)} 张，请查收。\n\n{unit.name}\n{data.basic['reporter']}"
    )
    raw = compose(
        sender=(unit.name, sender),
        to=ctx.settings.receiver.mailbox,
        subject=subject,
        body=body,
        sent=received,
        message_id=f"<demo-{seed}-{month}-{entry['id']}@units.example>",
        attachments=attachments,
        name_style=style,
    )
    path = out_dir / "mail" / f"{index + 1:03d}_{unit.code}.eml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return {
        "path": f"mail/{path.name}",
        "unit": unit.code,
        "from": sender,
        "received": received.isoformat(),
        "file": entry["id"],
        "attachments": [a.name for a in attachments],
        "name_encoding": style,
    }


def _link_versions(files: list[dict[str, Any]]) -> None:
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        by_unit.setdefault(f["unit"], []).append(f)
    for versions in by_unit.values():
        for older, newer in pairwise(versions):
            older["superseded_by"] = newer["id"]
            newer["supersedes"] = older["id"]


# Manifest parts


def _quarterly_cases(unit: Unit, data: UnitMonth, year: int) -> list[dict[str, Any]]:
    out = []
    for team_id, plan in data.team_plans.items():
        for quarter, status in sorted(plan.expected.items()):
            team = next(t for t in data.teams if t["team_id"] == team_id)
            out.append(
                {
                    "unit": unit.code,
                    "team_id": team_id,
                    "team_name": team["name"],
                    "quarter": f"{year}Q{quarter}",
                    "expected": status,
                    "reason": plan.reason,
                }
            )
    return out


def _unit_entry(unit: Unit, roles: Roles) -> dict[str, Any]:
    if unit.code == roles.missing:
        status = "未报"
    elif unit.code in roles.late:
        status = "逾期"
    else:
        status = "按时"
    return {
        "code": unit.code,
        "name": unit.name,
        "type": unit.type,
        "expected_status": status,
        "sender": unit.senders[0] if unit.senders else None,
    }


def _roles_dict(roles: Roles, registry: Registry) -> dict[str, Any]:
    return {
        "missing": roles.missing,
        "late": roles.late,
        "resubmit": roles.resubmit,
        "deadline_exact": roles.deadline_exact,
        "no_activity": roles.no_activity,
        "errors": {code: list(kinds) for code, kinds in roles.errors.items()},
    }


def _roles_names(roles: Roles, registry: Registry) -> dict[str, Any]:
    def name(code: str) -> str:
        unit = registry.by_code(code)
        return unit.name if unit else code

    return {"missing": name(roles.missing), "late": [name(c) for c in roles.late], "resubmit": name(roles.resubmit)}


# Files


def _prepare(out_dir: Path) -> None:
    """Replace an earlier demo in `out_dir`; refuse to touch a folder that holds anything else."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MANIFEST).is_file():
            raise KexieError(f"输出目录「{out_dir}」不是空目录，也不是以前的演示目录；请换一个目录。")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def _demo_registry(base: Registry) -> Registry:
    units = [*base.units, *EXTRA_UNITS]
    return Registry(replace(u, senders=(f"kx-{u.code.lower()}@units.example",)) for u in units)


def _write_config(folder: Path, ctx: Context, registry: Registry, store: str = "../kexie_store.sqlite") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# 演示用单位名录：内置名录 + 两个示例单位，并为每个单位配置了发件地址。由 kexie-xl demo 生成。", ""]
    for unit in registry.units:
        lines.append("[[unit]]")
        for f in fields(unit):
            value = getattr(unit, f.name)
            if value != f.default:  # what differs from the default (a required field has none)
                lines.append(f"{f.name} = {_toml(value)}")
        lines.append("")
    (folder / "units.toml").write_text("\n".join(lines), encoding="utf-8")
    config = [
        "# 演示配置，由 kexie-xl demo 生成。其余设置均为默认值（见 kexie-xl config show）。",
        "[registry]",
        'file = "units.toml"',
        f'district_reform_month = "{ctx.settings.registry.district_reform_month}"',
        "",
        "[paths]",
        f'store = "{store}"  # the archive (received files and mail) is the folder archive beside it',
        "",
    ]
    (folder / "kexie.toml").write_text("\n".join(config), encoding="utf-8")


def _toml(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def _png(name: str) -> bytes:
    """A small valid PNG (16×12, one colour derived from the name) standing in for an activity photo."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    width, height = 16, 12
    raw = b"".join(b"\x00" + digest[:3] * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
