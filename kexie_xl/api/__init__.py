"""The verbs every adapter calls — the command line, the Excel ribbon, and any front end to come.

Adapters import this package only (and errors, findings). Each verb runs the stages in order; heavy libraries
load lazily inside the verbs, so importing kexie_xl.api stays light enough for a ribbon click.

- checking: check a file (guarded, in a worker process) or an open book; marks; 报送件; next month's workbook
- consolidation: a month into the archive, the store and the city workbook
- month: the whole month from the mailbox, with the feedback to every sender
- demo: a generated month and every step of the job on it
"""

from __future__ import annotations

from ..context import Context, load_context
from ..findings import Report
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
    "AsOf",
    "Checked",
    "Consolidation",
    "Context",
    "MarkRequest",
    "Marks",
    "MonthRun",
    "Progress",
    "Report",
    "check_book",
    "check_files",
    "check_workbook",
    "clean_copy",
    "consolidate_month",
    "demo_month",
    "draft_feedback",
    "load_context",
    "mail_folder",
    "make_demo",
    "make_template",
    "mark_workbook",
    "marks_for",
    "next_month_workbook",
    "parse_received_at",
    "read_received_times",
    "run_month",
    "submission_copy",
    "team_quarters",
    "today",
    "validate",
    "validate_many",
    "workbook_files",
]
