"""One marks format for the file marker and the Excel layer: each undoes what the other did.

The Excel side runs through the stand-in (tests/fake_xlwings.py), whose SaveCopyAs writes the live state of the
book — fills, notes authored by the Windows user, the tool's sheets — as Excel would.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

from kexie_xl.api import check_workbook, mark_workbook, team_quarters, validate
from kexie_xl.write.marks import NOTE_PREFIX, RESULT_SHEET, Restore
from kexie_xl.xl import buttons

from .builders import changed, clean_filling, write
from .fake_xlwings import Book

AS_OF = date(2026, 11, 30)


def _errors_workbook(ctx, path: Path) -> Path:
    filling = changed(changed(clean_filling(), "activities", 0, volunteers="很多"), "basic", None, phone="12")
    return write(path, ctx.template, filling)


def _warnings_only_workbook(ctx, path: Path) -> Path:
    return write(path, ctx.template, changed(clean_filling(), "activities", 1, beneficiaries=9000))


def _restores(book: Book) -> list[Restore]:
    sheet = book.sheets[RESULT_SHEET]
    return [r for row in sheet.used_range.value for v in row if (r := Restore.parse(v))]


def test_a_file_marked_copy_is_checked_again_by_the_ribbon(ctx, tmp_path: Path) -> None:
    source = _errors_workbook(ctx, tmp_path / "本单位.xlsx")
    report, sub = check_workbook(source, ctx, as_of=AS_OF)
    marked = mark_workbook(source, report, as_of=AS_OF, statuses=team_quarters(sub, ctx, AS_OF))
    book = Book(marked)  # the copy the feedback mail sends back, opened in Excel
    before = _restores(book)
    assert before and all(r.style is not None and r.fill == "" for r in before)  # what the file marker knew
    buttons.dispatch("kx_validate", book)
    assert not any("意外" in a for a in book.app.alerts), book.app.alerts
    assert [s.name for s in book.sheets].count(RESULT_SHEET) == 1
    after = _restores(book)
    assert {(r.sheet, r.cell) for r in after} == {(r.sheet, r.cell) for r in before}
    for r in after:
        assert book.sheets[r.sheet].range(r.cell).color is not None  # marked again


def test_a_ribbon_marked_book_gives_a_clean_submission(ctx, tmp_path: Path) -> None:
    book = Book(_warnings_only_workbook(ctx, tmp_path / "本单位.xlsx"))
    book.sheets["活动台账"].range("B3").color = (255, 255, 0)  # the clerk's own yellow
    buttons.dispatch("kx_validate", book)
    marked_cells = [(r.sheet, r.cell) for r in _restores(book)]
    assert marked_cells and any(book.sheets[s].range(c).note is not None for s, c in marked_cells)
    buttons.dispatch("kx_submit", book)
    submitted = next(tmp_path.glob("2026-11_*科技志愿服务月报（报送件）.xlsx"))
    wb = openpyxl.load_workbook(submitted)
    assert RESULT_SHEET not in wb.sheetnames and "季度达标" not in wb.sheetnames
    for sheet, cell in marked_cells:
        assert wb[sheet][cell].fill.fill_type in (None, "none"), (sheet, cell)
    notes = [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]
    assert not [n for n in notes if n.startswith(NOTE_PREFIX)]
    assert wb["活动台账"]["B3"].fill.fgColor.rgb == "FFFFFF00"  # the clerk's own fill is kept


def test_the_command_line_re_marks_a_ribbon_marked_book(ctx, tmp_path: Path) -> None:
    book = Book(_errors_workbook(ctx, tmp_path / "本单位.xlsx"))
    buttons.dispatch("kx_validate", book)
    saved = tmp_path / "本单位（已保存）.xlsx"
    book.api.SaveCopyAs(str(saved))  # the clerk saves and mails it; the office marks it again
    report = validate(saved, ctx, as_of=AS_OF)
    again = mark_workbook(saved, report, as_of=AS_OF)
    wb = openpyxl.load_workbook(again)
    notes = [
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.comment and c.comment.text.startswith(NOTE_PREFIX)
    ]
    marked = {(f.sheet, f.cell) for f in report.findings if f.cell}
    assert sorted(notes) == sorted(marked)  # one note per marked cell: the Excel-authored ones were replaced
    assert [ws.title for ws in wb.worksheets].count(RESULT_SHEET) == 1
    cleared = tmp_path / "cleared.xlsx"
    from kexie_xl.files.marking import write_marked

    write_marked(again, cleared, [], [])
    wb = openpyxl.load_workbook(cleared)
    for sheet, cell in marked:
        assert wb[sheet][cell].fill.fill_type in (None, "none"), (sheet, cell)
        assert wb[sheet][cell].comment is None


def test_restore_records_of_both_versions_read_back() -> None:
    assert Restore.parse("kexie-restore:活动台账!F12=5") == Restore("活动台账", "F12", 5, None)
    assert Restore.parse("kexie-restore:活动台账!F12=FFEB9C") == Restore("活动台账", "F12", None, "FFEB9C")
    assert Restore.parse("kexie-restore:活动台账!F12=none") == Restore("活动台账", "F12", None, "")
    record = Restore("服务队!表", "AB7", 12, "00FF00")
    assert Restore.parse(record.text()) == record
    assert Restore.parse("kexie-restore:活动台账!F12=junk") == Restore("活动台账", "F12", None, None)
    assert Restore.parse("something else") is None and Restore.parse(3) is None


def test_submitting_never_writes_over_the_open_book(ctx, tmp_path: Path) -> None:
    own = _warnings_only_workbook(ctx, tmp_path / "2026-11_万州区科协_科技志愿服务月报.xlsx")  # as the template asks
    before = own.read_bytes()
    book = Book(own)
    buttons.dispatch("kx_validate", book)
    buttons.dispatch("kx_submit", book)
    assert own.read_bytes() == before
    submitted = tmp_path / "2026-11_万州区科协_科技志愿服务月报（报送件）.xlsx"
    assert submitted.is_file() and str(submitted) in book.app.alerts[-1]
    assert not list(tmp_path.glob(".~kexie-*"))


def test_the_ribbon_runs_the_same_template_check_as_a_file(tmp_path: Path) -> None:
    other = tmp_path / "别的表.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "与月报无关的表"
    wb.save(other)
    book = Book(other)
    buttons.dispatch("kx_validate", book)
    (said,) = book.app.alerts
    assert said.startswith("错误：") and "不是科技志愿服务月报模板" in said and "意外" not in said
    assert [s.name for s in book.sheets] == ["Sheet"]  # nothing written into a book that is not a report


def test_an_unsaved_book_is_checked_but_nothing_is_written_beside_it(ctx, tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "python 的工作目录"
    work.mkdir()
    monkeypatch.chdir(work)  # where Excel's Python runs: nothing may land here
    book = Book(_warnings_only_workbook(ctx, tmp_path / "模板.xlsx"), saved=False)
    buttons.dispatch("kx_validate", book)
    assert book.app.alerts[-1].startswith("校验完成")
    for button in ("kx_submit", "kx_next_month"):
        buttons.dispatch(button, book)
        assert "请先把本工作簿保存到电脑上" in book.app.alerts[-1], button
    assert not list(work.iterdir())


def test_text_written_by_the_ribbon_stays_text(ctx, tmp_path: Path) -> None:
    """Values clerks typed — a date-like text, 「=HYPERLINK(…)」, 「+86…」 — are shown in 校验结果 as typed."""
    from .fake_xlwings import Formula

    filling = changed(clean_filling(), "activities", 0, volunteers='=HYPERLINK("http://x")')
    filling = changed(filling, "basic", None, phone="+86 138 0013 8000")
    book = Book(write(tmp_path / "本单位.xlsx", ctx.template, filling))
    buttons.dispatch("kx_validate", book)
    values = [v for row in book.sheets[RESULT_SHEET].used_range.value for v in row if v is not None]
    assert not [v for v in values if isinstance(v, Formula)]
    assert all(isinstance(v, str) for v in values)  # also the 校验日期 and row numbers
    assert any("HYPERLINK" in v for v in values) and any("+86" in v for v in values)
