"""The context every verb runs in: settings, the unit registry, and the template they define."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, load_settings
from .schema.standard import TEMPLATE_RELEASED, build_template
from .schema.types import Template
from .schema.units import Registry, load_registry

if TYPE_CHECKING:
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
