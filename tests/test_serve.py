"""kexie-xl serve at the HTTP level (Starlette's TestClient): the clerk's check, its limits, the office's login.

The real browser, the office's month and concurrent uploads against a real server are in test_serve_browser.py.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from kexie_xl.api import Context, hash_password, load_context, verify_password
from kexie_xl.cli import cli
from kexie_xl.web.app import create_app

PASSWORD = "办公室-口令-2026"
PROBLEMS = "2026-11_北碚区科协_科技志愿服务月报.xlsx"  # planted: a value not in the list, a date that is not one
PLANTED = {("cell.code-list", "活动台账", "E28"), ("cell.date-invalid", "活动台账", "B29")}


def with_web(ctx: Context, **web: object) -> Context:
    """The same context with some [web] settings changed."""
    settings = replace(ctx.settings, web=replace(ctx.settings.web, **web))
    return Context(settings, ctx.registry)


@pytest.fixture(scope="module")
def office_ctx(ctx: Context) -> Context:
    return with_web(ctx, login_hash=hash_password(PASSWORD))


@pytest.fixture
def client(office_ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(office_ctx)) as c:
        yield c


@pytest.fixture(scope="module")
def workbook(demo: tuple[Path, dict]) -> bytes:
    return (demo[0] / "workbooks" / PROBLEMS).read_bytes()


def post(client: TestClient, name: str, data: bytes, url: str = "/api/check"):  # type: ignore[no-untyped-def]
    return client.post(url, files={"file": (name, data, "application/octet-stream")})


def login(client: TestClient, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/office/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return client.post("/office/login", data={"csrf": token[1], "password": password}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/office").text)
    assert found is not None
    return found[1]


# The clerk's page


def test_pages_carry_security_headers_and_only_local_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "校验月报工作簿" in page.text
    headers = page.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in ("/static/style.css", "/static/app.js"):
        assert client.get(asset).status_code == 200
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline: the CSP would block it


def test_a_workbook_with_problems_gives_findings_and_a_marked_copy(client: TestClient, workbook: bytes) -> None:
    answer = post(client, PROBLEMS, workbook)
    assert answer.status_code == 200
    data = answer.json()
    found = {(f["code"], f["sheet"], f["cell"]) for f in data["findings"] if not f["code"].startswith("rule.quarterly")}
    assert found == PLANTED
    assert data["file"] == PROBLEMS and data["unit"] == "北碚区科协" and not data["ok"]
    assert data["quarters"] and {q["status"] for q in data["quarters"]} <= {"达标", "未达标", "待开展", "豁免"}
    marked = client.get(data["marked_url"])
    assert marked.status_code == 200
    assert "filename*=UTF-8''" in marked.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(marked.content))
    cell = book["活动台账"]["E28"]
    assert cell.comment is not None and cell.comment.text.startswith("kexie_xl：")
    assert "校验结果" in book.sheetnames


def test_the_results_page_shows_the_table_and_when_to_submit(
    client: TestClient, workbook: bytes, demo: tuple[Path, dict]
) -> None:
    page = post(client, PROBLEMS, workbook, "/check")
    assert page.status_code == 200 and 'id="findings"' in page.text and "还不能报送" in page.text
    assert "E28" in page.text and "B29" in page.text
    clean = next(f for f in demo[1]["files"] if not f["findings"] and f["version"] == 1)
    path = demo[0] / clean["path"]
    page = post(client, path.name, path.read_bytes(), "/check")
    assert "可以报送" in page.text
    assert f"2026-11_{clean['unit_name']}_科技志愿服务月报.xlsx" in page.text and "834396688@qq.com" in page.text


@pytest.mark.parametrize("name", ["数据.csv", "月报.docx", "月报.et", "没有扩展名"])
def test_other_file_types_are_refused_in_chinese(client: TestClient, name: str) -> None:
    answer = post(client, name, b"a,b\n1,2\n")
    assert answer.status_code == 415
    assert "只接受 Excel 工作簿" in answer.json()["error"] and "另存为" in answer.json()["error"]
    page = post(client, name, b"a,b\n1,2\n", "/check")
    assert page.status_code == 415 and "只接受 Excel 工作簿" in page.text


def test_an_oversized_upload_is_refused_before_it_is_read(ctx: Context) -> None:
    with TestClient(create_app(with_web(ctx, max_upload_mb=1))) as client:
        answer = post(client, "大.xlsx", b"\0" * (2 * 1024 * 1024))
        assert answer.status_code == 413 and "超过 1 MB" in answer.json()["error"]

        def body() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
            yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'
            for _ in range(40):
                yield b"\0" * 65536

        streamed = client.post("/api/check", content=body(), headers={"content-type": "multipart/form-data; boundary=xyz"})
        assert streamed.status_code == 413 and "上限" in streamed.json()["error"]


def zip_bomb() -> bytes:
    """A small .xlsx-looking package whose one part inflates to 20 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def test_a_zip_bomb_is_the_guard_s_finding(client: TestClient) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 100_000
    data = post(client, "炸弹.xlsx", bomb).json()
    assert not data["readable"] and [f["code"] for f in data["findings"]] == ["file.too-large"]
    assert "压缩炸弹" in data["findings"][0]["message"] and data["marked_url"] == ""


@pytest.mark.parametrize("name", ["../../x.xlsx", "..\\..\\x.xlsx", "/etc/x.xlsx", "a/../../../x.xlsx"])
def test_a_crafted_file_name_is_data_never_a_path(
    client: TestClient, workbook: bytes, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    data = post(client, name, workbook).json()
    assert data["file"] == name  # shown as it came
    assert not list(tmp_path.rglob("x*.xlsx")) and not Path("/etc/x.xlsx").exists()
    disposition = client.get(data["marked_url"]).headers["content-disposition"]
    assert "%2F" not in disposition and "%5C" not in disposition and ".." not in disposition.split("filename*=")[1]


def snapshot(*folders: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size if p.is_file() else -1 for folder in folders for p in folder.rglob("*")}


def test_nothing_is_kept_on_disk(
    office_ctx: Context, workbook: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: tuple[Path, dict]
) -> None:
    temp, cwd = tmp_path / "tmp", tmp_path / "cwd"
    temp.mkdir()
    cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(cwd)
    seen: set[str] = set()
    real = tempfile.TemporaryDirectory.__init__

    def spy(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        real(self, *args, **kwargs)
        seen.add(self.name)

    monkeypatch.setattr(tempfile.TemporaryDirectory, "__init__", spy)
    before = snapshot(temp, cwd, demo[0])
    with TestClient(create_app(office_ctx)) as client:
        data = post(client, PROBLEMS, workbook).json()
        assert client.get(data["marked_url"]).status_code == 200
        assert not post(client, "炸弹.xlsx", zip_bomb()).json()["readable"]
        assert post(client, "坏.xls", b"not a workbook").status_code == 200
        assert client.get("/template").status_code == 200
    assert seen and all(Path(s).parent == temp for s in seen)  # the work was done there…
    assert snapshot(temp, cwd, demo[0]) == before  # …and nothing is left


# The office: login, sessions, CSRF


def office_routes(client: TestClient) -> list[tuple[str, str]]:
    app = client.app
    out = []
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/office") and route.path != "/office/login":
            out += [(method, route.path) for method in sorted(route.methods or ()) if method in ("GET", "POST")]
    return out


def test_every_office_route_is_refused_without_a_session(client: TestClient) -> None:
    routes = office_routes(client)
    assert {p for _m, p in routes} >= {"/office", "/office/run", "/office/city", "/office/send", "/office/job"}
    for method, path in routes:
        answer = client.request(
            method, path + "?month=2026-11", follow_redirects=False, data={"csrf": "x"} if method == "POST" else None
        )
        assert answer.status_code in (303, 401), (method, path, answer.status_code)
        if answer.status_code == 303:
            assert answer.headers["location"] == "/office/login"
        assert "desk" not in answer.text and "报送情况" not in answer.text
    browser = client.get("/office/city?month=2026-11", headers={"accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/office/login"
    client.cookies.set("kexie_office", "forged-session", path="/office")
    assert client.get("/office/job").status_code == 401


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(client: TestClient) -> None:
    answer = login(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/office"
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("kexie_office="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/office" in cookie
    assert client.get("/office?month=2026-11").status_code == 200
    assert client.get("/office/job").json()["running"] is False
    client.post("/office/logout", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert client.get("/office/job").status_code == 401


def test_posts_without_the_right_csrf_token_are_refused(client: TestClient) -> None:
    anonymous = client.post("/office/login", data={"csrf": "guess", "password": PASSWORD}, follow_redirects=False)
    assert anonymous.status_code == 403 and "kexie_office" not in anonymous.headers.get("set-cookie", "")
    login(client)
    jobs = client.app.state.web.jobs  # type: ignore[attr-defined]
    for data in ({"action": "consolidate", "month": "2026-11"}, {"action": "consolidate", "csrf": "wrong"}):
        refused = client.post("/office/run", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "操作没有执行" in refused.text
    assert jobs.state.label == ""  # nothing was started
    send = client.post("/office/send", data={"month": "2026-11", "confirm": "yes"}, follow_redirects=False)
    assert send.status_code == 403


def test_five_wrong_passwords_lock_the_login(client: TestClient) -> None:
    answers = [login(client, "wrong-password") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert "再错 1 次" in answers[3].text and "暂停登录" in answers[4].text
    locked = login(client)  # the right password, during the lock-out
    assert locked.status_code == 429 and "kexie_office" not in locked.headers.get("set-cookie", "")


def test_without_a_password_set_nobody_gets_in(ctx: Context) -> None:
    with TestClient(create_app(ctx)) as client:
        assert "kexie-xl office password" in client.get("/office/login").text
        assert login(client, "").status_code == 401 and login(client, "anything").status_code == 401


def test_the_desk_of_a_month_without_a_store(office_ctx: Context, tmp_path: Path) -> None:
    store = tmp_path / "办公室" / "kexie_store.sqlite"
    paths = replace(office_ctx.settings.paths, store=store)
    ctx = Context(replace(office_ctx.settings, paths=paths), office_ctx.registry)
    with TestClient(create_app(ctx)) as client:
        login(client)
        page = client.get("/office?month=2026-11")
    assert page.status_code == 200 and "汇总库还没有建立" in page.text
    due = len(ctx.registry.active_in_month(2026, 11))
    assert page.text.count('<span class="tag s-未报">未报</span>') == due
    assert not store.exists() and not store.parent.exists()  # looking does not create the store


# The password command


def test_office_password_keeps_only_a_salted_hash(tmp_path: Path) -> None:
    config = tmp_path / "kexie.toml"
    text = "# 办公室配置\n[report]\ndeadline_day = 20\n\n[web]\nmax_upload_mb = 10\n\n[validation]\nmax_hours = 12\n"
    config.write_text(text, encoding="utf-8")
    runner = CliRunner()
    for password in ("第一个密码abc", "第二个密码xyz"):
        done = runner.invoke(cli, ["office", "password", "--stdin", "--config", str(config)], input=password + "\n")
        assert done.exit_code == 0, done.output
    text = config.read_text(encoding="utf-8")
    assert "第二个密码" not in text and "第一个密码" not in text and text.count("login_hash") == 1
    assert text.startswith("# 办公室配置\n[report]\ndeadline_day = 20") and "max_upload_mb = 10" in text
    settings = load_context(config).settings
    assert settings.validation.max_hours == 12 and settings.web.max_upload_mb == 10  # the rest of the file as it was
    stored = settings.web.login_hash
    assert verify_password("第二个密码xyz", stored) and not verify_password("第一个密码abc", stored)
    assert hash_password("第二个密码xyz") != stored  # salted
    short = runner.invoke(cli, ["office", "password", "--stdin", "--config", str(config)], input="short\n")
    assert short.exit_code == 2 and "密码太短" in short.output


def test_serve_listens_on_loopback_unless_told(tmp_path: Path) -> None:
    from kexie_xl.cli.serve import _loopback, serve

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1" and _loopback("127.0.0.1") and _loopback("::1")
    assert not _loopback("0.0.0.0") and not _loopback("192.168.1.5")


def test_json_answers_are_plain_data(client: TestClient, workbook: bytes) -> None:
    data = post(client, "月报.xlsx", workbook).json()
    assert json.loads(json.dumps(data)) == data and data["expected_name"] == "2026-11_北碚区科协_科技志愿服务月报.xlsx"


# The office's month


@pytest.fixture(scope="module")
def demo_office(tmp_path_factory: pytest.TempPathFactory, demo: tuple[Path, dict]) -> Path:
    """A copy of the demo month whose config lets the office in and consolidates the demo's mail folder."""
    copy = tmp_path_factory.mktemp("office") / "demo"
    shutil.copytree(demo[0], copy)
    config = copy / "config" / "kexie.toml"
    extra = f'\n[web]\nlogin_hash = "{hash_password(PASSWORD)}"\nsources = ["../mail"]\n'
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config


def statuses(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-unit="([^"]+)">.*?<span class="tag s-[^"]+">([^<]+)</span>', page, re.S))


@pytest.mark.slow
def test_the_office_runs_the_month_and_takes_its_outputs(demo_office: Path, demo: tuple[Path, dict]) -> None:
    roles = demo[1]["roles"]
    with TestClient(create_app(load_context(demo_office))) as client:
        login(client)
        csrf = csrf_of(client)
        run = {"csrf": csrf, "month": "2026-11", "action": "consolidate"}
        started = client.post("/office/run", data=run, follow_redirects=False)
        assert started.status_code == 303
        jobs = client.app.state.web.jobs  # type: ignore[attr-defined]
        busy = client.post("/office/run", data=run)
        assert busy.status_code == 409 or not jobs.state.running  # one action at a time
        jobs.wait(120)
        state = client.get("/office/job").json()
        assert state["ok"] is True and "应报 41 个单位" in state["message"], state
        found = statuses(client.get("/office?month=2026-11").text)
        assert len(found) == 41 and found[roles["missing"]] == "未报"
        assert {found[u] for u in roles["late"]} == {"逾期"} and found[roles["deadline_exact"]] == "按时"
        assert sum(1 for s in found.values() if s == "按时") == 41 - 1 - len(roles["late"])

        city = client.get("/office/city?month=2026-11")
        assert city.status_code == 200 and "汇总表" in openpyxl.load_workbook(io.BytesIO(city.content)).sheetnames
        drafts = zipfile.ZipFile(io.BytesIO(client.get("/office/feedback?month=2026-11").content)).namelist()
        assert sum(1 for n in drafts if n.endswith(".eml")) >= len(roles["errors"])
        marked = client.get("/office/marked?month=2026-11&unit=500109")
        assert openpyxl.load_workbook(io.BytesIO(marked.content))["活动台账"]["E28"].comment is not None

        confirm = client.get("/office/send?month=2026-11")
        assert "确认发送" in confirm.text or "没有配置发信邮箱" in confirm.text
        unconfirmed = client.post("/office/send", data={"csrf": csrf, "month": "2026-11"})
        assert unconfirmed.status_code == 400 and "没有勾选确认" in unconfirmed.text
        client.post("/office/send", data={"csrf": csrf, "month": "2026-11", "confirm": "yes"}, follow_redirects=False)
        jobs.wait(30)
        assert jobs.state.ok is False and "没有配置发信邮箱" in jobs.state.message  # no SMTP here: nothing sent
