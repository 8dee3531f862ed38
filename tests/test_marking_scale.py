"""Marking a big ledger: every mark lands on its cell, and the sheet's rows are read once, not once per finding.

The sheet has 50,000 rows; 300 marks are spread over it (existing cells, empty cells right of the data, rows that
are missing from the file, a row after the last). Scale is checked by counting, not timing: a custom lxml element
class counts every Python view of a <row> that marking creates. Scanning sheetData per mark would create about
marks × rows / 2 of them; an index built once creates about one per row.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree

from kexie_xl.files import package
from kexie_xl.files.marking import write_marked
from kexie_xl.files.package import NS, S
from kexie_xl.findings import Severity
from kexie_xl.write.marks import FILL, NOTE_AUTHOR, RESULT_HEADER, CellMark, ToolSheet

SHEET = "活动台账"
ROWS = 50_000  # header + data rows
GAP = 997  # data rows whose number is a multiple of this are left out of the file
COLUMNS = "ABDF"  # A bold id, B text, D date, F always empty (right of the data)

pytestmark = pytest.mark.slow


def _write_ledger(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(SHEET)
    bold, day = wb.add_format({"bold": True}), wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["活动编号", "活动名称", "参与人数", "活动日期"], bold)
    for r in range(2, ROWS + 1):
        if r % GAP:
            ws.write_string(r - 1, 0, f"B2026-{r:05d}", bold)
            ws.write_string(r - 1, 1, f"科普活动{r}")
            ws.write_number(r - 1, 2, r % 50)
            ws.write_number(r - 1, 3, 46000 + r % 300, day)
    wb.add_worksheet("说明").write_string(0, 0, "台账说明")
    wb.close()


def _marks(count: int) -> list[CellMark]:
    """`count` marks spread over the sheet, some on rows missing from the file, the last after the last row."""
    marks = []
    for i in range(count - 1):
        row = GAP * (i // 10 + 1) if i % 10 == 5 else 2 + i * (ROWS - 2) // count
        severity = Severity.ERROR if i % 3 else Severity.WARNING
        marks.append(CellMark(SHEET, f"{COLUMNS[i % len(COLUMNS)]}{row}", severity, f"第 {i + 1} 处：请改正"))
    marks.append(CellMark(SHEET, f"B{ROWS + 7}", Severity.ERROR, "台账末尾之后"))
    assert len({m.cell for m in marks}) == count
    return marks


def _tool_sheet(marks: list[CellMark]) -> ToolSheet:
    rows = tuple((str(i + 1), m.severity.value, m.sheet, m.cell, "", "", m.note, "", "") for i, m in enumerate(marks))
    links = tuple((i, 3, m.sheet, m.cell) for i, m in enumerate(marks))
    return ToolSheet("校验结果", ("校验结果",), RESULT_HEADER, rows, (6,) * len(RESULT_HEADER), links)


def _mark(source: Path, target: Path, marks: list[CellMark]) -> Path:
    write_marked(source, target, marks, [_tool_sheet(marks)])
    return target


def _sheet_styles(path: Path) -> dict[str, str | None]:
    """Each cell of the ledger sheet → its style index as written (None when it has none)."""
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    return {c.get("r"): c.get("s") for c in root.iterfind("s:sheetData/s:row/s:c", NS)}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "ledger.xlsx"
    _write_ledger(path)
    return path


@pytest.fixture(scope="module")
def marked(ledger: Path) -> tuple[Path, list[CellMark]]:
    marks = _marks(300)
    return _mark(ledger, ledger.with_name("marked.xlsx"), marks), marks


def test_each_mark_lands_on_its_cell_and_nowhere_else(marked) -> None:
    path, marks = marked
    ws = openpyxl.load_workbook(path)[SHEET]
    fills, notes = {}, {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.fill.fill_type == "solid":
                fills[cell.coordinate] = cell.fill.fgColor.rgb
            if cell.comment is not None:
                notes[cell.coordinate] = cell.comment.text
    assert fills == {m.cell: FILL[m.severity] for m in marks}
    assert notes == {m.cell: f"{NOTE_AUTHOR}：\n{m.note}" for m in marks}
    assert ws["A2"].value == "B2026-00002" and ws["A2"].font.b, "a marked cell keeps its value and its font"
    assert ws[f"A{GAP}"].value is None and ws[f"D{ROWS}"].is_date
    on_missing_rows = [m.cell for m in marks if m.cell[1:].isdigit() and int(m.cell[1:]) % GAP == 0]
    assert len(on_missing_rows) >= 25, "some marks must land on rows that were not in the file"


def test_rows_and_cells_stay_in_order(marked) -> None:
    path, _marks = marked
    with zipfile.ZipFile(path) as zf:
        data = etree.fromstring(zf.read("xl/worksheets/sheet1.xml")).find("s:sheetData", NS)
    numbers = [int(row.get("r")) for row in data]
    assert numbers == sorted(set(numbers)) and numbers[-1] == ROWS + 7
    for row in data:
        columns = [c.get("r").rstrip("0123456789") for c in row]
        assert columns == sorted(columns, key=lambda c: (len(c), c)) and len(set(columns)) == len(columns)


def test_marking_again_gives_the_same_bytes_and_unmarking_restores_every_format(ledger: Path, marked) -> None:
    path, marks = marked
    again = _mark(path, ledger.with_name("again.xlsx"), marks)
    assert again.read_bytes() == path.read_bytes()
    cleared = _mark(path, ledger.with_name("cleared.xlsx"), [])
    before, after = _sheet_styles(ledger), _sheet_styles(cleared)
    assert {ref: s for ref, s in after.items() if ref in before} == before
    assert all(s is None for ref, s in after.items() if ref not in before), "cells created for marks lose their fill"
    assert not any("comments" in name for name in zipfile.ZipFile(cleared).namelist())


def _row_views_while_marking(monkeypatch, source: Path, target: Path, marks: list[CellMark]) -> int:
    """How many Python views of a worksheet <row> marking creates (lxml calls `_init` once per new view)."""
    seen = [0]
    row_tag = f"{{{S}}}row"

    class CountingElement(etree.ElementBase):
        def _init(self) -> None:
            if self.tag == row_tag:
                seen[0] += 1

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=CountingElement))
    monkeypatch.setattr(package, "_PARSER", parser)
    _mark(source, target, marks)
    return seen[0]


def test_rows_are_read_once_however_many_findings(ledger: Path, monkeypatch) -> None:
    few = _row_views_while_marking(monkeypatch, ledger, ledger.with_name("few.xlsx"), _marks(30))
    many = _row_views_while_marking(monkeypatch, ledger, ledger.with_name("many.xlsx"), _marks(300))
    assert few <= ROWS + 100 and many <= ROWS + 1000, (few, many)  # one pass over the rows, plus a little per mark
    assert many - few <= 10 * 270, (few, many)  # 270 more findings cost about 270 more row views, not 270 × rows
    # the twice-marked file is read the same way: restoring 300 earlier marks does not scan per mark either
    again = _row_views_while_marking(monkeypatch, ledger.with_name("many.xlsx"), ledger.with_name("x.xlsx"), _marks(300))
    assert again <= ROWS + 2000, again
