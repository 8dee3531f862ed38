"""Stage ②: read_submission(grid) → a Submission (typed rows per sheet) plus the findings and changes of reading.

Per cell: normalise (cells.py) and record what changed; then the schema's pydantic row model checks required
cells, ranges and code lists. A cell holding an Excel error value (#REF!, #N/A, …), or a formula saved without
its result (grid.Uncalculated), gets that finding and no other;
a text longer than an Excel cell holds is kept whole, with a warning. Nothing here knows about files: the grid may
come from calamine, openpyxl or a live Excel workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from ..findings import Finding, make
from ..schema.rows import row_model
from ..schema.standard import META_UNIT_CODE, META_VERSION
from ..schema.types import Column, Kind, Layout, Sheet, Template, column_letter
from . import cells, fast
from .cells import CellProblem, Change, is_blank, label_key, show
from .fast import MISS, clean_column, proven_clean, rows_adapter
from .grid import Grid, SheetGrid, Uncalculated
from .headers import map_header

# Sheets a submission cannot do without.
REQUIRED_SHEETS = ("basic", "registration", "teams", "activities")

NORMALISERS: dict[Kind, Callable[[Any, Any], Any]] = {
    Kind.TEXT: cells.text,
    Kind.INT: cells.integer,
    Kind.DECIMAL: cells.decimal,
    Kind.DATE: cells.day,
    Kind.MONTH: cells.month,
    Kind.PHONE: cells.phone,
    Kind.EMAIL: cells.email,
    Kind.URL: cells.text,
    Kind.CODE: cells.code,
    Kind.CODES: cells.codes,
    Kind.REFS: cells.refs,
    Kind.YESNO: cells.yesno,
}
# Columns whose text is an identifier: full-width characters and inner spaces are normalised.
ID_COLUMNS = set(fast.ID_COLUMNS)


@dataclass
class Record:
    """One row of a table, typed: `row` is the Excel row, `cols` the column letter per key.

    The form sheet (基本信息) is one Record with row 0, whose `cols` hold each field's full address (B3).
    """

    row: int
    values: dict[str, Any]
    cols: dict[str, str]
    bad: set[str] = field(default_factory=set)  # keys whose cell already has a finding

    def cell(self, key: str) -> str:
        if self.row == 0:
            return self.cols.get(key, "")
        return f"{self.cols.get(key, 'A')}{self.row}"


@dataclass
class Table:
    sheet: Sheet
    name: str  # the sheet's name in the workbook
    records: list[Record] = field(default_factory=list)
    present: bool = True


@dataclass
class Submission:
    """What a workbook says, typed, with where each value came from."""

    template: Template
    basic: Record
    tables: dict[str, Table]
    meta: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def month(self) -> tuple[int, int] | None:
        value = self.basic.values.get("report_month")
        if not value:
            return None
        year, mon = value.split("-")
        return int(year), int(mon)

    @property
    def report_date(self) -> date | None:
        return self.basic.values.get("report_date")

    @property
    def template_version(self) -> str | None:
        return self.meta.get(META_VERSION)

    @property
    def unit_code(self) -> str | None:
        return self.meta.get(META_UNIT_CODE) or None

    def rows(self, key: str) -> list[Record]:
        return self.tables[key].records if key in self.tables else []


def _filled(value: Any) -> bool:
    """A cell that holds something: not empty, not only spaces."""
    return value is not None and value != "" and not (type(value) is str and value.isspace())


class _Reader:
    def __init__(self, grid: Grid, template: Template):
        self.grid, self.template = grid, template
        self.findings: list[Finding] = []
        self.changes: list[Change] = []
        self.year: int | None = None

    def read(self) -> Submission:
        basic_sheet = self.template.sheet("basic")
        basic = self._form(basic_sheet)
        month = basic.values.get("report_month")
        self.year = int(month[:4]) if month else None
        tables = {}
        for sheet in self.template.sheets:
            if sheet.layout is Layout.TABLE:
                tables[sheet.key] = self._table(sheet)
        meta = self._meta()
        return Submission(self.template, basic, tables, meta, self.findings, self.changes)

    # Sheets

    def _sheet(self, sheet: Sheet) -> SheetGrid | None:
        found = self.grid.find(*sheet.names)
        if found is None and sheet.key in REQUIRED_SHEETS:
            self.findings.append(make("sheet.missing", sheet=sheet.name))
        elif found is not None and label_key(found.name) not in {label_key(n) for n in sheet.names}:
            self.findings.append(make("sheet.renamed", sheet=found.name, template=sheet.name))
        return found

    def _form(self, sheet: Sheet) -> Record:
        record = Record(row=0, values={}, cols={})
        grid = self._sheet(sheet)
        if grid is None:
            return record
        wanted = {label_key(label): column for column in sheet.columns for label in column.labels}
        where: dict[str, tuple[int, int]] = {}
        for r, row in enumerate(grid.rows[:60], start=1):
            for c, value in enumerate(row[:6], start=1):
                column = wanted.get(label_key(value)) if not is_blank(value) else None
                if column is not None and column.key not in where:
                    where[column.key] = (r, c + 1)
        raw: dict[str, Any] = {}
        for column in sheet.columns:
            if column.key not in where:
                if column.required:
                    self.findings.append(make("header.missing", sheet=grid.name, label=column.label))
                continue
            r, c = where[column.key]
            per_row = Record(row=r, values={}, cols={column.key: column_letter(c)})
            self._cell(grid.name, per_row, column, grid.value(r, c))
            record.values.update(per_row.values)
            record.cols[column.key] = f"{column_letter(c)}{r}"
            record.bad |= per_row.bad
            raw[column.key] = per_row.values.get(column.key)
        if record.bad or not proven_clean(sheet, {key: (value,) for key, value in raw.items()}):
            self._model(sheet, grid.name, record, raw, form=True)
        return record

    def _table(self, sheet: Sheet) -> Table:
        grid = self._sheet(sheet)
        if grid is None:
            return Table(sheet, sheet.name, present=False)
        header = map_header(grid, sheet)
        for column in sheet.columns:
            if column.key not in header.columns and column.required:
                self.findings.append(make("header.missing", sheet=grid.name, label=column.label))
        for index, label in header.extra:
            self.findings.append(
                make(
                    "header.extra",
                    sheet=grid.name,
                    row=header.rows[-1] if header.rows else 1,
                    column=column_letter(index),
                    value=label,
                )
            )
        table = Table(sheet, grid.name)
        cols = {key: column_letter(i) for key, i in header.columns.items()}
        plan = [self._plan(sheet.column(key), index - 1) for key, index in header.columns.items()]
        start = header.data_start
        kept = [
            (r, row)
            for r, row in enumerate(grid.rows[start - 1 :], start=start)
            # a filled first cell says it at once (most rows of a ledger); else the common blank row is told in C
            # (counted), and a row of only spaces is blank too
            if (row and _filled(row[0])) or (len(row) != row.count(None) + row.count("") and any(map(_filled, row)))
        ]
        # Column-wise: each column's values that are already what the normaliser would return pass in one
        # comprehension (fast.py); only the others (MISS) go through the per-cell normaliser, row by row, so the
        # findings and the change record are exactly those of the per-cell path.
        keys = [column.key for column, *_rest in plan]
        rows = [row for _r, row in kept]
        narrowest = min(map(len, rows), default=0)  # calamine's rows are all as wide as the sheet's used range
        columns = [
            clean_column(
                list(map(itemgetter(index), rows))
                if index < narrowest
                else [row[index] if index < len(row) else "" for row in rows],
                column,
                extra,
            )
            for column, index, _normalise, extra in plan
        ]
        for (r, row), values in zip(kept, zip(*columns, strict=True) if columns else ((),) * len(kept), strict=True):
            record = Record(row=r, values=dict(zip(keys, values, strict=True)), cols=cols)
            if MISS in values:
                width = len(row)
                for (column, index, normalise, extra), value in zip(plan, values, strict=True):
                    if value is MISS:
                        self._cell(grid.name, record, column, row[index] if index < width else "", normalise, extra)
            table.records.append(record)
        if any(record.bad for record in table.records):
            self._models(sheet, grid.name, table.records)
            return table
        final = {
            key: [record.values[key] for record in table.records] if MISS in values else values
            for key, values in zip(keys, columns, strict=True)
        }
        if not proven_clean(sheet, final):
            self._models(sheet, grid.name, table.records)
        return table

    def _models(self, sheet: Sheet, sheet_name: str, records: list[Record]) -> None:
        """The row model over every record in one call (pydantic-core loops in Rust); a record whose cells already
        have findings is validated without those keys, as `_model` does."""
        if not records:
            return
        from pydantic import ValidationError  # here, not with the module: a clean table needs no model (fast.py)

        adapter = rows_adapter(self.template, sheet.key)
        data = [{k: v for k, v in r.values.items() if k not in r.bad} if r.bad else r.values for r in records]
        try:
            adapter.validate_python(data)
        except ValidationError as exc:
            for err in exc.errors():
                if len(err["loc"]) < 2:
                    continue  # row models have field errors only
                record = records[int(err["loc"][0])]
                key = str(err["loc"][1])
                if key in record.bad or key not in record.cols:
                    continue
                record.bad.add(key)
                column = sheet.column(key)
                self.findings.append(self._model_finding(err, sheet_name, record, column, record.values.get(key), False))

    def _plan(self, column: Column, index: int) -> tuple[Column, int, Callable[[Any, Any], Any], Any]:
        """How to read one column: its normaliser and what the normaliser needs (code list or year)."""
        if column.open_list:
            return column, index, cells.text, None
        normalise = cells.ident if column.key in ID_COLUMNS else NORMALISERS[column.kind]
        extra = self.template.code_list(column.codes) if column.codes and column.kind is not Kind.YESNO else self.year
        return column, index, normalise, extra

    def _meta(self) -> dict[str, str]:
        grid = self.grid.find(*self.template.sheet("meta").names)
        if grid is None:
            return {}
        return {
            str(r[0]).strip(): cells.text(r[1]) for r in grid.rows if len(r) >= 2 and not is_blank(r[0]) and not is_blank(r[1])
        }

    # Cells

    def _cell(
        self,
        sheet_name: str,
        record: Record,
        column: Column,
        raw: Any,
        normalise: Callable[[Any, Any], Any] | None = None,
        extra: Any = None,
    ) -> None:
        if raw is None or raw == "" or (isinstance(raw, str) and raw.isspace()):
            record.values[column.key] = None
            return
        if normalise is None:
            _, _, normalise, extra = self._plan(column, 0)
        try:
            if type(raw) is Uncalculated:  # its value is not in the file: never "not filled", never a guess
                raise CellProblem("cell.formula-no-value", value=cells.preview(str(raw), 40))
            error = cells.excel_error(raw)
            if error is not None:  # before any type check: #REF! is neither blank nor a wrong number
                raise CellProblem("cell.excel-error", value=error, meaning=cells.EXCEL_ERRORS[error])
            value = normalise(raw, extra)
        except CellProblem as problem:
            record.values[column.key] = None
            record.bad.add(column.key)
            fields = {"value": show(raw), **problem.fields}
            self.findings.append(
                make(problem.code, sheet=sheet_name, row=record.row, column=record.cols[column.key], label=column.label, **fields)
            )
            return
        record.values[column.key] = value
        if type(value) is str and len(value) > cells.EXCEL_CELL_MAX // 2:
            length = cells.excel_length(value)
            if length > cells.EXCEL_CELL_MAX:  # kept whole: the city workbook cuts it, visibly
                self.findings.append(
                    make(
                        "cell.text-too-long",
                        sheet=sheet_name,
                        row=record.row,
                        column=record.cols[column.key],
                        label=column.label,
                        value=cells.preview(value),
                        length=length,
                    )
                )
        if value == raw or (column.kind is Kind.DATE and isinstance(raw, date)):
            return  # the common case: nothing was changed
        before, after = show(raw), show(value)
        if before != after:
            self.changes.append(Change(sheet_name, f"{record.cols[column.key]}{record.row}", column.label, before, after))

    def _model(
        self, sheet: Sheet, sheet_name: str, record: Record, values: dict[str, Any], form: bool = False, model: Any = None
    ) -> None:
        from pydantic import ValidationError

        model = model or row_model(self.template, sheet.key, lean=True)
        data = {k: v for k, v in values.items() if k not in record.bad} if record.bad else values
        try:
            model.__pydantic_validator__.validate_python(data)
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0])
                if key in record.bad:
                    continue
                column = sheet.column(key)
                if key not in record.cols:
                    continue  # a missing column or form field is already a header.missing
                record.bad.add(key)
                self.findings.append(self._model_finding(err, sheet_name, record, column, values.get(key), form))

    def _model_finding(self, err: Any, sheet_name: str, record: Record, column: Column, value: Any, form: bool) -> Finding:
        address = record.cols[column.key]
        letters = address.rstrip("0123456789")
        row = int(address[len(letters) :]) if form else record.row
        kind = err["type"]
        if kind == "missing" or value is None:
            return make("cell.required", sheet=sheet_name, row=row, column=letters, label=column.label)
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            return make(
                "cell.number-range",
                sheet=sheet_name,
                row=row,
                column=letters,
                label=column.label,
                value=show(value),
                bounds=_bounds(column),
            )
        if kind == "value_error":
            return make("cell.code-list", sheet=sheet_name, row=row, column=letters, label=column.label, value=show(value))
        return make("cell.not-integer", sheet=sheet_name, row=row, column=letters, label=column.label, value=show(value))


def _bounds(column: Column) -> str:
    if column.min is not None and column.max is not None:
        return f"{column.min:g}–{column.max:g}"
    if column.min is not None:
        return f"不小于 {column.min:g}"
    return f"不大于 {column.max:g}"


def at(record: Record, table: Table, key: str, code: str, **fields: Any) -> Finding:
    """A finding at `key`'s cell of `record` (pure: checks never change the submission; the cells reading found
    bad are in `record.bad`, which checks consult so they do not pile onto a value that could not be read)."""
    column = table.sheet.column(key)
    return make(code, sheet=table.name, row=record.row, column=record.cols.get(key, "A"), label=column.label, **fields)


def read_submission(grid: Grid, template: Template) -> Submission:
    """Read a grid as a submission of `template`; problems become findings, never exceptions."""
    return _Reader(grid, template).read()
