"""The WPS add-in: its check API over HTTP, its build and install, and its JavaScript in a real browser.

The browser tests run kexie_xl/addin/wpsjs/main.js in Debian's chromium (Playwright) against tests/wps_standin.js —
the one stand-in at this boundary, for WPS 表格's object model — and a real `kexie-xl serve` on loopback. A demo
workbook's values (python-calamine) and formats, fills and notes (openpyxl) go into the stand-in, the buttons are
clicked, and what the stand-in recorded must equal the marks the file marker writes for the same workbook.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kexie_xl.api import (
    FILL,
    NOTE_PREFIX,
    Context,
    Restore,
    build_wps_addin,
    check_workbook,
    install_wps,
    load_context,
    marks_for,
    team_quarters,
    today,
    uninstall_wps,
    wps_jsaddons,
)
from kexie_xl.cli import cli
from kexie_xl.errors import KexieError
from kexie_xl.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
WPSJS = ROOT / "kexie_xl" / "addin" / "wpsjs"
STANDIN = ROOT / "tests" / "wps_standin.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROBLEMS = "2026-11_北碚区科协_科技志愿服务月报.xlsx"
PENDING = "2026-11_大渡口区科协_科技志愿服务月报.xlsx"  # a 支队 with no activity yet this quarter (待开展)
EPOCH = datetime(1899, 12, 30)
NO_XML_NS = {"c": "http://schemas.microsoft.com/office/2006/01/customui"}


# The workbook as WPS shows it: Value2 (dates as serials), number formats, fills, notes


def grid_values(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's values as Value2 gives them, but with date cells tagged as the add-in tags them."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = [[_json(v) for v in row] for row in rows]
    wb.close()
    return out


def _json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return {"date": serial(value)}
    return None if value == "" else value


def serial(value: date | datetime) -> float:
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    return (moment - EPOCH).total_seconds() / 86400


def bgr(argb: str) -> int:
    return int(argb[-6:-4], 16) + int(argb[-4:-2], 16) * 256 + int(argb[-2:], 16) * 65536


def standin_book(path: Path, folder: str = "", notes: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """The workbook for the stand-in: every cell's value (calamine), number format, fill and note (openpyxl)."""
    import openpyxl

    values = grid_values(path)
    book = openpyxl.load_workbook(path)
    sheets = []
    for ws in book.worksheets:
        rows = values.get(ws.title, [])
        cells: dict[str, dict[str, Any]] = {}
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                cell = ws.cell(r, c)
                fill = (
                    cell.fill.fgColor.rgb if cell.fill.patternType == "solid" and isinstance(cell.fill.fgColor.rgb, str) else None
                )
                comment = cell.comment.text if cell.comment else None
                if v is None and fill is None and comment is None and cell.number_format == "General":
                    continue
                cells[f"{r},{c}"] = {
                    "v": v["date"] if isinstance(v, dict) else v,
                    "fmt": cell.number_format,
                    "color": bgr(fill) if fill else None,
                    "comment": comment,
                }
        sheets.append({"name": ws.title, "cells": cells})
    for (sheet, address), text in (notes or {}).items():
        r, c = _rc(address)
        target = next(s for s in sheets if s["name"] == sheet)["cells"]
        target.setdefault(f"{r},{c}", {"v": None, "fmt": "General", "color": None, "comment": None})["comment"] = text
    return {"name": path.name, "path": folder, "sheets": sheets}


def _rc(address: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", address)
    assert m
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def expected_marks(path: Path, ctx: Context, *, quarterly_only: bool = False) -> Any:
    """What the file marker writes for the same workbook (kexie-xl validate's marked copy)."""
    day = today(ctx)
    report, sub = check_workbook(path, ctx, as_of=day)
    assert sub is not None
    return report, marks_for(report, team_quarters(sub, ctx, day), day, quarterly_only=quarterly_only)


# The check API over HTTP


@pytest.fixture(scope="module")
def demo_ctx(demo: tuple[Path, dict]) -> Context:
    return load_context(demo[0] / "config" / "kexie.toml")


@pytest.fixture(scope="module")
def client(demo_ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(demo_ctx)) as c:
        yield c


def test_grid_check_gives_the_findings_and_marks_of_the_file_check(client: TestClient, demo, demo_ctx: Context) -> None:  # type: ignore[no-untyped-def]
    path = demo[0] / "workbooks" / PROBLEMS
    day = today(demo_ctx)
    answer = client.post("/api/grid-check", json={"name": path.name, "sheets": grid_values(path), "as_of": day.isoformat()})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    report, marks = expected_marks(path, demo_ctx)
    got = [(f["code"], f["sheet"], f["cell"], f["value"], f["message"]) for f in body["report"]["findings"]]
    assert got == [(f.code, f.sheet, f.cell, f.value, f.message) for f in report.findings]
    assert {"E28", "B29"} <= {f["cell"] for f in body["report"]["findings"]}  # the planted problems of 北碚区
    assert (body["ok"], body["report"]["errors"], body["report"]["warnings"]) == (report.ok, report.errors, report.warnings)
    assert body["marks"]["cells"] == [
        {"sheet": m.sheet, "cell": m.cell, "severity": m.severity.value, "fill": FILL[m.severity], "note": NOTE_PREFIX + m.note}
        for m in marks.cells
    ]
    sheets = body["marks"]["sheets"]
    assert [s["name"] for s in sheets] == [t.name for t in marks.sheets] == ["校验结果", "季度达标"]
    assert [s["rows"] for s in sheets] == [[list(r) for r in t.rows] for t in marks.sheets]
    first = sheets[0]
    assert first["header_row"] == len(first["lines"]) + 2 and first["restore_column"] == "J"  # 9 columns, then restore
    assert first["links"][0] == {
        "cell": f"D{first['header_row'] + 1}",
        "sheet": report.findings[0].sheet,
        "target": report.findings[0].cell,
    }
    assert body["submission_name"] == "2026-11_北碚区科协_科技志愿服务月报（报送件）.xlsx"
    assert body["clear"] == [] and body["note_prefix"] == NOTE_PREFIX and body["as_of"] == day.isoformat()


def test_grid_check_reads_earlier_restore_records_and_the_quarterly_mode(client: TestClient, demo) -> None:  # type: ignore[no-untyped-def]
    path = demo[0] / "workbooks" / PENDING
    sheets = grid_values(path)
    sheets["校验结果"] = [
        ["校验结果", "", "kexie-restore:活动台账!E28=style:3;fill:FFFF00"],
        ["", "", "kexie-restore:服务队!A3=fill:none"],
    ]
    body = client.post("/api/grid-check", json={"name": path.name, "sheets": sheets, "mode": "quarterly"}).json()
    assert body["clear"] == [
        {"sheet": "活动台账", "cell": "E28", "fill": "FFFF00"},
        {"sheet": "服务队", "cell": "A3", "fill": None},
    ]
    assert [s["name"] for s in body["marks"]["sheets"]] == ["季度达标"]
    assert [(c["sheet"], c["severity"]) for c in body["marks"]["cells"]] == [("服务队", "警告")]
    assert "rule.quarterly-pending" in {f["code"] for f in body["report"]["findings"]}
    assert body["mode"] == "quarterly"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "不是有效的 JSON"),
        (b"\xff\xfe", 400, "不是有效的 JSON"),
        (b"[1, 2]", 400, "不是 JSON 对象"),
        (json.dumps({"sheets": {"a": [[1]]}}).encode(), 400, "缺少工作簿名"),
        (json.dumps({"name": "x.xlsx", "sheets": {}}).encode(), 400, "缺少工作表"),
        (json.dumps({"name": "x.xlsx", "sheets": {"a": [1, 2]}}).encode(), 400, "工作表「a」的内容应为行的列表"),
        (json.dumps({"name": "x.xlsx", "sheets": {"a": [[1, {"x": 1}]]}}).encode(), 400, "工作表「a」第 1 行第 2 列的值无法识别"),
        (json.dumps({"name": "x.xlsx", "sheets": {"a": [[{"date": "46331"}]]}}).encode(), 400, "日期无法识别"),
        (json.dumps({"name": "x.xlsx", "sheets": {"a": [[1]]}, "mode": "all"}).encode(), 400, "mode 只能是"),
        (json.dumps({"name": "x.xlsx", "sheets": {f"s{i}": [[1]] for i in range(101)}}).encode(), 400, "工作表超过 100 张"),
    ],
)
def test_grid_check_refuses_bad_requests_in_chinese(client: TestClient, body: bytes, status: int, words: str) -> None:
    answer = client.post("/api/grid-check", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert words in answer.json()["error"]


def test_grid_check_caps_the_body_before_reading_it(tmp_path: Path) -> None:
    config = tmp_path / "kexie.toml"
    config.write_text("[web]\nmax_upload_mb = 1\n", encoding="utf-8")
    with TestClient(create_app(load_context(config))) as small:
        big = json.dumps({"name": "x.xlsx", "sheets": {"a": [["字" * 1000] * 200]}}).encode()
        assert len(big) > 1024 * 1024
        answer = small.post("/api/grid-check", content=big, headers={"content-type": "application/json"})
        assert answer.status_code == 413 and "1 MB 的上限" in answer.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
            for _ in range(20):
                yield b" " * 100_000

        answer = small.post("/api/grid-check", content=chunks(), headers={"content-type": "application/json"})
        assert answer.status_code == 413
        assert small.get("/api/grid-check").json()["max_bytes"] == 1024 * 1024


def test_grid_values_become_the_grid_the_file_readers_give() -> None:
    from kexie_xl.api.grids import read_request

    request = read_request(
        {
            "name": "a.xlsx",
            "sheets": {
                "活动台账": [
                    [1, 2.5, True, None, "文字"],
                    [{"date": 46331}, {"date": 46331.75}, {"date": "2026-11-05"}, -2146826265],
                ],
                "校验结果": [["kexie-restore:活动台账!B2=fill:FFC7CE"]],
            },
        }
    )
    rows = request.grid.sheets["活动台账"].rows
    assert rows[0] == [1.0, 2.5, True, "", "文字"] and isinstance(rows[0][0], float)
    assert rows[1] == [date(2026, 11, 5), datetime(2026, 11, 5, 18, 0), date(2026, 11, 5), "#REF!"]
    assert type(rows[1][0]) is date
    assert "校验结果" not in request.grid.sheets
    assert [(r.sheet, r.cell, r.fill) for r in request.restores] == [("活动台账", "B2", "FFC7CE")]


def test_cross_origin_only_for_the_offline_add_in(client: TestClient) -> None:
    pre = client.options(
        "/api/grid-check",
        headers={"origin": "null", "access-control-request-method": "POST", "access-control-request-private-network": "true"},
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "null"
    assert pre.headers["access-control-allow-private-network"] == "true"
    assert "access-control-allow-credentials" not in pre.headers
    evil = client.post(
        "/api/grid-check", json={"name": "x.xlsx", "sheets": {"a": [[1]]}}, headers={"origin": "https://evil.example"}
    )
    assert evil.status_code == 403 and "不能使用校验服务" in evil.json()["error"]
    own = client.post("/api/grid-check", json={"name": "x.xlsx", "sheets": {"a": [[1]]}}, headers={"origin": "http://testserver"})
    assert own.status_code == 200 and "access-control-allow-origin" not in own.headers
    assert own.json()["report"]["findings"][0]["code"] == "file.not-template" and own.json()["marks"] == {
        "cells": [],
        "sheets": [],
    }


def test_serve_gives_the_add_in_at_wps(client: TestClient) -> None:
    index = client.get("/wps/")
    assert index.status_code == 200 and '<script src="main.js"></script>' in index.text
    assert "x-frame-options" not in index.headers and "frame-ancestors" not in index.headers["content-security-policy"]
    assert client.get("/wps/ribbon.xml").text == (WPSJS / "ribbon.xml").read_text(encoding="utf-8")
    assert json.loads(client.get("/wps/config.js").text.split("=", 1)[1].rstrip(";\n"))["service"] == ""
    assert client.get("/wps/../app.py").status_code == 404 and client.get("/wps/secret.txt").status_code == 404


# The ribbon and the script


def test_ribbon_names_only_callbacks_main_js_defines_and_matches_the_excel_ribbon() -> None:
    text = (WPSJS / "ribbon.xml").read_text(encoding="utf-8")
    assert text.startswith("<customUI")  # WPS's publish page rejects a ribbon.xml with an XML declaration
    ribbon = ElementTree.fromstring(text)
    script = (WPSJS / "main.js").read_text(encoding="utf-8")
    defined = set(re.findall(r"^function (\w+)\(", script, re.M))
    callbacks = {v for e in ribbon.iter() for k, v in e.attrib.items() if k == "onLoad" or k.startswith(("on", "get"))}
    assert callbacks == {"OnAddinLoad", "OnAction"} and callbacks <= defined
    buttons = {b.get("id"): b for b in ribbon.iter(f"{{{NO_XML_NS['c']}}}button")}
    handled = set(re.findall(r"^  (kx_\w+):", script, re.M))
    assert set(buttons) == handled == {"kx_validate", "kx_quarterly", "kx_submit", "kx_instructions", "kx_settings"}
    assert [b.get("label") for b in buttons.values()] == ["校验本表", "季度达标", "生成报送件", "填报说明", "设置"]

    excel = ElementTree.fromstring((ROOT / "macros" / "customUI14.xml").read_bytes())
    ns = "{http://schemas.microsoft.com/office/2009/07/customui}"
    tab, wps_tab = next(excel.iter(f"{ns}tab")), next(ribbon.iter(f"{{{NO_XML_NS['c']}}}tab"))
    assert (tab.get("id"), tab.get("label")) == (wps_tab.get("id"), wps_tab.get("label")) == ("kx_tab", "科技志愿服务")
    excel_groups = {g.get("id"): g.get("label") for g in excel.iter(f"{ns}group")}
    for group in ribbon.iter(f"{{{NO_XML_NS['c']}}}group"):
        assert excel_groups[group.get("id")] == group.get("label")
    for b in excel.iter(f"{ns}button"):
        if b.get("id") in buttons:
            assert {k: b.get(k) for k in ("label", "imageMso", "screentip", "supertip")} == {
                k: buttons[b.get("id")].get(k) for k in ("label", "imageMso", "screentip", "supertip")
            }


def test_build_writes_the_folder_and_refuses_a_bad_address(tmp_path: Path) -> None:
    out = build_wps_addin(tmp_path / "wps", "http://192.168.1.20:8023/")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["config.js", "index.html", "main.js", "ribbon.xml", "settings.css", "settings.html", "settings.js"]
    )
    assert '"service": "http://192.168.1.20:8023"' in (out / "config.js").read_text(encoding="utf-8")
    assert (out / "main.js").read_bytes() == (WPSJS / "main.js").read_bytes()
    with pytest.raises(KexieError, match="服务地址应为"):
        build_wps_addin(tmp_path / "x", "javascript:alert(1)")
    runner = CliRunner().invoke(cli, ["addin", "build", "--wps", "-o", str(tmp_path / "cli")])
    assert runner.exit_code == 0 and "已生成 WPS 加载项" in runner.output and (tmp_path / "cli" / "ribbon.xml").is_file()


def test_install_merges_publish_xml_and_uninstall_removes_only_ours(tmp_path: Path) -> None:
    jsaddons = tmp_path / "jsaddons"
    jsaddons.mkdir()
    other = '<jsplugin name="other" type="wps" url="other_1.0" version="1.0"/>'
    (jsaddons / "publish.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<jsplugins>\n  {other}\n</jsplugins>\n', encoding="utf-8"
    )
    install_wps(jsaddons)
    install_wps(jsaddons)  # again: replaced, not duplicated
    entries = ElementTree.parse(jsaddons / "publish.xml").getroot()
    assert [(e.tag, e.get("name")) for e in entries] == [("jsplugin", "other"), ("jsplugin", "kexie_xl")]
    ours = entries[1]
    assert (ours.get("type"), ours.get("url")) == ("et", f"kexie_xl_{ours.get('version')}")
    assert (jsaddons / ours.get("url") / "ribbon.xml").is_file()
    assert (jsaddons / "publish.xml.bak").read_text(encoding="utf-8").count("kexie_xl") == 0

    result = CliRunner().invoke(
        cli, ["addin", "install", "--wps", "--jsaddons", str(jsaddons), "--url", "http://10.0.0.5:8023/wps"]
    )
    assert result.exit_code == 0, result.output
    entries = ElementTree.parse(jsaddons / "publish.xml").getroot()
    assert [(e.tag, e.get("name"), e.get("url")) for e in entries][1] == (
        "jspluginonline",
        "kexie_xl",
        "http://10.0.0.5:8023/wps/",
    )
    assert not list(jsaddons.glob("kexie_xl_*"))  # online mode: nothing copied, the old folder gone

    assert uninstall_wps(jsaddons)[-1].startswith("已从")
    assert [e.get("name") for e in ElementTree.parse(jsaddons / "publish.xml").getroot()] == ["other"]


def test_install_leaves_a_broken_publish_xml_alone(tmp_path: Path) -> None:
    (tmp_path / "publish.xml").write_text("<jsplugins><oops></jsplugins>", encoding="utf-8")
    with pytest.raises(KexieError, match="不是有效的 XML"):
        install_wps(tmp_path)
    assert (tmp_path / "publish.xml").read_text(encoding="utf-8") == "<jsplugins><oops></jsplugins>"


def test_where_wps_looks_for_add_ins(tmp_path: Path) -> None:
    assert wps_jsaddons("win32", appdata=tmp_path) == tmp_path / "kingsoft" / "wps" / "jsaddons"
    assert wps_jsaddons("linux", home=tmp_path) == tmp_path / ".local" / "share" / "Kingsoft" / "wps" / "jsaddons"


# The JavaScript in a real browser, on the stand-in, against a real kexie-xl serve


@pytest.fixture(scope="module")
def server(demo_ctx: Context) -> Iterator[str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(demo_ctx), host="127.0.0.1", port=port, log_level="warning", access_log=False))
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
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run the README's test command (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


class Wps:
    """The add-in's page with the stand-in: load a workbook, click buttons, read back what WPS would hold."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.messages: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.messages.append(d.message), d.accept()))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def load(self, book: dict[str, Any]) -> None:
        self.page.evaluate("book => standin.load(book)", book)

    def click(self, button: str) -> str:
        before = len(self.messages)
        self.page.evaluate("id => OnAction({Id: id})", button)
        self.page.wait_for_function("() => !kexie.busy", timeout=60_000)
        assert len(self.messages) == before + 1, self.messages[before:]
        return self.messages[-1]

    def dump(self) -> dict[str, Any]:
        return self.page.evaluate("() => standin.dump()")


@pytest.fixture(params=["online", "offline"])
def wps(request: pytest.FixtureRequest, browser: Any, server: str, tmp_path: Path) -> Iterator[Wps]:
    """online: the add-in served by kexie-xl serve at /wps/; offline: the built folder opened from disk (origin
    「null」, cross-origin calls to the service), as WPS loads it from jsaddons."""
    page = browser.new_page(locale="zh-CN")
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # the browser asks; WPS does not
    page.add_init_script(path=str(STANDIN))
    if request.param == "online":
        page.goto(server + "/wps/index.html")
    else:
        page.goto((build_wps_addin(tmp_path / "kexie_xl_addin", server) / "index.html").as_uri())
    yield Wps(page)
    page.close()


def cells_of(sheet: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    return {tuple(int(n) for n in k.split(",")): v for k, v in sheet["cells"].items()}  # type: ignore[misc]


def row_values(cells: dict[tuple[int, int], dict[str, Any]], row: int, width: int) -> list[Any]:
    return [cells.get((row, c), {}).get("v") for c in range(1, width + 1)]


def assert_marked_like_the_file_marker(state: dict[str, Any], book: dict[str, Any], marks: Any, clerk_notes: dict) -> None:
    sheets = {s["name"]: s for s in state["sheets"]}
    before = {s["name"]: cells_of(s) for s in book["sheets"]}
    marked = {(m.sheet, _rc(m.cell)): m for m in marks.cells}
    for name, original in before.items():
        now = cells_of(sheets[name])
        for rc, cell in now.items():
            mark = marked.get((name, rc))
            if mark is None:  # every other cell exactly as it was
                old = original.get(rc, {})
                assert (cell["color"], cell["comment"], cell["v"]) == (old.get("color"), old.get("comment"), old.get("v")), (
                    name,
                    rc,
                )
                continue
            assert cell["color"] == bgr(FILL[mark.severity]), (name, rc)
            own = clerk_notes.get((name, mark.cell))
            assert cell["comment"] == (own if own else NOTE_PREFIX + mark.note), (name, rc)
        assert {rc for (n, rc) in marked if n == name} <= set(now)

    tools = [s for s in state["sheets"] if s["name"] in ("校验结果", "季度达标")]
    assert [s["name"] for s in tools] == [t.name for t in marks.sheets]
    assert [s["name"] for s in state["sheets"][-len(tools) :]] == [t.name for t in marks.sheets]  # at the end
    for n, (sheet, tool) in enumerate(zip(tools, marks.sheets, strict=True)):
        cells = cells_of(sheet)
        width = max(1, len(tool.header), *(len(r) for r in tool.rows))
        head = len(tool.lines) + 2
        assert [row_values(cells, r + 1, 1)[0] for r in range(len(tool.lines))] == list(tool.lines)
        assert row_values(cells, head, len(tool.header)) == list(tool.header)
        for r, expected in enumerate(tool.rows):
            got = row_values(cells, head + 1 + r, width)
            assert got == list(expected) + [""] * (width - len(expected)), (tool.name, r)
        assert all(cells[(head + 1 + r, c + 1)]["color"] == bgr(argb) for r, c, argb in tool.fills)
        links = {(lk["row"], lk["col"]): lk["subAddress"] for lk in sheet["links"]}
        assert links == {(head + 1 + r, c + 1): f"'{target}'!{cell}" for r, c, target, cell in tool.links}
        assert sheet["widths"][str(width + 1)] == 0  # the restore column is hidden
        restore = [cells[(r, width + 1)]["v"] for r in range(1, 1 + len(marks.cells))] if n == 0 else []
        records = [Restore.parse(v) for v in restore]
        assert [(x.sheet, x.cell) for x in records if x] == [(m.sheet, m.cell) for m in marks.cells] if n == 0 else True
        for x in (r for r in records if r):
            old = before[x.sheet].get(_rc(x.cell), {}).get("color")
            assert x.fill == ("" if old is None else f"{old & 255:02X}{(old >> 8) & 255:02X}{(old >> 16) & 255:02X}")


@pytest.mark.slow
def test_validate_button_marks_like_the_file_marker_and_replaces_on_a_second_click(wps: Wps, demo, demo_ctx: Context) -> None:  # type: ignore[no-untyped-def]
    path = demo[0] / "workbooks" / PROBLEMS
    report, marks = expected_marks(path, demo_ctx)
    first, second = marks.cells[0], marks.cells[1]
    clerk = {(first.sheet, first.cell): "填报员：这一格我已和队长核对过"}
    book = standin_book(path, notes=clerk)
    r, c = _rc(second.cell)  # the clerk had coloured this cell: it comes back when the marks are cleared
    next(s for s in book["sheets"] if s["name"] == second.sheet)["cells"].setdefault(
        f"{r},{c}", {"v": None, "fmt": "General", "comment": None}
    )["color"] = bgr("FF00B0F0")
    wps.load(book)

    message = wps.click("kx_validate")
    assert (
        message == f"校验完成：错误 {report.errors} 处，警告 {report.warnings} 处。请按「校验结果」表修改标红的单元格后重新校验。"
    )
    state = wps.dump()
    assert_marked_like_the_file_marker(state, book, marks, clerk)
    assert state["alerts"] is True  # DisplayAlerts given back

    assert wps.click("kx_validate") == message
    again = wps.dump()
    assert again["sheets"] == state["sheets"]  # replaced, not duplicated: the same book after a second click

    _report, quarterly = expected_marks(path, demo_ctx, quarterly_only=True)
    assert wps.click("kx_quarterly").startswith("季度达标：未达标 ")
    after = wps.dump()
    assert [s["name"] for s in after["sheets"]][-1] == "季度达标" and "校验结果" not in [s["name"] for s in after["sheets"]]
    cell = cells_of(next(s for s in after["sheets"] if s["name"] == second.sheet))[(r, c)]
    if (second.sheet, second.cell) not in {(m.sheet, m.cell) for m in quarterly.cells}:
        assert cell["color"] == bgr("FF00B0F0") and cell["comment"] is None  # the clerk's own fill is back
    assert_marked_like_the_file_marker(after, book, quarterly, clerk)
    assert not wps.errors, wps.errors


@pytest.mark.slow
def test_dates_are_told_from_numbers_by_their_format(wps: Wps, demo, demo_ctx: Context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Value2 gives dates as serials: 报送月份 entered as a date, and a ledger date column whose cells are formatted
    differently (read per cell), must check as the file does — as dates, not as the numbers 46327…"""
    import openpyxl

    source = demo[0] / "workbooks" / PROBLEMS
    wb = openpyxl.load_workbook(source)
    wb["基本信息"]["B3"] = datetime(2026, 11, 1)
    wb["基本信息"]["B3"].number_format = 'yyyy"年"m"月"'
    wb["活动台账"]["B2"].number_format = "[$-804]yyyy/m/d;@"
    path = tmp_path / source.name
    wb.save(path)
    report, marks = expected_marks(path, demo_ctx)
    assert "cell.month" not in {f.code for f in report.findings}
    book = standin_book(path)
    wps.load(book)
    wps.click("kx_validate")
    assert_marked_like_the_file_marker(wps.dump(), book, marks, {})
    assert not wps.errors, wps.errors


@pytest.mark.slow
def test_submit_saves_a_clean_copy_beside_the_book_only_without_errors(wps: Wps, demo, demo_ctx: Context) -> None:  # type: ignore[no-untyped-def]
    problems = demo[0] / "workbooks" / PROBLEMS
    wps.load(standin_book(problems, folder="D:/月报"))
    report, _ = expected_marks(problems, demo_ctx)
    assert wps.click("kx_submit") == f"还有 {report.errors} 处错误，不能生成报送件。请先点「校验本表」并按「校验结果」修改。"
    assert wps.dump()["copies"] == []

    clean = next(p for p in sorted((demo[0] / "workbooks").glob("*.xlsx")) if check_workbook(p, demo_ctx)[0].ok)
    report, marks = expected_marks(clean, demo_ctx)
    book = standin_book(clean, folder="D:/月报")
    wps.load(book)
    wps.click("kx_validate")
    message = wps.click("kx_submit")
    target = f"D:/月报/{report.month}_{report.unit}_科技志愿服务月报（报送件）.xlsx"
    assert message.startswith(f"已生成报送件：{target}\n")
    state = wps.dump()
    [copy] = state["copies"]
    assert copy["path"] == target
    names = [s["name"] for s in copy["book"]["sheets"]]
    assert names == [s["name"] for s in book["sheets"]]  # no 校验结果 / 季度达标 in the copy
    for sheet, original in zip(copy["book"]["sheets"], book["sheets"], strict=True):
        old = cells_of(original)
        for rc, cell in cells_of(sheet).items():
            assert (cell["color"], cell["comment"]) == (old.get(rc, {}).get("color"), old.get(rc, {}).get("comment"))
    assert_marked_like_the_file_marker(state, book, marks, {})  # the open book keeps this check's marks
    assert not wps.errors, wps.errors


@pytest.mark.slow
def test_instructions_settings_and_no_workbook(wps: Wps, demo) -> None:  # type: ignore[no-untyped-def]
    wps.load(None)  # type: ignore[arg-type]
    assert wps.page.evaluate("() => { OnAction({Id: 'kx_validate'}); return kexie.busy; }") is False
    assert wps.messages[-1] == "请先打开要校验的月报工作簿。"
    wps.load(standin_book(demo[0] / "workbooks" / PROBLEMS))
    wps.page.evaluate("() => OnAction({Id: 'kx_instructions'})")
    assert wps.dump()["active"] == "填报说明"
    wps.page.evaluate("() => OnAction({Id: 'kx_settings'})")
    dialogs = wps.page.evaluate("() => standin.dialogs")
    assert dialogs[-1]["title"] == "设置" and dialogs[-1]["url"].endswith("/settings.html")
    wps.page.evaluate("() => store(SERVICE_KEY, 'http://127.0.0.1:9')")  # nothing listens there
    assert wps.click("kx_validate").startswith("连不上校验服务 http://127.0.0.1:9")
    assert wps.page.evaluate("() => wps.PluginStorage.getItem('kexie_xl.service')") == "http://127.0.0.1:9"
