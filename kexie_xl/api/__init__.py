"""The verbs every adapter calls — the command line, the Excel ribbon, and any front end to come.

Adapters import this package only (and errors, findings). Each verb runs the stages in order; heavy libraries
load lazily inside the verbs, so importing kexie_xl.api stays light enough for a ribbon click.

- checking: check a file (guarded, in a worker process) or an open book; marks; 报送件; next month's workbook
- consolidation: a month into the archive, the store and the city workbook
- month: the whole month from the mailbox, with the feedback to every sender
- demo: a generated month and every step of the job on it
- grids: a workbook sent as its sheets' values (JSON) — the check API the WPS add-in calls
- desk, password: the browser page (kexie-xl serve) — an upload checked without keeping it, the office's month
  desk and its actions, the office password kept as a salted hash

The rest is what adapters need to show and configure things (the add-in builder, the reference docs, settings,
the grid and marks types the Excel layer fills); re-exported here so that adapters depend on this package only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and readers; at run time each name loads on first use (__getattr__)
    from ..addin.build import build_addin
    from ..addin.install import diagnose, install, place, uninstall
    from ..addin.wps import DEFAULT_SERVICE, build_wps_addin, install_wps, uninstall_wps, wps_file, wps_jsaddons
    from ..config import CONFIG_FILENAME, find_config_file, load_settings, parse_month
    from ..context import Context, load_context
    from ..findings import Report
    from ..read.grid import Grid, SheetGrid
    from ..rules.quarterly import MISSED, parse_quarter
    from ..schema.standard import TEMPLATE_FILENAME
    from ..write.docs import findings_markdown, template_markdown
    from ..write.marks import FILL, NOTE_PREFIX, TOOL_SHEETS, CellMark, Restore, ToolSheet, is_ours, short_message
    from .checking import (
        AsOf,
        Checked,
        MarkRequest,
        Marks,
        Progress,
        check_book,
        check_files,
        check_workbook,
        clean_copy,
        history_store,
        make_template,
        mark_workbook,
        marks_for,
        next_month_workbook,
        submission_copy,
        team_quarters,
        today,
        validate,
        validate_many,
        workbook_files,
    )
    from .consolidation import Consolidation, consolidate_month, parse_received_at, read_received_times
    from .demo import demo_month, demo_series, make_demo, month_range
    from .desk import (
        UPLOAD_SUFFIXES,
        Desk,
        DeskLine,
        MatrixRow,
        UploadCheck,
        accepted_upload,
        check_upload,
        city_workbook_path,
        feedback_folder,
        feedback_zip,
        marked_copy,
        month_desk,
        run_desk_month,
        send_desk_feedback,
        upload_refusal,
        warm_up,
    )
    from .grids import CONTRACT as GRID_CONTRACT
    from .grids import GridRefused, check_grids
    from .month import MonthRun, draft_feedback, mail_folder, run_month
    from .password import hash_password, set_office_password, verify_password
    from .reports import period_report
    from .uploads import issue_link, keep_upload, revoke_link, unit_for_token, uploads_folder

# name → (module, attribute): importing kexie_xl.api costs nothing until a verb is used, so a command, a
# worker process or a ribbon click loads only the modules it calls (the add-in builder, the mail and web parts
# stay unloaded for `validate`).
_WHERE: dict[str, tuple[str, str]] = {
    "build_addin": ("..addin.build", "build_addin"),
    "diagnose": ("..addin.install", "diagnose"),
    "install": ("..addin.install", "install"),
    "place": ("..addin.install", "place"),
    "uninstall": ("..addin.install", "uninstall"),
    "DEFAULT_SERVICE": ("..addin.wps", "DEFAULT_SERVICE"),
    "build_wps_addin": ("..addin.wps", "build_wps_addin"),
    "install_wps": ("..addin.wps", "install_wps"),
    "uninstall_wps": ("..addin.wps", "uninstall_wps"),
    "wps_file": ("..addin.wps", "wps_file"),
    "wps_jsaddons": ("..addin.wps", "wps_jsaddons"),
    "CONFIG_FILENAME": ("..config", "CONFIG_FILENAME"),
    "find_config_file": ("..config", "find_config_file"),
    "load_settings": ("..config", "load_settings"),
    "parse_month": ("..config", "parse_month"),
    "Context": ("..context", "Context"),
    "load_context": ("..context", "load_context"),
    "Report": ("..findings", "Report"),
    "Grid": ("..read.grid", "Grid"),
    "SheetGrid": ("..read.grid", "SheetGrid"),
    "MISSED": ("..rules.quarterly", "MISSED"),
    "parse_quarter": ("..rules.quarterly", "parse_quarter"),
    "TEMPLATE_FILENAME": ("..schema.standard", "TEMPLATE_FILENAME"),
    "findings_markdown": ("..write.docs", "findings_markdown"),
    "template_markdown": ("..write.docs", "template_markdown"),
    "FILL": ("..write.marks", "FILL"),
    "NOTE_PREFIX": ("..write.marks", "NOTE_PREFIX"),
    "TOOL_SHEETS": ("..write.marks", "TOOL_SHEETS"),
    "CellMark": ("..write.marks", "CellMark"),
    "Restore": ("..write.marks", "Restore"),
    "ToolSheet": ("..write.marks", "ToolSheet"),
    "is_ours": ("..write.marks", "is_ours"),
    "short_message": ("..write.marks", "short_message"),
    "AsOf": (".checking", "AsOf"),
    "Checked": (".checking", "Checked"),
    "MarkRequest": (".checking", "MarkRequest"),
    "Marks": (".checking", "Marks"),
    "Progress": (".checking", "Progress"),
    "check_book": (".checking", "check_book"),
    "check_files": (".checking", "check_files"),
    "check_workbook": (".checking", "check_workbook"),
    "clean_copy": (".checking", "clean_copy"),
    "history_store": (".checking", "history_store"),
    "make_template": (".checking", "make_template"),
    "mark_workbook": (".checking", "mark_workbook"),
    "marks_for": (".checking", "marks_for"),
    "next_month_workbook": (".checking", "next_month_workbook"),
    "submission_copy": (".checking", "submission_copy"),
    "team_quarters": (".checking", "team_quarters"),
    "today": (".checking", "today"),
    "validate": (".checking", "validate"),
    "validate_many": (".checking", "validate_many"),
    "workbook_files": (".checking", "workbook_files"),
    "Consolidation": (".consolidation", "Consolidation"),
    "consolidate_month": (".consolidation", "consolidate_month"),
    "parse_received_at": (".consolidation", "parse_received_at"),
    "read_received_times": (".consolidation", "read_received_times"),
    "demo_month": (".demo", "demo_month"),
    "demo_series": (".demo", "demo_series"),
    "make_demo": (".demo", "make_demo"),
    "month_range": (".demo", "month_range"),
    "UPLOAD_SUFFIXES": (".desk", "UPLOAD_SUFFIXES"),
    "Desk": (".desk", "Desk"),
    "DeskLine": (".desk", "DeskLine"),
    "MatrixRow": (".desk", "MatrixRow"),
    "UploadCheck": (".desk", "UploadCheck"),
    "accepted_upload": (".desk", "accepted_upload"),
    "check_upload": (".desk", "check_upload"),
    "city_workbook_path": (".desk", "city_workbook_path"),
    "feedback_folder": (".desk", "feedback_folder"),
    "feedback_zip": (".desk", "feedback_zip"),
    "marked_copy": (".desk", "marked_copy"),
    "month_desk": (".desk", "month_desk"),
    "run_desk_month": (".desk", "run_desk_month"),
    "send_desk_feedback": (".desk", "send_desk_feedback"),
    "upload_refusal": (".desk", "upload_refusal"),
    "warm_up": (".desk", "warm_up"),
    "GRID_CONTRACT": (".grids", "CONTRACT"),
    "GridRefused": (".grids", "GridRefused"),
    "check_grids": (".grids", "check_grids"),
    "MonthRun": (".month", "MonthRun"),
    "draft_feedback": (".month", "draft_feedback"),
    "mail_folder": (".month", "mail_folder"),
    "run_month": (".month", "run_month"),
    "hash_password": (".password", "hash_password"),
    "set_office_password": (".password", "set_office_password"),
    "verify_password": (".password", "verify_password"),
    "period_report": (".reports", "period_report"),
    "issue_link": (".uploads", "issue_link"),
    "keep_upload": (".uploads", "keep_upload"),
    "revoke_link": (".uploads", "revoke_link"),
    "unit_for_token": (".uploads", "unit_for_token"),
    "uploads_folder": (".uploads", "uploads_folder"),
}


def __getattr__(name: str) -> Any:
    found = _WHERE.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(found[0], __name__), found[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "CONFIG_FILENAME",
    "DEFAULT_SERVICE",
    "FILL",
    "GRID_CONTRACT",
    "MISSED",
    "NOTE_PREFIX",
    "TEMPLATE_FILENAME",
    "TOOL_SHEETS",
    "UPLOAD_SUFFIXES",
    "AsOf",
    "CellMark",
    "Checked",
    "Consolidation",
    "Context",
    "Desk",
    "DeskLine",
    "Grid",
    "GridRefused",
    "MarkRequest",
    "Marks",
    "MatrixRow",
    "MonthRun",
    "Progress",
    "Report",
    "Restore",
    "SheetGrid",
    "ToolSheet",
    "UploadCheck",
    "accepted_upload",
    "build_addin",
    "build_wps_addin",
    "check_book",
    "check_files",
    "check_grids",
    "check_upload",
    "check_workbook",
    "city_workbook_path",
    "clean_copy",
    "consolidate_month",
    "demo_month",
    "demo_series",
    "diagnose",
    "draft_feedback",
    "feedback_folder",
    "feedback_zip",
    "find_config_file",
    "findings_markdown",
    "hash_password",
    "history_store",
    "install",
    "install_wps",
    "is_ours",
    "issue_link",
    "keep_upload",
    "load_context",
    "load_settings",
    "mail_folder",
    "make_demo",
    "make_template",
    "mark_workbook",
    "marked_copy",
    "marks_for",
    "month_desk",
    "month_range",
    "next_month_workbook",
    "parse_month",
    "parse_quarter",
    "parse_received_at",
    "period_report",
    "place",
    "read_received_times",
    "revoke_link",
    "run_desk_month",
    "run_month",
    "send_desk_feedback",
    "set_office_password",
    "short_message",
    "submission_copy",
    "team_quarters",
    "template_markdown",
    "today",
    "uninstall",
    "uninstall_wps",
    "unit_for_token",
    "upload_refusal",
    "uploads_folder",
    "validate",
    "validate_many",
    "verify_password",
    "warm_up",
    "workbook_files",
    "wps_file",
    "wps_jsaddons",
]
