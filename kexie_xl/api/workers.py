"""Worker processes: the context every isolated job runs in (set once per worker by the pool's initializer)."""

from __future__ import annotations

from ..context import Context

_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def worker_context() -> Context:
    """The context of this worker process (set by `_init_worker`)."""
    assert _WORKER_CTX is not None, "called outside a worker started with _init_worker"
    return _WORKER_CTX
