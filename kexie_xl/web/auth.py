"""The office login of the page: in-memory sessions, a CSRF token per session, lock-out after repeated failures.

Sessions live in this process only (a restart logs everyone out, which is what an office wants from a small
intranet service); the cookie is HttpOnly and SameSite=Strict, so another site can neither read it nor make the
browser send it along with a forged form — and every form carries the session's CSRF token besides.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "kexie_office"
LOGIN_COOKIE = "kexie_login"  # the login form's CSRF token (double submit: cookie and form field must match)
MAX_FAILURES = 5
LOCK_SECONDS = 10 * 60


@dataclass
class Session:
    csrf: str
    seen: float


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class Sessions:
    """Who is logged in, and who failed to log in how often (per client address)."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    # Sessions

    def open(self) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32), seen=time.monotonic())
        with self._lock:
            self._sessions[token] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of a cookie value (its idle clock restarted), or None."""
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            for key in [k for k, s in self._sessions.items() if now - s.seen > self.idle]:
                del self._sessions[key]
            session = self._sessions.get(token)
            if session is not None:
                session.seen = now
            return session

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    # Lock-out

    def locked(self, client: str) -> int:
        """Seconds until `client` may try again (0: it may)."""
        with self._lock:
            entry = self._failures.get(client)
            left = entry.locked_until - time.monotonic() if entry else 0
        return max(0, int(left + 0.999))

    def failed(self, client: str) -> int:
        """Count a failed login; returns how many tries are left before the lock-out (0: locked now)."""
        now = time.monotonic()
        with self._lock:
            entry = self._failures.setdefault(client, _Failures())
            entry.times = [t for t in entry.times if now - t < LOCK_SECONDS] + [now]
            if len(entry.times) >= MAX_FAILURES:
                entry.locked_until = now + LOCK_SECONDS
                entry.times = []
                return 0
            return MAX_FAILURES - len(entry.times)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; False when either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
