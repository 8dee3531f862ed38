"""Edge adapter (files): run the work on untrusted files in child processes, where a crash costs one file.

A workbook can make a parser abort the process (calamine asks for 512 GiB for one value in XFD1048576 and
aborts), loop for minutes or eat the machine's memory. Each job therefore runs in a worker process (pebble's
ProcessPool: a worker that dies fails only its own job and is replaced) with a time limit per job and, on
POSIX, a limit on the worker's address space. On Linux the workers also die with the main process
(PR_SET_PDEATHSIG), so a killed run (SIGKILL, the OOM killer) never leaves them behind; elsewhere a worker
notices that its parent is gone and exits. A single job on Linux, from a process without threads (`validate` of
one file), runs in a plain fork with the same limits instead (`_run_forked`): the pool's start costs ~0.1 s.

`run_isolated` yields, in input order, either the job's result or a `Failed` value with a Chinese reason.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger("kexie_xl")
J = TypeVar("J")
R = TypeVar("R")

DEFAULT_SECONDS = 120  # one workbook: a 50,000-row ledger takes about 2 s
DEFAULT_MEMORY_MB = 4096  # address space of one worker; marking a 200,000-row ledger peaks at 1.8 GB resident


@dataclass(frozen=True)
class Limits:
    seconds: float = DEFAULT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    workers: int = 0  # 0: one per core, at most 4
    start_method: str | None = None  # None: the platform's (spawn on Windows and macOS); tests try "spawn" here
    doing: str = "读取"  # what the child does, as a failure names it (「读取进程异常退出…」)


@dataclass(frozen=True)
class Failed(Generic[J]):
    """A job whose worker crashed, ran out of time or memory, or raised."""

    job: J
    reason: str


def run_isolated(
    func: Callable[[J], R],
    jobs: Sequence[J],
    *,
    limits: Limits = Limits(),
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[tuple[J, R | Failed[J]]]:
    """Run `func(job)` for every job in worker processes; yield (job, result or Failed) in input order.

    `func` and `initializer` must be module-level functions (they are pickled where processes are spawned).
    """
    if not jobs:
        return
    if len(jobs) == 1 and _can_fork(limits):
        try:
            result = _run_forked(func, jobs[0], limits, initializer, initargs)
        except _NoFork:
            pass  # the pool below tries again
        else:
            yield jobs[0], result
            return
    from concurrent.futures import TimeoutError as FutureTimeout

    from pebble import ProcessExpired, ProcessPool, common

    # pebble's manager threads poll every 0.1 s, which a one-file check pays twice at shutdown (0.15 s of a
    # 0.4 s command); 20 ms costs nothing measurable while the pool lives.
    common.CONSTS.sleep_unit = min(common.CONSTS.sleep_unit, 0.02)
    workers = limits.workers or min(os.cpu_count() or 1, 4)
    workers = max(1, min(workers, len(jobs)))
    import multiprocessing

    context = multiprocessing.get_context(limits.start_method) if limits.start_method else multiprocessing
    pool = ProcessPool(
        max_workers=workers,
        initializer=_init_worker,
        initargs=(os.getpid(), limits.memory_mb, initializer, initargs),
        context=context,
    )
    try:
        pending = deque((job, pool.schedule(func, args=(job,), timeout=limits.seconds)) for job in jobs)
        while pending:
            job, future = pending.popleft()  # a result consumed is not kept: a month's rows never pile up here
            try:
                yield job, future.result()
            except FutureTimeout:
                yield job, Failed(job, f"处理超过 {limits.seconds:.0f} 秒仍未完成，已中止")
            except ProcessExpired as exc:
                yield job, Failed(job, _expired(exc.exitcode, limits))
            except MemoryError:
                yield job, Failed(job, _out_of_memory(limits))
            except Exception as exc:  # the job raised: its own failure, the batch goes on
                log.error("isolated job failed: %s: %s", type(exc).__name__, exc)
                yield job, Failed(job, _raised(type(exc).__name__, str(exc)))
    finally:
        pool.stop()
        pool.join(timeout=10)


class _NoFork(Exception):
    """No pipe or no process for the plain fork: the job goes to the pool instead."""


def _can_fork(limits: Limits) -> bool:
    """One job on Linux, from a process with no other thread: a plain fork (`_run_forked`) isolates it as well as
    a pool does, without the pool's cost (importing pebble and asyncio, its manager threads: ~0.1 s of a one-file
    `validate`). A process with threads (the web page's server) keeps the pool: a fork copies no thread, and a
    lock another thread held at that moment would stay locked in the child. An explicit start method (the tests
    try "spawn", as on Windows) keeps the pool too."""
    return limits.start_method is None and sys.platform.startswith("linux") and threading.active_count() == 1


def _run_forked(
    func: Callable[[J], R], job: J, limits: Limits, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> R | Failed[J]:
    """`func(job)` in a forked child, with the pool's limits (time, address space, dying with the parent, quiet
    stderr) and its reasons for a failure. The child sends its pickled result, or the exception it raised, through
    a pipe, which the parent drains while it waits (a large result never blocks the child)."""
    return _fork(func, job, limits, initializer, initargs).wait()


class _Forked(Generic[J, R]):
    """A job running in a forked child (`_fork`): `wait` for its result, or `kill` it."""

    def __init__(self, pid: int, read_end: int, job: J, limits: Limits) -> None:
        self.pid, self.read_end, self.job, self.limits = pid, read_end, job, limits
        self.deadline = time.monotonic() + limits.seconds
        self.done = False

    def wait(self) -> R | Failed[J]:
        """Drain the child's pipe until it closes or the job's time is up (then the child is killed); its result,
        or Failed with the reason."""
        import pickle
        import select

        if self.done:
            raise RuntimeError("a forked job is waited for once")
        self.done = True
        chunks: list[bytes] = []
        finished = False
        waiting = select.poll()  # not select(): it fails on a descriptor numbered 1024 or more
        waiting.register(self.read_end, select.POLLIN)
        try:
            while True:
                left = self.deadline - time.monotonic()
                if left <= 0 or not waiting.poll(max(1, int(left * 1000))):
                    break
                chunk = os.read(self.read_end, 1 << 20)
                if not chunk:
                    finished = True
                    break
                chunks.append(chunk)
        finally:
            status = self._end(kill=not finished)  # out of time, or the caller was interrupted: the child goes
        limits, job = self.limits, self.job
        if not finished:
            return Failed(job, f"处理超过 {limits.seconds:.0f} 秒仍未完成，已中止")
        exitcode = os.waitstatus_to_exitcode(status)
        if exitcode != 0 or not chunks:
            return Failed(job, _expired(exitcode, limits))
        kind, value = pickle.loads(b"".join(chunks))
        if kind == "done":
            return value
        if kind == "memory":
            return Failed(job, _out_of_memory(limits))
        name, text = value
        log.error("isolated job failed: %s: %s", name, text)
        return Failed(job, _raised(name, text))

    def kill(self) -> None:
        """Stop the child without its result (the caller no longer wants it)."""
        if not self.done:
            self.done = True
            self._end(kill=True)

    def _end(self, *, kill: bool) -> int:
        import signal

        os.close(self.read_end)
        if kill:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        return os.waitpid(self.pid, 0)[1]


def _fork(
    func: Callable[[J], R], job: J, limits: Limits, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> _Forked[J, R]:
    """Start `func(job)` in a forked child (`_run_forked`); _NoFork when there is no pipe or no process for it."""
    import pickle

    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):  # what the caller wrote so far goes out once, never again from the child
        if stream is not None:
            with suppress(OSError, ValueError):  # a closed stream, a reader gone (broken pipe): nothing to send
                stream.flush()
    try:
        read_end, write_end = os.pipe()
    except OSError as exc:
        raise _NoFork from exc
    try:
        pid = os.fork()
    except OSError as exc:  # no process could be made (a limit on processes or memory): the pool tries
        os.close(read_end)
        os.close(write_end)
        raise _NoFork from exc
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(read_end)
            _init_worker(parent, limits.memory_mb, initializer, initargs)
            try:
                answer: tuple[str, Any] = ("done", func(job))
            except MemoryError:
                answer = ("memory", None)
            except Exception as exc:
                answer = ("raised", (type(exc).__name__, str(exc)[:200]))
            try:
                data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # a result that cannot travel is the job's failure, said as such
                data = pickle.dumps(("raised", (type(exc).__name__, str(exc)[:200])))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return _Forked(pid, read_end, job, limits)


class Beside(Generic[J, R]):
    """Work of our own started beside the caller's (`beside`): `result()` waits for it, `cancel()` drops it."""

    def __init__(self, func: Callable[[J], R], job: J, limits: Limits) -> None:
        self.func, self.job, self.limits = func, job, limits
        self.forked: _Forked[J, R] | None = None
        if _can_fork(limits):
            with suppress(_NoFork):  # no pipe or process: done in this process when asked
                self.forked = _fork(func, job, limits, None, ())

    def result(self) -> R | Failed[J]:
        """The work's result, or Failed with the reason — whether it ran in a child or (no fork here) runs now."""
        if self.forked is not None:
            return self.forked.wait()
        try:
            return self.func(self.job)
        except Exception as exc:  # as from a child: the caller reads one kind of failure
            log.error("work beside failed: %s: %s", type(exc).__name__, exc)
            return Failed(self.job, _raised(type(exc).__name__, str(exc)))

    def cancel(self) -> None:
        if self.forked is not None:
            self.forked.kill()


def beside(func: Callable[[J], R], job: J, *, limits: Limits = Limits(memory_mb=0, doing="后台")) -> Beside[J, R]:
    """Start `func(job)` now in a forked child, while the caller goes on (two cores: the 简报 draft is written
    while the city workbook is) — on Linux from a process with no other thread (`_can_fork`); elsewhere it runs in
    this process when its result is asked for. For kexie_xl's own work on data it made, not on a received file:
    the child has a time limit and dies with the parent but no memory limit (`limits`), and only its result (or
    the exception it raised, as Failed) comes back. A child must not use what the parent holds open (the store's
    connection): it leaves through os._exit and never returns into the caller's code."""
    return Beside(func, job, limits)


def _raised(name: str, text: str) -> str:
    """The reason of a job that raised: the exception's class and the start of its text (the pool, the fork, beside)."""
    return f"处理时出错（{name}: {text[:200]}）"


def _out_of_memory(limits: Limits) -> str:
    if limits.memory_mb > 0:
        return f"{limits.doing}时所需内存超过上限（{limits.memory_mb} MB），已中止"
    return f"{limits.doing}进程内存不足，已中止"


def _expired(exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        if name == "SIGABRT" and limits.memory_mb > 0:  # an allocation refused under the limit aborts native code
            return f"{limits.doing}程序异常终止（可能是表格的数据区域异常巨大，所需内存超过上限 {limits.memory_mb} MB）"
        if name == "SIGKILL":
            return f"{limits.doing}进程被系统终止（可能是内存不足）"
        return f"{limits.doing}进程异常终止（信号 {name}）"
    return f"{limits.doing}进程异常退出（退出码 {exitcode}）"


# Worker side


def _init_worker(parent: int, memory_mb: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    _limit_memory(memory_mb)
    _quiet_stderr()
    if initializer is not None:
        initializer(*initargs)


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(1)

    def watch() -> None:  # portable fallback: notice the parent is gone
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="kexie-parent-watch", daemon=True).start()


def _quiet_stderr() -> None:
    """A parser that aborts prints its backtrace to fd 2: keep the user's terminal clean (the job's failure
    is reported as its finding). KEXIE_XL_DEBUG=1 keeps the workers' stderr."""
    if os.environ.get("KEXIE_XL_DEBUG"):
        return
    import faulthandler

    faulthandler.disable()  # its report of an abort goes to a copy of stderr, not to fd 2
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        pass


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0 or sys.platform == "win32":
        return
    import resource

    limit = memory_mb * 1024 * 1024
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # not allowed here: the time limit still applies
        pass
