"""Exceptions that stop an operation. Data problems are never exceptions: they are findings (findings.py)."""

from __future__ import annotations


class KexieError(Exception):
    """Base of the errors a user can cause and fix; the message is plain Chinese and shown as 「错误：…」.

    `exit_code` is the process exit code an adapter (the CLI) should use for this kind of error.
    """

    exit_code: int = 1


class ConfigError(KexieError):
    """The configuration or the unit registry file is wrong (a usage error: exit 2, like click's own)."""

    exit_code = 2


class InputMissing(KexieError):
    """A file or folder named on the command line does not exist."""

    exit_code = 2


class OutputExists(KexieError):
    """An output file is already there and the user did not ask to overwrite it."""


class OutputLocked(KexieError):
    """An output file cannot be replaced, usually because Excel or WPS has it open."""


class OutputError(KexieError):
    """An output cannot be written: no permission, not a folder, or the disk is full. Nothing existing was changed."""

    exit_code = 2


class StoreError(KexieError):
    """The store cannot be used: not a database, damaged, newer than this program, read-only or the disk is full."""

    exit_code = 2


class Busy(KexieError):
    """Another run holds the store: one run per store at a time."""

    exit_code = 2
