"""Excel layer: what the clerk sees — status bar progress, Chinese dialogs, and never a traceback."""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import KexieError

LOG_FILE = Path(tempfile.gettempdir()) / "kexie_xl.log"
log = logging.getLogger("kexie_xl.xl")


def alert(book: Any, text: str, title: str = "科技志愿服务") -> None:
    book.app.alert(text, title=title)


@contextmanager
def busy(book: Any, message: str) -> Iterator[Callable[[str], None]]:
    """Screen updating off and a status-bar message while Python works; both restored whatever happens."""
    app = book.app
    app.screen_updating = False
    app.status_bar = message
    try:
        yield lambda text: setattr(app, "status_bar", text)
    finally:
        app.status_bar = False
        app.screen_updating = True


def ribbon_action(func: Callable[[Any], None]) -> Callable[[Any], None]:
    """Turn any failure into a Chinese dialog and a log line, never a traceback box."""

    @functools.wraps(func)
    def wrapper(book: Any) -> None:
        try:
            func(book)
        except KexieError as exc:
            alert(book, f"错误：{exc}")
        except Exception as exc:
            logging.basicConfig(filename=LOG_FILE, level=logging.INFO)
            log.exception("ribbon action %s failed", func.__name__)
            alert(book, f"出现意外错误（{type(exc).__name__}）。请把日志文件 {LOG_FILE} 发给信息化人员。\n\n{exc}")

    return wrapper


def config_for(book: Any) -> str | None:
    """The kexie.toml that applies to this workbook: $KEXIE_XL_CONFIG, else one beside it, else the defaults."""
    if os.environ.get("KEXIE_XL_CONFIG"):
        return os.environ["KEXIE_XL_CONFIG"]
    full = Path(getattr(book, "fullname", "") or "")
    folder = full.parent if full.is_absolute() else None  # an unsaved book has no folder
    if folder is not None and (folder / "kexie.toml").is_file():
        return str(folder / "kexie.toml")
    return None


def pick_folder(book: Any, title: str) -> Path | None:
    """Excel's own folder picker (msoFileDialogFolderPicker = 4); None when the clerk cancels.

    The one call into Excel's object model beyond xlwings; tests imitate `app.api.FileDialog` in the stand-in.
    """
    dialog = book.app.api.FileDialog(4)
    dialog.Title = title
    dialog.AllowMultiSelect = False
    if not dialog.Show():  # -1 (True) when a folder was chosen, 0 on cancel
        return None
    return Path(str(dialog.SelectedItems(1)))
