"""In-memory workbooks for fast checks: the clean workbook of builders.py read once into a Grid, then copied and
edited cell by cell, and checked without writing a file (the mutation run repeats these tests for every mutant)."""

from __future__ import annotations

import copy
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from kexie_xl.api import Context, load_context
from kexie_xl.checks import check_grid
from kexie_xl.findings import Report
from kexie_xl.read.grid import Grid
from kexie_xl.read.submission import Submission
from kexie_xl.rules import RuleContext

from .builders import AS_OF, clean_filling, write

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def context() -> Context:
    """The embedded defaults, as the `ctx` fixture (loaded once per process)."""
    return load_context(ROOT / "tests" / "data" / "empty.toml")


@lru_cache(maxsize=1)
def _clean() -> Grid:
    from kexie_xl.files.calamine import read_grid

    ctx = context()
    path = write(Path(tempfile.mkdtemp(prefix="kexie-grid-")) / "clean.xlsx", ctx.template, clean_filling())
    unread = [*ctx.template.sheet("instructions").names, *ctx.template.sheet("codes").names]
    return read_grid(path, skip=unread)


def clean_grid() -> Grid:
    """A fresh copy of the clean workbook (万州区科协, 2026-11) as calamine reads it."""
    return copy.deepcopy(_clean())


def sheet_name(key: str) -> str:
    return context().template.sheet(key).name


def _column(grid: Grid, key: str, field: str) -> int:
    header = grid.sheets[sheet_name(key)].rows[0]
    return header.index(context().template.sheet(key).column(field).label) + 1


def put(grid: Grid, key: str, row: int, **values: Any) -> Grid:
    """Set cells of Excel row `row` of table sheet `key` by column key (None: an empty cell)."""
    sheet = grid.sheets[sheet_name(key)]
    for field, value in values.items():
        sheet.put(row, _column(grid, key, field), "" if value is None else value)
    return grid


def add(grid: Grid, key: str, like: int, **values: Any) -> int:
    """Append a row to table sheet `key`, a copy of Excel row `like` with `values`; returns its Excel row."""
    sheet = grid.sheets[sheet_name(key)]
    sheet.rows.append(list(sheet.rows[like - 1]))
    row = len(sheet.rows)
    put(grid, key, row, **values)
    return row


def put_basic(grid: Grid, field: str, value: Any) -> Grid:
    """Set a 基本信息 field (the cell right of its label)."""
    label = context().template.sheet("basic").column(field).label
    sheet = grid.sheets[sheet_name("basic")]
    r = next(i for i, row in enumerate(sheet.rows, start=1) if row and row[0] == label)
    sheet.put(r, 2, "" if value is None else value)
    return grid


def check(grid: Grid, as_of: date = AS_OF) -> tuple[Report, Submission]:
    ctx = context()
    return check_grid(grid, ctx.template, RuleContext(ctx.settings, ctx.registry, as_of), "t.xlsx")


def found(report: Report, *codes: str) -> list[tuple[str, str, str]]:
    """(code, sheet, cell) of the findings, only those with the given codes when any are given."""
    return [(f.code, f.sheet, f.cell) for f in report.findings if not codes or f.code in codes]


def first(report: Report, code: str) -> Any:
    return next(f for f in report.findings if f.code == code)
