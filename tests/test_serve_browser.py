"""kexie-xl serve in a real browser (Debian's chromium, driven by Playwright) against a real uvicorn server.

A clerk drops a demo workbook with problems, sees the findings and opens the marked copy; the office logs in, runs
the demo month and downloads the city workbook; 20 clerks upload at once. Screenshots of each page are written to
a temporary folder and checked not to be blank — with KEXIE_XL_SCREENSHOTS=docs they are also copied to docs/.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from kexie_xl.api import hash_password, load_context
from kexie_xl.web.app import create_app

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "办公室-口令-2026"
PROBLEMS = "2026-11_北碚区科协_科技志愿服务月报.xlsx"
SCREEN = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def office_config(tmp_path_factory: pytest.TempPathFactory, demo: tuple[Path, dict]) -> Path:
    """A copy of the demo month, its config with the office password and the demo's mail folder as a source."""
    copy = tmp_path_factory.mktemp("browser") / "demo"
    shutil.copytree(demo[0], copy)
    config = copy / "config" / "kexie.toml"
    extra = f'\n[web]\nlogin_hash = "{hash_password(PASSWORD)}"\nsources = ["../mail"]\n'
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def server(office_config: Path) -> Iterator[str]:
    """`kexie-xl serve` as the office runs it: uvicorn on a free loopback port, in a thread of this process."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(load_context(office_config))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run the README's test command (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    target = os.environ.get("KEXIE_XL_SCREENSHOTS")
    if target:
        for png in folder.glob("serve-*.png"):
            shutil.copy(png, Path(target) / png.name)


def not_blank(png: Path) -> None:
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (SCREEN["width"], SCREEN["height"]) or image.size[0] == SCREEN["width"]
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, f"{png.name} looks blank ({len(colours)} colours)"
    commonest = max(colours)[0] / sum(n for n, _c in colours)
    assert commonest < 0.95, f"{png.name} is almost one colour"


def test_a_clerk_drops_a_workbook_and_opens_the_marked_copy(
    server: str, browser, demo: tuple[Path, dict], shots: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=SCREEN, accept_downloads=True, locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/")
    assert page.title() == "科技志愿服务月报 · 在线校验"
    page.set_input_files("#file", str(demo[0] / "workbooks" / PROBLEMS))  # the page submits on its own
    page.wait_for_selector("#result", timeout=30_000)
    assert "还不能报送" in page.inner_text("#verdict")
    cells = page.locator("#findings tbody tr td.mono").all_inner_texts()
    assert {"E28", "B29"} <= set(cells)
    assert page.locator("#quarters tbody tr").count() > 0
    page.screenshot(path=str(shots / "serve-clerk.png"))
    not_blank(shots / "serve-clerk.png")

    with page.expect_download() as download:
        page.click("#marked-link")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "2026-11_北碚区科协_科技志愿服务月报（已校验）.xlsx"
    book = openpyxl.load_workbook(saved)
    assert book["活动台账"]["E28"].comment.text.startswith("kexie_xl：") and "校验结果" in book.sheetnames
    assert not errors, errors  # no CSP violation or script error in the console
    page.close()


def test_the_office_logs_in_runs_the_month_and_downloads_the_city_workbook(
    server: str, browser, demo: tuple[Path, dict], shots: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=SCREEN, accept_downloads=True, locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/office?month=2026-11")
    assert page.url.endswith("/office/login")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/office")
    page.goto(server + "/office?month=2026-11")
    page.click("#run-button")
    page.wait_for_selector("#job-progress", timeout=10_000)
    page.wait_for_selector("#city-link", timeout=90_000)  # the page polls, then reloads when the run is done
    assert "应报 41 个单位" in page.inner_text("#job-message")
    rows = page.locator("#desk tbody tr")
    assert rows.count() == 41
    missing = demo[1]["roles"]["missing"]
    assert page.inner_text(f'#desk tr[data-unit="{missing}"] .tag') == "未报"
    assert page.locator("#matrix tbody tr").count() > 0
    page.screenshot(path=str(shots / "serve-office.png"))
    not_blank(shots / "serve-office.png")

    with page.expect_download() as download:
        page.click("#city-link")
    saved = tmp_path / "city.xlsx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "重庆市科技志愿服务月报_2026-11.xlsx"
    summary = openpyxl.load_workbook(saved)["汇总表"]
    assert summary.max_row >= 41
    assert not errors, errors
    page.close()


def test_twenty_clerks_at_once(server: str, demo: tuple[Path, dict]) -> None:
    files = [f for f in demo[1]["files"] if f["version"] == 1][:20]

    def check(entry: dict) -> tuple[int, dict]:
        path = demo[0] / entry["path"]
        boundary = uuid.uuid4().hex
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n\r\n'
        body = head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        kind = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(server + "/api/check", data=body, headers={"Content-Type": kind}, method="POST")
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(check, files))
    assert [code for code, _data in results] == [200] * 20
    for entry, (_code, data) in zip(files, results, strict=True):
        assert data["readable"] and data["unit_code"] == entry["unit"]
        planted = {(x["code"], x["cell"]) for x in entry["findings"] if not x["code"].startswith("rule.quarterly")}
        found = {(x["code"], x["cell"]) for x in data["findings"] if not x["code"].startswith("rule.quarterly")}
        assert found >= planted
    assert all(data["marked_url"] for _c, data in results)


def test_the_page_fits_an_office_screen(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=SCREEN, locale="zh-CN")
    page.goto(server + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], "the clerk's page scrolls sideways at 1366×768"
    assert page.is_visible("#zone") and page.locator("#zone").bounding_box()["y"] < SCREEN["height"] / 2  # type: ignore[index]
    page.close()
