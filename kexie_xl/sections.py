"""Settings and registry records: frozen dataclasses whose fields carry their meaning and their constraints —
built and read without pydantic, validated by pydantic when their values come from a file.

Why: a ribbon click starts a fresh Python that needs the settings and the unit registry. As pydantic models they
cost the click ~0.15–0.25 s (importing pydantic and building 14 models) of a 0.5 s budget, though the embedded
defaults and the shipped registry are constants that need no validation. A user's kexie.toml or registry file
does: `Section.validated` hands it to pydantic, which validates against these same classes (each field's type with
its constraints, unknown keys refused, the `check` of a field, then `validate` of the whole), so the rules live in
one place; its errors keep their locations (report.deadline_day) and `in_chinese` says them in Chinese.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from datetime import date
from pathlib import Path, PurePath
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10
    from typing_extensions import dataclass_transform

CONSTRAINTS = frozenset({"ge", "le", "gt", "lt", "min_length"})

S = TypeVar("S", bound="Section")
T = TypeVar("T")


def setting(
    *,
    default: Any = dataclasses.MISSING,
    description: str = "",
    default_factory: Callable[[], Any] | None = None,
    check: Callable[[Any], Any] | None = None,
    **constraints: Any,
) -> Any:
    """A field: its default (or default_factory; neither = required), what it means, pydantic's constraints (ge, le,
    gt, lt, min_length) and a `check` run on a value read from a file after its type (returns the value, maybe
    normalised; raises ValueError with a Chinese message)."""
    unknown = set(constraints) - CONSTRAINTS
    if unknown:
        raise TypeError(f"unknown constraints {sorted(unknown)}")
    metadata = {"description": description, "check": check, "constraints": constraints}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(setting,))
def section(cls: type[T]) -> type[T]:
    """A frozen dataclass section, its fields given by name (as pydantic models take them): hashable, compared by
    value, changed only by `dataclasses.replace`."""
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)


class Section:
    """Base of the `@section` classes."""

    def validate(self) -> None:
        """A rule across the fields of a section read from a file (KeyDate: end not before start)."""

    @classmethod
    def validated(cls: type[S], data: Any) -> S:
        """`data` (a file's tables) checked by pydantic against this class; pydantic.ValidationError otherwise."""
        return _adapter(cls).validate_python(data)

    @classmethod
    def trusted(cls: type[S], data: dict[str, Any]) -> S:
        """The section of data known to be valid, built without pydantic: data shipped with kexie_xl (tested to
        equal `validated`, tests/test_units.py), or a file pydantic accepted before (validcache.py, which compares
        the two before it trusts this). A table becomes its section, a list a tuple, a text a Path and a whole
        number a float where the field wants one; then each field's `check`, then `validate`. Unknown keys are a
        TypeError."""
        hints = field_types(cls)
        values = {k: _trusted(hints[k], v) if k in hints else v for k, v in data.items()}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            check = f.metadata.get("check")
            if check is not None and f.name in values:
                values[f.name] = check(values[f.name])
        return cls._made(values)

    @classmethod
    def _made(cls: type[S], values: dict[str, Any]) -> S:
        """The section of these (checked) field values, its cross-field rule applied."""
        made = cls(**values)
        made.validate()
        return made

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, handler: Any) -> Any:
        from pydantic import Field
        from pydantic_core import core_schema as cs

        hints = typing.get_type_hints(cls)  # the annotations are strings (from __future__ import annotations)
        fields = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            kind: Any = hints[f.name]
            if f.metadata.get("constraints"):
                kind = typing.Annotated[kind, Field(**f.metadata["constraints"])]
            schema = handler.generate_schema(kind)
            if f.metadata.get("check") is not None:
                schema = cs.no_info_after_validator_function(f.metadata["check"], schema)
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            fields[f.name] = cs.typed_dict_field(schema, required=required)

        def unpack(value: Any) -> Any:  # a section given as such (not as a table) is taken field by field
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(cls)} if isinstance(value, cls) else value  # type: ignore[arg-type]

        checked = cs.no_info_after_validator_function(cls._made, cs.typed_dict_schema(fields, extra_behavior="forbid"))
        return cs.no_info_before_validator_function(unpack, checked)


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """A section's field types (its annotations are strings: evaluated once per class)."""
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = typing.get_type_hints(cls)
    return _FIELD_TYPES[cls]


def _trusted(kind: Any, value: Any) -> Any:
    """`value` as a field of type `kind` holds it, for `Section.trusted`: only the conversions a file's valid data
    needs (a table, a list, a path, a whole number for a float); anything else is left as it is."""
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:  # X | None
        if value is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _trusted(options[0], value) if len(options) == 1 else value
    if origin is tuple and isinstance(value, list):  # tuple[X, ...]
        item = typing.get_args(kind)[0]
        return tuple(_trusted(item, v) for v in value)
    if isinstance(kind, type):
        if issubclass(kind, Section) and isinstance(value, dict):
            return kind.trusted(value)
        if kind is float and type(value) is int:
            return float(value)
        if issubclass(kind, PurePath) and isinstance(value, str):
            return kind(value)
    return value


_ADAPTERS: dict[type, Any] = {}


def _adapter(cls: type) -> Any:
    """pydantic's validator of a section class, built once (a registry file validates a unit at a time)."""
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


_LIST = '应为列表，如 ["甲", "乙"]'
_DATE = "应为日期，如 2026-03-01"
_TABLE = "应为一个表（[节名] 下的各项）"
_IN_CHINESE = {  # pydantic's error types a settings or registry file can meet → what to tell its author
    "missing": "缺少这一项（必填）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数（不能有小数）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字（用英文双引号括起来）",
    "string_too_short": "不能为空",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "tuple_type": _LIST,
    "list_type": _LIST,
    "dict_type": _TABLE,
    "model_type": _TABLE,
    "dataclass_type": _TABLE,
    "path_type": "应为路径（文字）",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "应为日期（不带时刻）",
    "extra_forbidden": "不是可识别的设置项（请检查拼写）",
}


def in_chinese(error: dict[str, Any]) -> str:
    """One of pydantic's errors (ValidationError.errors()) in Chinese: a rule of ours (`check`, `validate`) says its
    own words; a type or bound is translated; anything else keeps pydantic's message."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in ctx:
        return str(ctx["error"])
    template = _IN_CHINESE.get(str(error.get("type")))
    if template is None:
        return str(error.get("msg", ""))
    if "expected" in ctx:  # literal_error: "'警告' or '错误'"
        ctx = {**ctx, "expected": str(ctx["expected"]).replace(" or ", "、")}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", ""))


def dump(value: Any) -> Any:
    """A section as JSON-ready data (dates as ISO text, paths as text, tuples as lists), as `config show` prints it."""
    if isinstance(value, Section):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}  # type: ignore[arg-type]
    if isinstance(value, (tuple, list)):
        return [dump(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def description(cls: type, name: str) -> str:
    """What a field means (for documentation and tests)."""
    return next(f.metadata.get("description", "") for f in dataclasses.fields(cls) if f.name == name)
