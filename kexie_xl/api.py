"""The verbs both adapters (CLI and ribbon) call. Each runs the stages in order; heavy libraries load lazily."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, load_settings
from .errors import KexieError
from .schema.standard import TEMPLATE_RELEASED, build_template
from .schema.types import Template
from .schema.units import Registry, load_registry

if TYPE_CHECKING:
    from .sample import DemoResult
    from .write.template import Contact


@dataclass(frozen=True)
class Context:
    """Settings, registry and the template they define; built once per command."""

    settings: Settings
    registry: Registry

    @cached_property
    def template(self) -> Template:
        units = self.registry.names_current(date.fromisoformat(TEMPLATE_RELEASED))
        return build_template(self.settings.platform_names, units)

    @property
    def contact(self) -> Contact:
        from .write.template import Contact

        r = self.settings.receiver
        return Contact(r.department, r.contact, r.phone, r.mailbox, self.settings.report.deadline_day)


def load_context(config: str | Path | None = None) -> Context:
    """Read kexie.toml (or the defaults) and the unit registry it points at."""
    settings = load_settings(config)
    registry = load_registry(settings.registry.district_reform_month, settings.registry.file)
    return Context(settings, registry)


def make_template(out: str | Path, ctx: Context, unit: str | None = None, *, overwrite: bool = False) -> Path:
    """Write the standard template; with `unit`, 填报单位 and the unit code are filled in."""
    from .schema import standard
    from .write.template import Filling, write_template

    filling = Filling()
    if unit:
        found = ctx.registry.lookup(unit)
        if found is None:
            raise KexieError(f"单位名录中没有「{unit}」；可用 kexie-xl units 查看全部单位。")
        filling = Filling(
            basic={"unit": found.name},
            meta={standard.META_UNIT_CODE: found.code, standard.META_UNIT_NAME: found.name},
        )
    return write_template(out, ctx.template, ctx.contact, filling, overwrite=overwrite)


def make_demo(out_dir: str | Path, ctx: Context, month: str, seed: int, *, progress=None) -> DemoResult:
    """Generate a realistic month for every active unit (workbooks, emails, manifest) under `out_dir`."""
    from .sample import write_demo

    return write_demo(Path(out_dir), ctx, month, seed, progress=progress)
