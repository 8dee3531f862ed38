"""Stages ③–④ as one: a workbook's grid → header mapping → normalised submission (read/) → cell, sheet and rule
checks → one Report (and the typed Submission). Every check takes the submission and returns findings; none
changes shared state, so the order of the checks does not matter. `check_grid` is the stage's one entry."""

from __future__ import annotations

from .pipeline import check_grid

__all__ = ["check_grid"]
