"""Everything a test may want to compare about a workbook, read with openpyxl into plain values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl


def _fmt(fmt: str | None) -> str | None:
    # LibreOffice writes 'yyyy\-mm\-dd' for 'yyyy-mm-dd'; both mean the same.
    return fmt.replace("\\", "") if fmt else fmt


def validations(ws: Any) -> list[dict[str, Any]]:
    out = []
    for dv in ws.data_validations.dataValidation:
        out.append(
            {
                "sqref": str(dv.sqref),
                "type": dv.type,
                "operator": dv.operator,
                "formula1": dv.formula1,
                "formula2": dv.formula2,
                "prompt": dv.prompt,
                "promptTitle": dv.promptTitle,
                "showErrorMessage": bool(dv.showErrorMessage),
                "showInputMessage": bool(dv.showInputMessage),
                "errorStyle": dv.errorStyle,
                "error": dv.error,
            }
        )
    return sorted(out, key=lambda d: d["sqref"])


def _columns(ws: Any) -> dict[str, tuple[Any, ...]]:
    """Column width/format/lock per letter (grouped <col min max> ranges expanded, as LibreOffice writes them)."""
    from openpyxl.utils import get_column_letter

    out = {}
    for d in ws.column_dimensions.values():
        for index in range(d.min or 1, (d.max or d.min or 1) + 1):
            out[get_column_letter(index)] = (d.width, _fmt(d.number_format), d.protection.locked)
    return dict(sorted(out.items()))


def describe(path: Path) -> dict[str, Any]:
    """Sheets (state, cells with value/format/font/fill/lock, merges, widths, panes, protection), names, DVs."""
    wb = openpyxl.load_workbook(path)
    facts: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "names": {name: dn.attr_text for name, dn in wb.defined_names.items()},
    }
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells[c.coordinate] = (
                    c.value,
                    c.data_type,
                    _fmt(c.number_format),
                    bool(c.font.b),
                    c.fill.fgColor.rgb if c.fill.fill_type else None,
                    c.protection.locked,
                )
        facts[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "columns": _columns(ws),
            "freeze": ws.freeze_panes,
            "protected": bool(ws.protection.sheet),
            "validations": validations(ws),
            "print_titles": ws.print_title_rows,
            "autofilter": ws.auto_filter.ref,
        }
    return facts


def diff(a: dict[str, Any], b: dict[str, Any], path: str = "") -> list[str]:
    """Human-readable differences between two `describe` results."""
    out: list[str] = []
    for key in sorted(set(a) | set(b), key=str):
        where = f"{path}/{key}"
        if key not in a or key not in b:
            out.append(f"{where}: only in {'new' if key in a else 'committed'}")
        elif isinstance(a[key], dict) and isinstance(b[key], dict):
            out += diff(a[key], b[key], where)
        elif a[key] != b[key]:
            out.append(f"{where}: {a[key]!r} != {b[key]!r}")
    return out
