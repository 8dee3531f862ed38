"""Schema ①: pydantic row models generated from the template schema — the only place models are built.

A model per table/form sheet, built once per template and cached. Field names are the column keys; each field
accepts the Chinese label, its aliases and the key (AliasChoices), so `dict(zip(header, row))` validates as is.
Readers hand over values already normalised (dates as `date`, '' as None); these models check types,
required cells, ranges and code lists.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from .types import CodeList, Column, Kind, Layout, Sheet, Template

if TYPE_CHECKING:
    from pydantic import BaseModel

# pydantic is imported where a model is built, not with this module: split_multi and SPLIT_CHARS are used on every
# check, while a model is needed only when a table is not proven clean (read/fast.py) — not on a clean ribbon click.

SPLIT_CHARS = "、，,;；/"


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


_SPLIT = re.compile(f"[{re.escape(SPLIT_CHARS)}]")


def split_multi(value: str) -> list[str]:
    """'A、B，C' → ['A', 'B', 'C'] (several ids or codes in one cell)."""
    if value.isalnum():  # the common single id (T01): no separator, no space — nothing to split or strip
        return [value]
    if _SPLIT.search(value) is None:
        value = value.strip()
        return [value] if value else []
    return [part.strip() for part in _SPLIT.split(value) if part.strip()]


def _in_list(code_list: CodeList, multi: bool):
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        parts = split_multi(value) if multi else [value.strip()]
        out = []
        for part in parts:
            item = code_list.canonical(part)
            if item is None:
                raise ValueError(f"「{part}」不在「{code_list.label}」的下拉选项中")
            out.append(item)
        return "、".join(out)

    return check


def _python_type(column: Column, template: Template, lean: bool) -> Any:
    from pydantic import AfterValidator, BeforeValidator, Field

    kind = column.kind
    bounds = {k: v for k, v in (("ge", column.min), ("le", column.max)) if v is not None}
    if kind is Kind.INT:
        return Annotated[int, Field(strict=False, **bounds)]  # type: ignore[call-overload]
    if kind is Kind.DECIMAL:
        return Annotated[float, Field(**bounds)]  # type: ignore[call-overload]
    if kind is Kind.DATE:
        return date
    if lean:
        return str  # the reader has normalised the value and checked the code list already
    if kind in (Kind.CODE, Kind.CODES, Kind.YESNO) and column.codes and not column.open_list:
        check = _in_list(template.code_list(column.codes), multi=kind is Kind.CODES)
        return Annotated[str, AfterValidator(check)]
    return Annotated[str, BeforeValidator(lambda v: str(v).strip() if v is not None else v)]


def _field(column: Column, template: Template, lean: bool) -> tuple[Any, Any]:
    from pydantic import AliasChoices, BeforeValidator, Field

    base: Any = _python_type(column, template, lean)  # a type built at run time from the schema
    alias = AliasChoices(column.key, *column.labels)
    if lean:  # values arrive keyed by column key, blanks already None: no Python-level validators at all
        if column.required:
            return base, Field(..., validation_alias=alias, title=column.label)
        return base | None, Field(None, validation_alias=alias, title=column.label)
    if column.required:
        return Annotated[base, BeforeValidator(_blank_to_none)], Field(..., validation_alias=alias, title=column.label)
    optional = Annotated[base | None, BeforeValidator(_blank_to_none)]
    return optional, Field(None, validation_alias=alias, title=column.label)


@lru_cache(maxsize=32)
def row_model(template: Template, sheet_key: str, lean: bool = False) -> type[BaseModel]:
    """The pydantic model of one row of a table sheet, or of the whole form sheet.

    The full model takes raw values under their Chinese labels (blank → None, code lists checked). The lean
    model is what the reader uses after it has normalised each cell: the same types, bounds and required
    fields, validated entirely in pydantic-core.
    """
    from pydantic import ConfigDict, create_model

    sheet: Sheet = template.sheet(sheet_key)
    if sheet.layout not in (Layout.TABLE, Layout.FORM):
        raise ValueError(f"sheet {sheet_key} holds no rows")
    fields = {col.key: _field(col, template, lean) for col in sheet.columns}
    config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)
    name = "".join(part.title() for part in sheet.key.split("_")) + ("LeanRow" if lean else "Row")
    return create_model(name, __config__=config, **fields)  # type: ignore[call-overload]
