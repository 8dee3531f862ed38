"""Stage ②, the fast pass: a table column's values that are already clean, taken as they are in one comprehension.

Most cells of a filled ledger arrive exactly as the normaliser would return them — a date cell, a whole number,
an item of the code list, an id in plain ASCII, a trimmed text. `clean_column` returns those values (typed as the
normaliser types them) and MISS for every other cell; the reader sends only the MISS cells through the per-cell
normaliser (cells.py), so findings and the change record stay exactly those of the per-cell path. Blank cells
(None, "") become None; whitespace-only text goes the long way.

The row model is then validated over all rows in one call (`rows_adapter`: pydantic-core loops in Rust) — unless
`proven_clean` shows, a column at a time, that it could find nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..schema.rows import SPLIT_CHARS
from ..schema.types import Column, Kind, Sheet, Template
from .cells import EXCEL_CELL_MAX

MISS: Any = object()  # this cell needs the per-cell normaliser
TEXT_LIMIT = EXCEL_CELL_MAX // 2  # longer text may not fit a cell: the per-cell path measures it
PLAIN_ID = re.compile(r"[0-9A-Za-z_.\-]+")  # what cells.ident leaves unchanged (no spaces, no full-width, no #)
PLAIN_REFS = re.compile(r"[0-9A-Za-z_.\-]+(?:、[0-9A-Za-z_.\-]+)*")  # what cells.refs leaves unchanged
ID_COLUMNS = frozenset({"activity_id", "team_id"})
SPLIT = re.compile(f"[{re.escape(SPLIT_CHARS)}]")


def clean_column(values: list[Any], column: Column, extra: Any) -> list[Any]:
    """`values` as the normaliser would return them where that is certain without it, else MISS."""
    kind = column.kind
    if column.open_list or (kind in (Kind.TEXT, Kind.URL) and column.key not in ID_COLUMNS):
        return [
            None
            if v is None or v == ""
            else v
            if type(v) is str and "#" not in v[:2] and len(v) <= TEXT_LIMIT and not v[0].isspace() and not v[-1].isspace()
            else MISS
            for v in values
        ]
    if column.key in ID_COLUMNS:
        match = PLAIN_ID.fullmatch
        return [
            None if v is None or v == "" else v if type(v) is str and len(v) <= TEXT_LIMIT and match(v) else MISS for v in values
        ]
    if kind is Kind.DATE:
        return [
            None if v is None or v == "" else v.date() if type(v) is datetime else v if type(v) is date else MISS for v in values
        ]
    if kind is Kind.INT:
        return [
            None if v is None or v == "" else int(v) if type(v) is float and v.is_integer() else v if type(v) is int else MISS
            for v in values
        ]
    if kind is Kind.DECIMAL:
        return [
            None if v is None or v == "" else v if type(v) is float and math.isfinite(v) else float(v) if type(v) is int else MISS
            for v in values
        ]
    if kind in (Kind.CODE, Kind.CODES):
        # several codes are split at 、，,;；/ first: an item holding one of those is not taken as it is there
        items = frozenset(i for i in extra.items if kind is Kind.CODE or not SPLIT.search(i))
        return [None if v is None or v == "" else v if type(v) is str and v in items else MISS for v in values]
    if kind is Kind.REFS:
        match = PLAIN_REFS.fullmatch
        return [
            None if v is None or v == "" else v if type(v) is str and len(v) <= TEXT_LIMIT and match(v) else MISS for v in values
        ]
    if kind is Kind.YESNO:
        return [None if v is None or v == "" else v if v == "是" or v == "否" else MISS for v in values]
    return [None if v is None or v == "" else MISS for v in values]  # month, phone, email: few cells, the long way


if TYPE_CHECKING:
    from pydantic import TypeAdapter

_TYPES: dict[Kind, frozenset[type]] = {Kind.INT: frozenset({int}), Kind.DECIMAL: frozenset({float}), Kind.DATE: frozenset({date})}
_TEXT = frozenset({str})  # every other kind is text in the lean row model


def proven_clean(sheet: Sheet, columns: Mapping[str, Sequence[Any]]) -> bool:
    """True when the lean row model can find nothing in these values (column key → the column's values, one per
    row, none of them with a finding of its own): every value exactly of its column's type, None only where the
    column is optional, numbers finite and within the column's bounds. Checked a column at a time in C (the set of
    types, min and max), so a clean ledger — the common case — neither runs nor builds the model. Anything else
    (an int in a decimal column, a datetime, inf) is left to the model, which stays the judge.

    A column not given (not in the sheet) is skipped: the model's finding there is dropped anyway (header.missing
    says it)."""
    for column in sheet.columns:
        values = columns.get(column.key)
        if values is None:
            continue
        types = set(map(type, values))
        optional = not column.required and type(None) in types
        if optional:
            types.discard(type(None))
        if not types <= _TYPES.get(column.kind, _TEXT):
            return False
        if column.kind in (Kind.INT, Kind.DECIMAL) and types:
            numbers = [v for v in values if v is not None] if optional else values
            if column.kind is Kind.DECIMAL and not all(map(math.isfinite, numbers)):
                return False
            if column.min is not None and min(numbers) < column.min:
                return False
            if column.max is not None and max(numbers) > column.max:
                return False
    return True


@lru_cache(maxsize=32)
def rows_adapter(template: Template, sheet_key: str) -> TypeAdapter[list[Any]]:
    """The lean row model of a table sheet, over a list of rows."""
    from pydantic import TypeAdapter

    from ..schema.rows import row_model

    return TypeAdapter(list[row_model(template, sheet_key, lean=True)])  # type: ignore[misc,arg-type]
