"""Files validated once: a kexie.toml or a registry file that pydantic accepted is, while neither it nor the code that
validates it changes, built again without pydantic (`Section.trusted`).

Why: every command, and every ribbon click, starts a fresh Python. With a kexie.toml, importing pydantic and building
the validators of the settings took ~0.2 s of each run (a re-run of the month after one resubmission at 41 units:
~1.15 s) though the file had not changed since the last run.

How it stays right:
- A mark is left only after pydantic accepted the data *and* `trusted` built from the same data is equal to
  pydantic's result, type for type (`_typed`): where the two would differ (a datetime given for a date, 3.0 for a
  whole number, …) no mark is left and pydantic validates every time.
- The mark's name is a SHA-256 of the parsed data, the section class, and the source of the code that validates it
  (sections.py, the modules of the section classes and of their `check`s), pydantic's version and Python's: any
  change to either means a new name, so pydantic judges again. Invalid data never gets a mark.
- The mark holds no data (the data is read from the file every run), so the cache can be deleted at any time —
  and marks older than MARK_DAYS are, whenever a new one is left (`_prune`). A
  mark's name cannot be hit by chance; one put there by hand makes `trusted` try, and what it cannot build (an
  unknown key, a wrong shape), pydantic judges. (Whoever can write the user's cache folder can write the user's
  kexie.toml too: the cache is trusted as much as the settings file.)
- Where nothing can be written (a read-only profile), or with KEXIE_XL_CACHE=off, everything is validated as before.

The folder: $KEXIE_XL_CACHE (an absolute path; a relative one is ignored), else the user's cache folder (Windows
%LOCALAPPDATA%\\kexie_xl\\Cache, macOS ~/Library/Caches/kexie_xl, elsewhere $XDG_CACHE_HOME/kexie_xl or
~/.cache/kexie_xl) — written here rather than with platformdirs, whose import alone costs ~15 ms of the time this saves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import sys
import typing
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from .sections import Section, field_types

log = logging.getLogger(__name__)

CACHE_ENV = "KEXIE_XL_CACHE"
_OFF = frozenset({"", "0", "off", "no", "none", "false"})

S = TypeVar("S", bound=Section)


def cache_folder() -> Path | None:
    """kexie_xl's cache folder (see the module's doc), or None when there is none."""
    env = os.environ.get(CACHE_ENV)
    if env is not None and env.strip().lower() in _OFF:
        return None
    try:
        if env is not None and os.path.isabs(os.path.expanduser(env)):
            return Path(env).expanduser()
        # a relative KEXIE_XL_CACHE would move with the working folder: ignored (as XDG says of its variables)
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA")
            return Path(base) / "kexie_xl" / "Cache" if base else None
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "kexie_xl"
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "kexie_xl"
    except RuntimeError:  # no home folder to be found
        return None


def validated_once(cls: type[S], items: list[dict[str, Any]], validate: Callable[[list[dict[str, Any]]], list[S]]) -> list[S]:
    """`validate(items)` — pydantic, with its errors — or, for exactly these items validated before by the same
    code, the same sections built by `cls.trusted`. Leaves the mark when pydantic accepted them and `trusted` builds
    the same, type for type."""
    mark = _mark(cls, items)
    if mark is not None and _marked(mark):
        try:
            return [cls.trusted(item) for item in items]
        except Exception as exc:  # a mark that does not fit these items (not left by us): pydantic judges
            log.debug("validation mark %s not used: %s", mark.name, exc)
    made = validate(items)
    if mark is not None and _same(cls, items, made):
        _leave(mark)
    return made


def _marked(mark: Path) -> bool:
    try:
        return mark.is_file()
    except OSError:  # a folder that may not be looked into (EACCES): as if there were no mark
        return False


def _same(cls: type[S], items: list[dict[str, Any]], made: list[S]) -> bool:
    try:
        rebuilt = [cls.trusted(item) for item in items]
    except Exception as exc:  # trusted cannot build what pydantic accepted: no mark, pydantic every time
        log.debug("%s rebuilt differently: %s", cls.__name__, exc)
        return False
    return len(rebuilt) == len(made) and all(_typed(a) == _typed(b) for a, b in zip(rebuilt, made, strict=False))


def _typed(value: Any) -> Any:
    """`value` with the type of every part beside it: 1 and 1.0, a tuple and a list, a date and a datetime differ."""
    if isinstance(value, Section):
        fields = dataclasses.fields(value)  # type: ignore[arg-type]
        return type(value), tuple((f.name, _typed(getattr(value, f.name))) for f in fields)
    if isinstance(value, (tuple, list)):
        return type(value), tuple(_typed(v) for v in value)
    return type(value), value


def _mark(cls: type, items: list[dict[str, Any]]) -> Path | None:
    folder = cache_folder()
    code = _code_digest(cls) if folder is not None else None  # no cache folder: no source read either
    if folder is None or code is None:
        return None
    digest = hashlib.sha256(code)
    digest.update(f"{cls.__module__}.{cls.__qualname__}\n".encode())
    digest.update(repr(items).encode("utf-8", "surrogatepass"))  # a file's parsed data: str, numbers, dates, lists, tables
    return folder / "validated" / f"{cls.__name__}-{digest.hexdigest()}"


def _leave(mark: Path) -> None:
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        temp = mark.with_name(f"{mark.name}.{os.getpid()}.tmp")
        temp.write_bytes(b"")
        os.replace(temp, mark)  # whole or not at all, whoever else leaves it at the same moment
    except OSError as exc:  # a read-only or full profile: validated every time, as without the cache
        log.debug("validation mark %s not left: %s", mark, exc)
        return
    _prune(mark)


MARK_DAYS = 180  # a mark older than this goes when another is left: at worst, a file is validated once more


def _prune(kept: Path) -> None:
    """Remove the marks (and leftovers of a mark being written) left more than MARK_DAYS ago: every edit of a
    config file and every update of kexie_xl leaves a new mark, and nothing else would ever remove the old ones.
    Done only when a mark is left (rare), never on a run that uses one; only files named as marks are, whatever
    else a KEXIE_XL_CACHE pointed at a shared folder may hold."""
    import re
    import time

    ours = re.compile(r"[A-Za-z_]\w*-[0-9a-f]{64}(?:\.[0-9]+\.tmp)?")  # a mark's name (`_mark`), or one being written
    before = time.time() - MARK_DAYS * 86400
    try:
        with os.scandir(kept.parent) as entries:
            old = [
                e.path
                for e in entries
                if e.name != kept.name and ours.fullmatch(e.name) and e.is_file() and e.stat().st_mtime < before
            ]
    except OSError:
        return
    for path in old:
        with suppress(OSError):  # gone already (another run pruned it), or not ours to remove
            os.unlink(path)


@cache
def _code_digest(cls: type) -> bytes | None:
    """A digest of the code that decides whether a file's data is valid for `cls` (`_code_files`) and of Python's
    version; None when a part cannot be read (then nothing is marked)."""
    files = _code_files(cls)
    if files is None:
        return None
    digest = hashlib.sha256(sys.version.encode())
    try:
        for file in files:
            digest.update(file.read_bytes())
    except OSError:
        return None
    return digest.digest()


def _code_files(cls: type) -> list[Path] | None:
    """The source of this module, of sections.py, of the module of every section class reachable from `cls` and of
    every field's `check`, and pydantic's version file; None when one cannot be found."""
    modules = {__name__, Section.__module__}
    seen: set[type] = set()
    todo = [cls]
    while todo:
        section = todo.pop()
        if section in seen:
            continue
        seen.add(section)
        modules.add(section.__module__)
        kinds = field_types(section)
        for f in dataclasses.fields(section):
            check = f.metadata.get("check")
            if check is not None:
                modules.add(check.__module__)
            todo += [t for t in _types_in(kinds[f.name]) if issubclass(t, Section)]
    files = []
    for name in sorted(modules):
        file = getattr(sys.modules.get(name), "__file__", None)
        if not file:
            return None
        files.append(Path(file))
    import importlib.util

    try:
        spec = importlib.util.find_spec("pydantic")  # found, not imported
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return [*files, Path(spec.origin).with_name("version.py")]


def _types_in(kind: Any) -> list[type]:
    """The classes named in a field's type (tuple[Platform, ...] → Platform; MailServer | None → MailServer)."""
    if isinstance(kind, type):
        return [kind]
    return [t for arg in typing.get_args(kind) for t in _types_in(arg)]
