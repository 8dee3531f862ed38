"""Exceptions that stop an operation. Data problems are never exceptions: they are findings (findings.py)."""

from __future__ import annotations


class KexieError(Exception):
    """Base of the errors a user can cause and fix; the message is plain Chinese and shown as 「错误：…」."""


class ConfigError(KexieError):
    """The configuration or the unit registry file is wrong."""


class OutputExists(KexieError):
    """An output file is already there and the user did not ask to overwrite it."""


class OutputLocked(KexieError):
    """An output file cannot be replaced, usually because Excel or WPS has it open."""
