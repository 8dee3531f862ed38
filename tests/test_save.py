"""Atomic writes: an output appears whole or not at all, and nothing existing is overwritten unasked."""

from __future__ import annotations

from pathlib import Path

import pytest

from kexie_xl.errors import OutputExists
from kexie_xl.write.save import save_atomic


def test_existing_output_is_kept_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(OutputExists, match="--force"):
        save_atomic(target, lambda p: p.write_bytes(b"new"))
    assert target.read_bytes() == b"old"
    save_atomic(target, lambda p: p.write_bytes(b"new"), overwrite=True)
    assert target.read_bytes() == b"new"


def test_a_crash_while_writing_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.xlsx"

    def explode(p: Path) -> None:
        p.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_atomic(target, explode)
    assert not target.exists() and list(target.parent.iterdir()) == []
