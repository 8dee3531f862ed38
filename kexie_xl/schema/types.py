"""Schema ①: the frozen dataclasses that describe a template — sheets, columns, code lists.

Nothing here knows about Excel libraries; writers, readers and validators interpret these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


def column_number(letters: str | bytes) -> int:
    """'A' → 1, 'AA' → 27, b'XFD' → 16384 (the inverse of column_letter; bytes as read from sheet XML)."""
    n = 0
    for ch in letters.encode("ascii") if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def column_letter(index: int) -> str:
    """1 → 'A', 27 → 'AA' (Excel column letters)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Kind(str, Enum):
    """What a column holds; decides the Excel format, the dropdown and the row-model type."""

    TEXT = "text"
    INT = "int"  # whole number ≥ 0 unless min says otherwise
    DECIMAL = "decimal"
    DATE = "date"
    MONTH = "month"  # YYYY-MM, stored as text
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    CODE = "code"  # one value from a code list
    CODES = "codes"  # several values from a code list, separated by 、
    REFS = "refs"  # one or more ids of rows on another sheet, separated by 、
    YESNO = "yesno"  # 是 / 否


class Layout(str, Enum):
    """How a sheet is laid out."""

    TABLE = "table"  # header row, then one record per row
    FORM = "form"  # one field per row: label in column A, value in column B
    TEXT = "text"  # free text written by the tool (填报说明)
    CODES = "codes"  # hidden code-list sheet
    META = "meta"  # hidden key/value metadata


@dataclass(frozen=True)
class CodeList:
    """A dropdown list. `aliases` maps old or colloquial labels to a current item."""

    key: str
    label: str
    items: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()
    help: str = ""

    @property
    def defined_name(self) -> str:
        """The workbook-level defined name the dropdowns refer to."""
        return f"KX_{self.key}"

    def canonical(self, value: str) -> str | None:
        """Return the current item for `value` (an item or an alias), else None."""
        if value in self.items:
            return value
        return dict(self.aliases).get(value)


@dataclass(frozen=True)
class Column:
    """One column of a table sheet, or one field of a form sheet."""

    key: str
    label: str
    kind: Kind = Kind.TEXT
    required: bool = False
    codes: str | None = None  # CodeList.key for CODE / CODES columns
    refs: str | None = None  # Sheet.key whose id column REFS point at
    help: str = ""
    width: float = 14
    number_format: str | None = None  # overrides the kind's default
    aliases: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    example: str = ""
    open_list: bool = False  # the dropdown offers `codes`, but reading accepts other values (checked elsewhere)

    @property
    def labels(self) -> tuple[str, ...]:
        """The current label first, then every accepted alias."""
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Sheet:
    """One worksheet of the template."""

    key: str
    name: str
    layout: Layout
    columns: tuple[Column, ...] = ()
    help: str = ""
    entry_rows: int = 0  # rows pre-formatted and covered by dropdowns/validation below the header
    id_column: str | None = None  # key of the column that identifies a row
    aliases: tuple[str, ...] = ()
    hidden: bool = False
    freeze: str = "A2"
    prefill: tuple[tuple[str, ...], ...] = ()  # rows written into a blank template (e.g. 注册情况 labels)

    def column(self, key: str) -> Column:
        """The column with `key`; KeyError if the schema has none."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.key}.{key}")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def address(self, column_key: str, index: int = 0) -> tuple[str, int]:
        """(column letter, row) of a value: the `index`-th record of a table, or a form field (column B)."""
        position = [c.key for c in self.columns].index(column_key)
        if self.layout is Layout.FORM:
            return "B", position + 2
        return column_letter(position + 1), index + 2


@dataclass(frozen=True)
class Template:
    """The whole standard template: sheets in workbook order, code lists and version."""

    template_id: str
    version: str
    released: str  # ISO date the version was published
    title: str
    sheets: tuple[Sheet, ...]
    code_lists: tuple[CodeList, ...]
    supported_versions: tuple[str, ...] = field(default=())

    def sheet(self, key: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.key == key:
                return sheet
        raise KeyError(key)

    def code_list(self, key: str) -> CodeList:
        for code_list in self.code_lists:
            if code_list.key == key:
                return code_list
        raise KeyError(key)

    @property
    def data_sheets(self) -> tuple[Sheet, ...]:
        """Sheets a unit fills in (tables and forms)."""
        return tuple(s for s in self.sheets if s.layout in (Layout.TABLE, Layout.FORM))
