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
