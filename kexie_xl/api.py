"""The verbs both adapters (CLI and ribbon) call. Each runs the stages in order; heavy libraries load lazily."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .context import Context, load_context
from .errors import KexieError

if TYPE_CHECKING:
    from .sample import DemoResult

__all__ = ["Context", "load_context", "make_demo", "make_template"]


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
