"""Stage ②: normalise raw cell values before validation — dates typed as text, full-width digits, 是/否, spaces.

Each normaliser returns the clean value, or raises CellProblem (a finding code and its fields). Callers record
every change a normaliser made (`Change`), so nothing is altered silently.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..schema.rows import split_multi
from ..schema.types import CodeList

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 18264, 73050  # 1950-01-01 … 2099-12-31 as Excel serials

_SPACE = re.compile(r"\s+")
_DATE_FULL = re.compile(r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_SHORT = re.compile(r"^(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*(?:月份?)?$")
_MONTH_COMPACT = re.compile(r"^(\d{4})(\d{2})$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_NUMBER_UNIT = re.compile(r"^([+\-]?\d+(?:\.\d+)?)\s*(?:人次|人|次|个|名|小时|h|H)?$")
_YES = {"是", "Y", "YES", "TRUE", "有", "√", "1"}
_NO = {"否", "N", "NO", "FALSE", "无", "×", "0"}


class CellProblem(Exception):
    """A value that cannot be normalised: the finding code and the fields of its message."""

    def __init__(self, code: str, **fields: Any):
        super().__init__(code)
        self.code, self.fields = code, fields


@dataclass(frozen=True)
class Change:
    """One normalisation the reader made, kept so the clerk can see it (e.g. 「2026.11.5」 → 2026-11-05)."""

    sheet: str
    cell: str
    label: str
    before: str
    after: str


def half(text: str) -> str:
    """Full-width digits and letters → half-width (NFKC), outer spaces removed."""
    return unicodedata.normalize("NFKC", text).strip()


def label_key(text: Any) -> str:
    """How header labels and sheet names are compared: NFKC, no spaces, one kind of bracket."""
    text = unicodedata.normalize("NFKC", str(text))
    return _SPACE.sub("", text).replace("（", "(").replace("）", ")").replace("·", "").replace("・", "").lower()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def show(value: Any) -> str:
    """A raw value as the clerk saw it, for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# Normalisers: raw value → clean value (never blank: callers skip blanks)


def text(value: Any, _: Any = None) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def ident(value: Any, _: Any = None) -> str:
    """Ids, phones: full-width → half-width, no inner spaces."""
    return _SPACE.sub("", half(text(value)))


def integer(value: Any, _: Any = None) -> int:
    number = _number(value)
    if not float(number).is_integer():
        raise CellProblem("cell.not-integer")
    return int(number)


def decimal(value: Any, _: Any = None) -> float:
    return float(_number(value))


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise CellProblem("cell.not-integer")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise CellProblem("cell.not-integer")
        return value
    match = _NUMBER_UNIT.match(half(str(value)).replace(",", ""))
    if not match:
        raise CellProblem("cell.not-integer")
    return float(match.group(1))


def day(value: Any, year: int | None = None) -> date:
    """A date from a date cell, an Excel serial, or text such as 2026.11.5 / 2026年11月5日 / 11月5日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if SERIAL_MIN <= value <= SERIAL_MAX:
            return EXCEL_EPOCH + timedelta(days=int(value))
        compact = _DATE_COMPACT.match(str(int(value))) if float(value).is_integer() else None
        if compact:
            return _ymd(*compact.groups())
        raise CellProblem("cell.date-invalid")
    raw = half(str(value))
    for pattern in (_DATE_FULL, _DATE_COMPACT):
        match = pattern.match(raw)
        if match:
            return _ymd(*match.groups())
    match = _DATE_SHORT.match(raw)
    if match and year is not None:
        return _ymd(str(year), *match.groups())
    raise CellProblem("cell.date-invalid")


def _ymd(y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise CellProblem("cell.date-invalid") from None


def month(value: Any, _: Any = None) -> str:
    """'2026-11' from text (2026-11, 2026.11, 2026年11月, 202611), a date cell, or the number 2026.11."""
    if isinstance(value, (datetime, date)):
        return f"{value.year}-{value.month:02d}"
    if isinstance(value, float) and not value.is_integer():  # 2026.11 typed into a number cell
        year = int(value)
        value = f"{year}-{round((value - year) * 100)}"
    raw = half(text(value))
    match = _MONTH.match(raw) or _MONTH_COMPACT.match(raw)
    if match:
        year, mon = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= mon <= 12:
            return f"{year}-{mon:02d}"
    raise CellProblem("cell.month")


def phone(value: Any, _: Any = None) -> str:
    raw = ident(value).replace("(", "").replace(")", "-").replace("—", "-").replace("－", "-")
    if _MOBILE.match(raw) or _LANDLINE.match(raw):
        return raw
    raise CellProblem("cell.phone")


def email(value: Any, _: Any = None) -> str:
    raw = ident(value)
    if _EMAIL.match(raw):
        return raw
    raise CellProblem("cell.email")


def yesno(value: Any, _: Any = None) -> str:
    raw = half(text(value)).upper()
    if raw in _YES:
        return "是"
    if raw in _NO:
        return "否"
    raise CellProblem("cell.code-list")


def refs(value: Any, _: Any = None) -> str:
    """Several ids in one cell, separated by 、，,;； → '、'-joined, each normalised like an id."""
    return "、".join(ident(part) for part in split_multi(half(text(value))))


def code(value: Any, code_list: CodeList) -> str:
    return _canonical(text(value), code_list)


def codes(value: Any, code_list: CodeList) -> str:
    return "、".join(_canonical(part, code_list) for part in split_multi(text(value)))


def _canonical(raw: str, code_list: CodeList) -> str:
    found = code_list.canonical(raw.strip())
    if found is not None:
        return found
    wanted = label_key(raw)
    for item in code_list.items:
        if label_key(item) == wanted:
            return item
    for alias, item in code_list.aliases:
        if label_key(alias) == wanted:
            return item
    raise CellProblem("cell.code-list", value=raw.strip())
