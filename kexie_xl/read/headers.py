"""Stage ②: find a table's header row and map its labels to the schema's columns.

Tolerates what hand-edited copies do: reordered columns, stray spaces, full-width characters, renamed headers
within the known aliases, a title row above the header, two-row headers with a merged group label on top, and
extra columns (reported, not fatal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..schema.types import Column, Sheet
from .cells import is_blank, label_key
from .grid import SheetGrid

SCAN_ROWS = 10


@dataclass
class HeaderMap:
    """Where the header is and which grid column holds which schema column (1-based indexes)."""

    rows: tuple[int, ...] = ()
    columns: dict[str, int] = field(default_factory=dict)
    extra: list[tuple[int, str]] = field(default_factory=list)
    renamed: list[tuple[int, str, Column]] = field(default_factory=list)  # header written as an alias

    @property
    def data_start(self) -> int:
        return (self.rows[-1] if self.rows else 0) + 1


@lru_cache(maxsize=64)
def _lookup(sheet: Sheet) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in sheet.columns:
        for label in (*column.labels, column.key):
            table.setdefault(label_key(label), column)
    return table


def _fill_right(values: Sequence[object]) -> list[str]:
    """A merged group label sits in its first cell only: carry it right until the next label."""
    out, current = [], ""
    for value in values:
        if not is_blank(value):
            current = str(value)
        out.append(current)
    return out


def _match(
    labels: list[list[str]], lookup: dict[str, Column]
) -> tuple[dict[str, int], list[tuple[int, str]], list[tuple[int, str, Column]]]:
    """Map columns given, per grid column, the label candidates in order of preference."""
    columns: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    renamed: list[tuple[int, str, Column]] = []
    for index, candidates in enumerate(labels, start=1):
        shown = next((c for c in candidates if c), "")
        hit = next((lookup[label_key(c)] for c in candidates if c and label_key(c) in lookup), None)
        if hit is not None and hit.key not in columns:
            columns[hit.key] = index
            if label_key(shown) != label_key(hit.label):
                renamed.append((index, shown, hit))
        elif shown:
            extra.append((index, shown))
    return columns, extra, renamed


def map_header(grid: SheetGrid, sheet: Sheet) -> HeaderMap:
    """The best header among the first rows: single-row, or two rows with a group label above."""
    lookup = _lookup(sheet)
    best = HeaderMap()
    best_score = 0
    for r in range(1, min(SCAN_ROWS, len(grid.rows)) + 1):
        row = [str(v).strip() if not is_blank(v) else "" for v in grid.rows[r - 1]]
        single = _match([[v] for v in row], lookup)
        candidates: list[tuple[Any, tuple[int, ...]]] = [(single, (r,))]
        if r < len(grid.rows):
            below = [str(v).strip() if not is_blank(v) else "" for v in grid.rows[r]]
            width = max(len(row), len(below))
            top = _fill_right(row + [""] * (width - len(row)))
            below += [""] * (width - len(below))
            pairs = [[b, t + b, t] if b else [t] for t, b in zip(top, below, strict=True)]
            candidates.append((_match(pairs, lookup), (r, r + 1)))
        for (columns, extra, renamed), rows in candidates:
            if len(columns) > best_score:
                best_score = len(columns)
                best = HeaderMap(rows, columns, extra, renamed)
        if best_score == len(sheet.columns):
            break  # every column found: no row below can do better (the rows below are the data)
    return best
