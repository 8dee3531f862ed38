"""The verbs every adapter calls — the command line, the Excel ribbon, and any front end to come.

Adapters import this package only (and errors, findings). Each verb runs the stages in order; heavy libraries
load lazily inside the verbs, so importing kexie_xl.api stays light enough for a ribbon click.

- checking: check a file (guarded, in a worker process) or an open book; marks; 报送件; next month's workbook
- consolidation: a month into the archive, the store and the city workbook
- month: the whole month from the mailbox, with the feedback to every sender
- demo: a generated month and every step of the job on it

The rest is what adapters need to show and configure things (the add-in builder, the reference docs, settings,
the grid and marks types the Excel layer fills); re-exported here so that adapters depend on this package only.
"""

from __future__ import annotations

from ..addin.build import build_addin
from ..addin.install import diagnose, install, place, uninstall
from ..config import find_config_file, load_settings, parse_month
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
from .demo import demo_month, make_demo
from .month import MonthRun, draft_feedback, mail_folder, run_month

__all__ = [
    "FILL",
    "MISSED",
    "NOTE_PREFIX",
    "TEMPLATE_FILENAME",
    "TOOL_SHEETS",
    "AsOf",
    "CellMark",
    "Checked",
    "Consolidation",
    "Context",
    "Grid",
    "MarkRequest",
    "Marks",
    "MonthRun",
    "Progress",
    "Report",
    "Restore",
    "SheetGrid",
    "ToolSheet",
    "build_addin",
    "check_book",
    "check_files",
    "check_workbook",
    "clean_copy",
    "consolidate_month",
    "demo_month",
    "diagnose",
    "draft_feedback",
    "find_config_file",
    "findings_markdown",
    "install",
    "is_ours",
    "load_context",
    "load_settings",
    "mail_folder",
    "make_demo",
    "make_template",
    "mark_workbook",
    "marks_for",
    "next_month_workbook",
    "parse_month",
    "parse_quarter",
    "parse_received_at",
    "place",
    "read_received_times",
    "run_month",
    "short_message",
    "submission_copy",
    "team_quarters",
    "template_markdown",
    "today",
    "uninstall",
    "validate",
    "validate_many",
    "workbook_files",
]
