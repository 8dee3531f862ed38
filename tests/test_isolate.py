"""files/isolate.py: a job's crash, time-out, memory, exception or result is the same whether it runs in the
pool (pebble) or, alone on Linux, in a plain fork (`_run_forked`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kexie_xl.files.isolate import Failed, Limits, _can_fork, _run_forked, run_isolated

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the plain fork is Linux's path")

_STATE: dict[str, str] = {}


def _remember(value: str) -> None:
    _STATE["set"] = value


def _job(kind: str) -> object:
    if kind == "echo":
        return {"状态": _STATE.get("set"), "pid": os.getpid()}
    if kind == "big":
        return b"x" * (8 << 20)  # more than a pipe holds: the parent must drain while the child writes
    if kind == "raise":
        raise ValueError("表格里有一个坏值")
    if kind == "abort":
        os.abort()
    if kind == "exit":
        os._exit(3)
    if kind == "sleep":
        Path(_STATE["pidfile"]).write_text(str(os.getpid()))
        time.sleep(30)
    if kind == "memory":
        return len(bytearray(2 << 30))  # 2 GiB, above the 256 MB limit
    if kind == "unpicklable":
        return threading.Lock()
    raise AssertionError(kind)


def _pidfile(path: str) -> None:
    _STATE["pidfile"] = path


LEAN = Limits()  # one job, no thread: a plain fork
POOL = Limits(start_method="fork")  # an explicit start method: the pool


def one(kind: str, limits: Limits, initializer=None, initargs=()) -> object:
    """The job run as `run_isolated` runs it; for LEAN, in the plain fork even if a thread of another test still
    runs in this process (run_isolated would take the pool then)."""
    if limits.start_method is None:
        return _run_forked(_job, kind, limits, initializer, initargs)
    ((job, result),) = run_isolated(_job, [kind], limits=limits, initializer=initializer, initargs=initargs)
    assert job == kind
    return result


@pytest.mark.parametrize("limits", [LEAN, POOL], ids=["fork", "pool"])
def test_a_result_comes_back_from_another_process_with_the_initializer_run_there(limits: Limits) -> None:
    result = one("echo", limits, _remember, ("已设置",))
    assert isinstance(result, dict)
    assert result["状态"] == "已设置" and result["pid"] != os.getpid()
    assert "set" not in _STATE  # the initializer ran in the child only
    assert one("big", limits) == b"x" * (8 << 20)


@pytest.mark.parametrize("limits", [LEAN, POOL], ids=["fork", "pool"])
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("raise", "处理时出错（ValueError: 表格里有一个坏值）"),
        ("abort", "读取程序异常终止（可能是表格的数据区域异常巨大，所需内存超过上限 256 MB）"),
        ("exit", "读取进程异常退出（退出码 3）"),
        ("memory", "读取时所需内存超过上限（256 MB），已中止"),
    ],
)
def test_a_failing_job_is_its_reason_in_chinese(limits: Limits, kind: str, reason: str) -> None:
    from dataclasses import replace

    result = one(kind, replace(limits, memory_mb=256))
    assert result == Failed(kind, reason)


@pytest.mark.parametrize("limits", [LEAN, POOL], ids=["fork", "pool"])
def test_a_result_that_cannot_travel_is_a_failure(limits: Limits) -> None:
    result = one("unpicklable", limits)
    assert isinstance(result, Failed) and result.reason.startswith("处理时出错（") and "lock" in result.reason


@pytest.mark.parametrize("limits", [LEAN, POOL], ids=["fork", "pool"])
def test_a_job_out_of_time_is_stopped_and_its_process_is_gone(limits: Limits, tmp_path: Path) -> None:
    from dataclasses import replace

    pidfile = tmp_path / "pid"
    started = time.monotonic()
    result = one("sleep", replace(limits, seconds=1), _pidfile, (str(pidfile),))
    assert result == Failed("sleep", "处理超过 1 秒仍未完成，已中止")
    assert time.monotonic() - started < 20
    pid = int(pidfile.read_text())
    for _ in range(50):  # the pool stops its worker in the background
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"process {pid} still runs")


PREAMBLE = "import sys; from kexie_xl.files.isolate import run_isolated\n"  # a fresh Python, as a command starts


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a fresh Python (its output captured; it must succeed)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_only_a_lone_job_in_a_process_without_threads_forks() -> None:
    assert _can_fork(Limits()) == (threading.active_count() == 1)
    assert not _can_fork(Limits(start_method="spawn"))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not _can_fork(Limits())
        ((_kind, result),) = run_isolated(_job, ["echo"])  # the pool, then
        assert isinstance(result, dict) and result["pid"] != os.getpid()
    finally:
        stop.set()
        other.join()


def test_a_lone_job_does_not_load_the_pool() -> None:
    """What the plain fork is for: `validate` of one file pays no pebble, asyncio or multiprocessing import."""
    code = (
        PREAMBLE + "(_, r), *_rest = run_isolated(len, ['四个字符'])\n"
        "print(r, *sorted(m for m in ('pebble', 'asyncio', 'multiprocessing') if m in sys.modules))"
    )
    out = _python(code).stdout.split()
    assert out == ["4"]
    code = code.replace("['四个字符']", "['四个字符', 'ab']")
    out = _python(code).stdout.split()
    assert out[0] == "4" and "pebble" in out


def test_what_the_caller_wrote_before_the_fork_is_written_once() -> None:
    code = (
        PREAMBLE + "sys.stdout.write('开始校验…'); sys.stderr.write('进度 0/1')\n"
        "((_, r),) = run_isolated(len, ['四个字符'])\n"
        "print(r)"
    )
    done = _python(code)
    assert (done.stdout, done.stderr) == ("开始校验…4\n", "进度 0/1")


def test_when_no_process_can_be_forked_the_pool_takes_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    import kexie_xl.files.isolate as isolate

    refused: list[str] = []

    def no_fork() -> int:
        refused.append("fork")
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(isolate, "_can_fork", lambda limits: True)
    monkeypatch.setattr(isolate.os, "fork", no_fork)
    # the pool as on Windows (spawn starts a new interpreter: no os.fork, which is refused here)
    ((_kind, result),) = run_isolated(_job, ["echo"], limits=Limits(start_method="spawn"))
    assert refused == ["fork"] and isinstance(result, dict) and result["pid"] != os.getpid()


def test_a_closed_output_does_not_stop_the_job() -> None:
    code = PREAMBLE + "sys.stdout.close()\n((_, r),) = run_isolated(len, ['四个字符'])\nsys.stderr.write(str(r))"
    done = _python(code)
    assert done.stderr == "4"


BESIDE = """
import os, sys, time
from pathlib import Path
from kexie_xl.files.isolate import Limits, beside

def work(kind):
    if kind == "raise":
        raise ValueError("坏了")
    if kind == "sleep":
        Path(sys.argv[1]).write_text(str(os.getpid()))
        time.sleep(30)
    if kind == "exit":
        os._exit(3)
    if kind == "abort":
        os.abort()
    if kind == "memory":
        raise MemoryError
    time.sleep(0.3)
    return os.getpid(), kind * 2
"""


def test_work_beside_runs_in_a_child_while_the_caller_goes_on() -> None:
    code = BESIDE + (
        "t = time.monotonic()\n"
        "b = beside(work, '算')\n"
        "back = time.monotonic() - t\n"
        "pid, value = b.result()\n"
        "print(pid != os.getpid(), value, back < 0.25)\n"
    )
    assert _python(code).stdout.split() == ["True", "算算", "True"]  # returned at once, the result from a child


def test_work_beside_fails_as_a_job_does_and_can_be_dropped(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    code = BESIDE + (
        "print(beside(work, 'raise').result().reason)\n"
        "print(beside(work, 'sleep', limits=Limits(seconds=1, memory_mb=0)).result().reason)\n"
        "for kind in ('exit', 'abort', 'memory'):\n    print(beside(work, kind).result().reason)\n"
        "Path(sys.argv[1]).unlink()\n"
        "b = beside(work, 'sleep')\n"
        "while not Path(sys.argv[1]).exists() or not Path(sys.argv[1]).read_text(): time.sleep(0.05)\n"
        "t = time.monotonic(); b.cancel(); print(time.monotonic() - t < 5)\n"
        "try:\n    os.waitpid(-1, os.WNOHANG)\nexcept ChildProcessError:\n    print('no child left')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(pidfile)], capture_output=True, text=True, check=True)
    said = ["处理时出错（ValueError: 坏了）", "处理超过 1 秒仍未完成，已中止"]
    # our own work's child is no reader of workbooks and has no memory limit: its failures say neither
    said += ["后台进程异常退出（退出码 3）", "后台进程异常终止（信号 SIGABRT）", "后台进程内存不足，已中止"]
    said += ["True", "no child left"]
    assert done.stdout.splitlines() == said
    with pytest.raises(ProcessLookupError):
        os.kill(int(pidfile.read_text()), 0)


def test_work_beside_runs_in_this_process_when_another_thread_runs() -> None:
    from kexie_xl.files.isolate import beside

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        calls: list[int] = []
        pending = beside(lambda n: calls.append(n) or os.getpid(), 7)
        assert calls == []  # not yet: when the result is asked for
        assert pending.result() == os.getpid() and calls == [7]
        failing = beside(lambda n: 1 // n, 0).result()
        assert isinstance(failing, Failed)
        assert failing.reason == "处理时出错（ZeroDivisionError: integer division or modulo by zero）"
    finally:
        stop.set()
        other.join()


def test_a_worker_freezes_what_it_holds_before_its_first_job() -> None:
    code = (
        "import gc\nfrom kexie_xl.api.workers import _init_worker\n"
        "before = gc.get_freeze_count()\n_init_worker(None)\n"
        "print(before == 0, gc.get_freeze_count() > 1000)"
    )
    assert _python(code).stdout.split() == ["True", "True"]
