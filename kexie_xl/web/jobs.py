"""The office's long actions (fetch and consolidate, send feedback): one at a time, in a background thread,
with a state the page polls for its progress bar."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import KexieError

log = logging.getLogger("kexie_xl")

Step = Callable[[int, int, str], None]


@dataclass
class JobState:
    label: str = ""
    running: bool = False
    done: int = 0
    total: int = 0
    current: str = ""
    ok: bool | None = None  # None: never ran
    message: str = ""
    started: float = 0.0
    finished: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round((self.finished or time.time()) - self.started, 1) if self.started else 0
        return data


class Jobs:
    def __init__(self) -> None:
        self.state = JobState()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, label: str, work: Callable[[Step], str]) -> bool:
        """Run `work(progress)` in the background; False when another action is still running."""
        with self._lock:
            if self.state.running:
                return False
            self.state = JobState(label=label, running=True, started=time.time(), message="正在进行…")
            self._thread = threading.Thread(target=self._run, args=(work,), name="kexie-office-job", daemon=True)
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        """For tests and shutdown: wait until the current action ends."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, work: Callable[[Step], str]) -> None:
        def step(done: int, total: int, name: str) -> None:
            self.state.done, self.state.total, self.state.current = done, total, name

        try:
            message, ok = work(step), True
        except KexieError as exc:
            message, ok = f"错误：{exc}", False
        except Exception as exc:  # an unexpected failure is shown, never a traceback page; the log has it
            log.exception("office action failed")
            message, ok = f"出错：{type(exc).__name__}: {exc}", False
        with self._lock:
            self.state.running, self.state.ok, self.state.message = False, ok, message
            self.state.finished = time.time()
