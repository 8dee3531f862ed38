"""Marked copies waiting to be downloaded: bytes in memory only, under a random token, for a short while.

Nothing a clerk uploads is written anywhere that outlives the request; the marked copy is handed back through
this shelf, which forgets it after `ttl` seconds or when it holds too much (the oldest goes first).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

TTL_SECONDS = 15 * 60
MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    data: bytes
    name: str
    expires: float


class Shelf:
    def __init__(self, ttl: float = TTL_SECONDS, max_bytes: int = MAX_BYTES) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Item] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, data: bytes, name: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._expire()
            self._items[token] = Item(data, name, time.monotonic() + self.ttl)
            while sum(len(i.data) for i in self._items.values()) > self.max_bytes and len(self._items) > 1:
                self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Item | None:
        with self._lock:
            self._expire()
            return self._items.get(token)

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, i in self._items.items() if i.expires < now]:
            del self._items[token]
