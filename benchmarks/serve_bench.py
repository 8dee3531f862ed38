"""Benchmark: 20 clerks check their demo workbooks at the same moment against a real `kexie-xl serve`.

The server runs as its own process (as the office runs it), with its default settings (N concurrent checks = the
number of cores, the rest queued). Each client uploads one workbook of the demo month to /api/check and waits for
the findings and the marked copy; latency is measured per request, from sending the upload to the last byte.

Run on demand:  python benchmarks/serve_bench.py [--clients 20] [--rounds 3]
Target: errors = 0; the 95th percentile well under the per-request limit (120 s).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def check(url: str, path: Path) -> tuple[float, bool]:
    """One clerk: upload, read the answer; (seconds, whether it was a complete check)."""
    body, kind = multipart(path.name, path.read_bytes())
    request = urllib.request.Request(url + "/api/check", data=body, headers={"Content-Type": kind}, method="POST")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            data = json.loads(answer.read())
        ok = bool(data.get("readable")) and bool(data.get("marked_url"))
    except Exception:
        ok = False
    return time.perf_counter() - t0, ok


def start_server(config: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exe = Path(sys.executable).with_name("kexie-xl")
    command = [str(exe), "serve", "--port", str(port), "--config", str(config)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kexie-serve-bench-") as tmp:
        run(Path(tmp), args.clients, args.rounds)


def run(folder: Path, clients: int, rounds: int) -> None:
    """Generate the demo month in `folder`, start the server, and measure."""
    sys.path.insert(0, str(ROOT))
    from kexie_xl.api import load_context
    from kexie_xl.sample import write_demo

    write_demo(folder / "demo", load_context(ROOT / "tests" / "data" / "empty.toml"), "2026-11", 2026)
    books = sorted((folder / "demo" / "workbooks").glob("*.xlsx"))[:clients]
    config = folder / "kexie.toml"
    config.write_text("", encoding="utf-8")
    server, url = start_server(config)
    try:
        single = [check(url, books[0])[0] for _ in range(5)]
        latencies: list[float] = []
        errors = 0
        wall = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                results = list(pool.map(lambda p: check(url, p), books))
            wall.append(time.perf_counter() - t0)
            latencies += [seconds for seconds, _ok in results]
            errors += sum(1 for _s, ok in results if not ok)
    finally:
        server.terminate()
        server.wait(10)
    print(f"{os.cpu_count()} 核；{clients} 个并发 × {rounds} 轮（演示月份的工作簿，每份 20–40 条活动）")
    print("| 测量 | 数值 |")
    print("|---|---:|")
    print(f"| 单独一次校验（中位数） | {statistics.median(single):.2f} s |")
    print(f"| {clients} 个同时上传：延迟中位数 | {statistics.median(latencies):.2f} s |")
    print(f"| {clients} 个同时上传：95% 分位 | {percentile(latencies, 95):.2f} s |")
    print(f"| 一轮 {clients} 个全部完成（中位数） | {statistics.median(wall):.2f} s |")
    print(f"| 失败 | {errors} |")


if __name__ == "__main__":
    main()
