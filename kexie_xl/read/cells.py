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
from functools import lru_cache
from typing import Any

from ..schema.rows import split_multi
from ..schema.types import CodeList

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 18264, 73050  # 1950-01-01 … 2099-12-31 as Excel serials

_SPACE = re.compile(r"\s+")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# The time of day a ledger often gives with the date (「2026-11-05 14:00」, 「11月5日上午9:00-11:30」, 「11月5号下午3点」):
# the day is the activity's date, the time is dropped (and the change recorded). After the day comes 日/号, a space
# or a part of the day before any clock time, so 「2026-11-514:00」 is no date.
_CLOCK = r"(?:\d{1,2}\s*:\s*\d{2}(?:\s*:\s*\d{2})?|\d{1,2}\s*点(?:半|\s*\d{1,2}\s*分?)?)"
_PART = r"(?:上午|下午|中午|晚上|傍晚|早上|全天)"
_TIME = rf"(?:\s*{_PART}\s*(?:{_CLOCK})?|\s+{_CLOCK}|(?<=[日号])\s*{_CLOCK})(?:\s*[-—–~至到]\s*{_PART}?\s*{_CLOCK})?"
_DATE_FULL = rf"^(\d{{4}})\s*[.\-/年]\s*(\d{{1,2}})\s*[.\-/月]\s*(\d{{1,2}})\s*[日号]?(?:{_TIME})?$"
_DATE_SHORT = rf"^(\d{{1,2}})\s*[.\-/月]\s*(\d{{1,2}})\s*[日号]?(?:{_TIME})?$"  # 5号 is said as often as 5日
# Longer text is no date (the longest a ledger writes, a day with a time span, is ~30 characters). Runs of spaces are
# made one before matching: the patterns' neighbouring \s* would otherwise try every split of a long run (a hostile
# cell of 20,000 spaces took seconds), and with the cap every date text is matched in bounded time.
DATE_TEXT_MAX = 60
_MONTH = re.compile(r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*(?:月份?)?$")
_MONTH_COMPACT = re.compile(r"^(\d{4})(\d{2})$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_NUMBER_UNIT = re.compile(r"^([+\-]?\d+(?:\.\d+)?)\s*(?:人次|人|次|个|名|小时|h|H)?$")
_YES = {"是", "Y", "YES", "TRUE", "有", "√", "1"}
_NO = {"否", "N", "NO", "FALSE", "无", "×", "0"}


# Excel's error values, as every engine gives them in the grid (the cell's literal text), and what each means.
EXCEL_ERRORS = {
    "#REF!": "公式引用失效，引用的单元格或工作表已被删除",
    "#N/A": "公式查找不到对应的值",
    "#VALUE!": "公式中的值类型不对",
    "#DIV/0!": "公式除以了零或空单元格",
    "#NAME?": "公式中有无法识别的函数或名称",
    "#NULL!": "公式中的区域没有交集",
    "#NUM!": "公式中的数值无效",
    "#GETTING_DATA": "保存时数据仍在加载，公式尚未算完",
    "#SPILL!": "动态数组公式的结果无法溢出到相邻单元格",
    "#CALC!": "公式计算出错",
    "#BLOCKED!": "公式所需的功能被阻止",
    "#CONNECT!": "公式所需的外部连接失败",
    "#FIELD!": "公式引用的字段不存在",
    "#UNKNOWN!": "公式结果是本版 Excel 无法识别的类型",
    "#BUSY!": "保存时公式仍在计算",
    "#EXTERNAL!": "公式所需的外部数据无法获取",
    "#PYTHON!": "单元格中的 Python 公式出错",
}
EXCEL_CELL_MAX = 32767  # the most text an Excel cell holds, in UTF-16 code units (what Excel and xlsxwriter count)


def excel_error(value: Any) -> str | None:
    """The Excel error value a raw cell holds (#REF!, #N/A, …), or None for any other value."""
    if type(value) is not str or "#" not in value[:2]:
        return None  # the cheap test first: this runs for every cell
    raw = value.strip().upper()
    return raw if raw in EXCEL_ERRORS else None


def excel_length(text: str) -> int:
    """The length of `text` as Excel counts it: UTF-16 code units (a character beyond U+FFFF counts twice).

    A text of at most EXCEL_CELL_MAX // 2 characters always fits, so hot paths test len() first.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def preview(text: str, size: int = 20) -> str:
    """The start of a long text, for messages and the value column of reports."""
    return text if len(text) <= size else text[:size] + "…"


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
    return _label_key(str(text))


@lru_cache(maxsize=4096)  # the same few hundred labels, looked up for every header cell of every file
def _label_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
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
    """A date from a date cell, an Excel serial, or text such as 2026.11.5 / 2026年11月5日 / 11月5日 / 11月5号."""
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
    raw = _SPACE.sub(" ", half(str(value)))
    if len(raw) > DATE_TEXT_MAX:
        raise CellProblem("cell.date-invalid")
    full, short = _date_patterns()
    for pattern in (full, _DATE_COMPACT):
        match = pattern.match(raw)
        if match:
            return _ymd(*match.groups())
    match = short.match(raw)
    if match and year is not None:
        return _ymd(str(year), *match.groups())
    raise CellProblem("cell.date-invalid")


@lru_cache(maxsize=1)
def _date_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The full and the short date pattern, compiled when a date is first written as text (~3 ms): a ribbon click on a
    workbook whose dates are date cells never needs them."""
    return re.compile(_DATE_FULL), re.compile(_DATE_SHORT)


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
