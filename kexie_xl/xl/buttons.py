"""Excel layer: one function per ribbon button. Each gets the book, reads it in bulk, calls the same core verbs
as the command line, and writes marks and sheets in bulk. RunPython calls `dispatch(button id)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from . import live
from .ui import alert, busy, config_for, pick_folder, ribbon_action


def _caller() -> Any:
    import xlwings as xw  # the one import of xlwings in kexie_xl

    return xw.Book.caller()


def dispatch(button_id: str, book: Any = None) -> None:
    """Run the button's function on the calling workbook (`book` is given by tests and by debugging sessions)."""
    book = book if book is not None else _caller()
    action = BUTTONS.get(button_id)
    if action is None:
        alert(book, f"错误：按钮「{button_id}」没有对应的功能，请重新安装加载项（kexie-xl addin build）。")
        return
    action(book)


# Checking the open workbook


def saved_folder(book: Any) -> Path:
    """The folder the open book is saved in. An unsaved book (Excel's fullname is then just 「工作簿1」/「Book1」)
    has none: anything written "beside it" would land in the interpreter's working folder."""
    from ..errors import KexieError

    full = Path(getattr(book, "fullname", "") or "")
    if not full.is_absolute() or not full.parent.is_dir():
        raise KexieError("请先把本工作簿保存到电脑上（文件 → 另存为），再点这个按钮。")
    return full.parent


def _context(book: Any, *, needs_folder: bool = False, folder: Path | None = None) -> Any:
    """The settings for this workbook; without a kexie.toml, the store and archive go beside the workbook — or
    in `folder` (the folder being merged) when the book has none (Excel's working directory is no place for them)."""
    from ..api import Context, load_context

    config = config_for(book)
    ctx = load_context(config)
    if config is not None:
        return ctx
    saved = Path(getattr(book, "fullname", "") or "").is_absolute()
    if not needs_folder and not saved:
        return ctx  # checking an unsaved book needs no store; the buttons that write beside it ask for a save
    folder = saved_folder(book) if saved or folder is None else folder
    from dataclasses import replace

    paths = ctx.settings.paths
    rebased = replace(paths, store=folder / paths.store)  # the archive follows the store
    return Context(replace(ctx.settings, paths=rebased), ctx.registry)


def _check(book: Any) -> tuple[Any, Any, date]:
    """The open book checked by the same verb as a file (template check, rules, quarter statuses)."""
    from ..api import check_book, today

    ctx = _context(book)
    day = today(ctx)
    checked = check_book(live.read_grid(book), ctx, book.name, as_of=day)
    if checked.submission is None:
        from ..errors import KexieError

        raise KexieError(f"{checked.report.findings[0].message}。请先打开本单位的月报工作簿，再点功能区按钮。")
    return ctx, checked, day


@ribbon_action
def validate_book(book: Any) -> None:
    """校验本表: mark every problem in place, add 校验结果 and 季度达标."""
    from ..api import marks_for

    with busy(book, "kexie_xl：正在校验…") as status:
        _ctx, checked, day = _check(book)
        report = checked.report
        status("kexie_xl：正在标注…")
        marks = marks_for(report, checked.statuses, day)
        live.replace_marks(book, marks.cells, marks.sheets)
    verdict = "没有错误，可以生成报送件。" if report.ok else "请按「校验结果」表修改标红的单元格后重新校验。"
    alert(book, f"校验完成：错误 {report.errors} 处，警告 {report.warnings} 处。{verdict}")


@ribbon_action
def quarterly_book(book: Any) -> None:
    """季度达标: the 季度达标 sheet and the marked team rows only."""
    from ..api import marks_for

    with busy(book, "kexie_xl：正在统计季度活动…"):
        _ctx, checked, day = _check(book)
        statuses = checked.statuses
        marks = marks_for(checked.report, statuses, day, quarterly_only=True)
        live.replace_marks(book, marks.cells, marks.sheets)
    missed = sum(1 for s in statuses if s.status == "未达标")
    pending = sum(1 for s in statuses if s.status == "待开展")
    alert(book, f"季度达标：未达标 {missed} 个队·季度，待开展 {pending} 个队·季度。详见「季度达标」表。")


@ribbon_action
def submit_book(book: Any) -> None:
    """生成报送件: refuse while 错误 remain; else a clean copy (no tool sheets, no marks) beside the workbook."""
    import tempfile

    from ..api import submission_copy

    with busy(book, "kexie_xl：正在检查…"):
        ctx, checked, _day = _check(book)
    report = checked.report
    if not report.ok:
        alert(book, f"还有 {report.errors} 处错误，不能生成报送件。请先点「校验本表」并按「校验结果」修改。")
        return
    folder = saved_folder(book)
    suffix = Path(book.fullname).suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):  # Excel's copy keeps the book's own format: .xls cannot be cleaned without loss
        alert(book, f"本工作簿是 {suffix or '未知'} 格式：请先「文件 → 另存为」Excel 工作簿（*.xlsx），再生成报送件。")
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / f"copy{suffix}"
        book.api.SaveCopyAs(str(copy))  # Excel writes a copy of the open book; the clerk's file is untouched
        target = submission_copy(copy, report, folder)
    alert(book, f"已生成报送件：{target}\n请把它作为邮件附件，于每月 {ctx.settings.report.deadline_day} 日前报送。")


@ribbon_action
def next_month_book(book: Any) -> None:
    """新建下月台账: next month's workbook, carrying the roster, the year's ledger and the registration totals."""
    from ..api import next_month_workbook

    with busy(book, "kexie_xl：正在新建下月台账…"):
        ctx, checked, _day = _check(book)
        new_month, target = next_month_workbook(checked.submission, ctx, saved_folder(book))
    alert(book, f"已新建 {new_month} 的月报：{target}\n名册、全年台账和注册累计数已带入，本月新增数已清零。")


@ribbon_action
def merge_folder(book: Any) -> None:
    """合并文件夹…: consolidate a folder of unit workbooks into the city workbook."""
    from ..api import consolidate_month, today

    source = pick_folder(book, "选择要合并的月报文件夹")
    if source is None:
        return
    ctx = _context(book, needs_folder=True, folder=source)
    day = today(ctx)
    month = f"{day.year}-{day.month:02d}"
    with busy(book, "kexie_xl：正在汇总…") as status:
        result = consolidate_month(
            [source],
            ctx,
            month,
            output=source / f"重庆市科技志愿服务月报_{month}.xlsx",
            force=True,
            progress=lambda n, total, name: status(f"kexie_xl：{n}/{total} {name}"),
        )
    alert(book, result.summary())


@ribbon_action
def fetch_mail(book: Any) -> None:
    """收取邮件并汇总…: the whole month from the configured mailbox (see the README's mail settings)."""
    from ..api import run_month, today

    if config_for(book) is None and not Path(getattr(book, "fullname", "") or "").is_absolute():
        from ..errors import KexieError

        raise KexieError(
            "收取邮件需要配置文件 kexie.toml（邮箱地址、服务器）：请打开与它在同一文件夹中的工作簿再点，"
            "或设置环境变量 KEXIE_XL_CONFIG 指向它。"
        )
    ctx = _context(book, needs_folder=True)
    day = today(ctx)
    month = f"{day.year}-{day.month:02d}"
    with busy(book, "kexie_xl：正在收取邮件并汇总…"):
        result = run_month(ctx, month, force=True)
    alert(book, result.summary())


@ribbon_action
def show_instructions(book: Any) -> None:
    """填报说明: go to the instructions sheet."""
    names = [s.name for s in book.sheets]
    if "填报说明" in names:
        book.sheets["填报说明"].activate()
    else:
        alert(book, "本工作簿没有「填报说明」工作表；可用 kexie-xl template 生成标准模板。")


@ribbon_action
def doctor(book: Any) -> None:
    """设置与诊断: what Python, xlwings and the configuration look like from inside Excel."""
    import sys

    import xlwings

    from ..api import find_config_file

    config = config_for(book) or find_config_file() or "（无，使用内置默认值）"
    alert(
        book,
        f"Python：{sys.executable}（{sys.version.split()[0]}）\nxlwings：{xlwings.__version__}\n"
        f"配置文件：{config}\n日志：{Path(__import__('tempfile').gettempdir()) / 'kexie_xl.log'}",
    )


# The buttons that need no open workbook: with none open, the add-in's VBA (macros/KexieRibbon.bas,
# KexieBookFree) gives xlwings an empty book for the run; every other button asks the clerk to open one first.
BOOK_FREE = frozenset({"kx_merge_folder", "kx_fetch_mail", "kx_doctor"})

BUTTONS: dict[str, Callable[[Any], None]] = {
    "kx_validate": validate_book,
    "kx_quarterly": quarterly_book,
    "kx_submit": submit_book,
    "kx_next_month": next_month_book,
    "kx_merge_folder": merge_folder,
    "kx_fetch_mail": fetch_mail,
    "kx_instructions": show_instructions,
    "kx_doctor": doctor,
}

if __name__ == "__main__":  # debugging on Windows with Excel open: python -m kexie_xl.xl.buttons kx_validate
    import sys

    import xlwings as xw

    xw.Book("科技志愿服务月报模板.xlsx").set_mock_caller()
    dispatch(sys.argv[1] if len(sys.argv) > 1 else "kx_validate")
