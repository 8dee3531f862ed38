"""Worker processes: the context every isolated job runs in (set once per worker by the pool's initializer)."""

from __future__ import annotations

import gc

from ..context import Context

_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    """Also moves what the worker holds so far (the imports, the context) out of the cyclic GC's reach (gc.freeze):
    a full collection in a worker then looks at a job's objects only, not at ~20,000 that never become garbage."""
    global _WORKER_CTX
    _WORKER_CTX = ctx
    gc.freeze()


def worker_context() -> Context:
    """The context of this worker process (set by `_init_worker`)."""
    assert _WORKER_CTX is not None, "called outside a worker started with _init_worker"
    return _WORKER_CTX
