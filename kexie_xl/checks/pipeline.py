"""Stages ③–④: check one grid — read it as a submission, run the sheet checks and the rules, return a Report."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from ..findings import Finding, Report
from ..read.grid import Grid
from ..read.submission import Submission, read_submission
from ..rules import RULES
from ..rules.context import RuleContext
from ..schema.types import Template
from .sheets import check_sheets

SHEET_ORDER_FALLBACK = 99


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC off for bulk work that makes tens of thousands of short-lived objects and no cycles to speak of
    (reading, checking, staging a workbook: ~5 collections a 1,000-row file otherwise); on again afterwards, whatever
    happens, unless it was off before. Not for openpyxl's work (marking): its objects refer to each other."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def check_grid(grid: Grid, template: Template, rules: RuleContext, file: str = "") -> tuple[Report, Submission]:
    """All findings for one workbook's grid, sorted as the clerk reads them: sheet order, then row, then column."""
    with gc_paused():
        sub = read_submission(grid, template)
        findings = list(sub.findings)
        findings += check_sheets(sub)
        for rule in RULES:
            findings += rule(sub, rules)
    order = {name: i for i, name in enumerate(grid.names)}
    findings = [_with_file(f, file) for f in findings]
    findings.sort(key=lambda f: (order.get(f.sheet, SHEET_ORDER_FALLBACK), f.row or 0, len(f.column), f.column))
    unit = sub.basic.values.get("unit")
    found = rules.registry.lookup(unit, date(*sub.month, 1)) if unit and sub.month else None
    month = f"{sub.month[0]}-{sub.month[1]:02d}" if sub.month else None
    report = Report(file, findings, sub.changes, True, unit, found.code if found else sub.unit_code, month, sub.template_version)
    return report, sub


def _with_file(finding: Finding, file: str) -> Finding:
    if finding.file or not file:
        return finding
    from dataclasses import replace

    return replace(finding, file=file)
