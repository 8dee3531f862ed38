"""The office's pages, login required: the month's desk, the 支队 × quarter matrix, running the month in the
background, the city workbook and the feedback (sent only after a confirmation step)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..errors import KexieError
from .auth import COOKIE, LOGIN_COOKIE, MAX_FAILURES, Session, same
from .clerk import attachment, web

Handler = Callable[[Request], Awaitable[Response]]


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _cookie(response: Response, request: Request, name: str, value: str, path: str = "/office") -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=request.url.scheme == "https", path=path, max_age=None
    )


def session_of(request: Request) -> Session | None:
    return web(request).sessions.get(request.cookies.get(COOKIE))


def login_required(handler: Handler) -> Handler:
    """Refuse without a live session (pages: to the login form; anything else: 401); on POST, also refuse a
    missing or wrong CSRF token (403)."""

    async def guarded(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            page = request.url.path == "/office" or "text/html" in request.headers.get("accept", "")
            if request.method == "GET" and page:  # a person at a browser: to the login form
                return RedirectResponse("/office/login", status_code=303)
            return JSONResponse({"error": "请先登录办公室页面。"}, status_code=401)
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=10)
            if not same(str(form.get("csrf") or ""), session.csrf):
                return _page(request, "message.html", {"message": "页面已过期或来源不明，操作没有执行；请返回刷新后再试。"}, 403)
        request.state.session = session
        return await handler(request)

    return guarded


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from .clerk import render

    return render(request, name, context, status_code)


def _month(request: Request, value: str | None = None) -> str:
    """The month asked for (YYYY-MM), else the current one in the reporting time zone."""
    from ..api import parse_month, today

    text = (value or request.query_params.get("month") or "").strip()
    try:
        year, mon = parse_month(text)
    except ValueError:
        now = today(web(request).ctx)
        year, mon = now.year, now.month
    return f"{year}-{mon:02d}"


# Login


async def login_form(request: Request, message: str = "", status_code: int = 200) -> Response:
    from secrets import token_urlsafe

    w = web(request)
    token = token_urlsafe(24)
    context = {"csrf": token, "message": message, "no_password": not w.ctx.settings.web.login_hash}
    response = _page(request, "login.html", context, status_code)
    _cookie(response, request, LOGIN_COOKIE, token)
    return response


async def login(request: Request) -> Response:
    from ..api import verify_password

    w = web(request)
    client = _client(request)
    form = await request.form(max_files=0, max_fields=5)
    if not same(str(form.get("csrf") or ""), request.cookies.get(LOGIN_COOKIE)):
        return await login_form(request, "页面已过期，请重新输入密码。", 403)
    wait = w.sessions.locked(client)
    if wait:
        return await login_form(request, f"密码连续输错 {MAX_FAILURES} 次，已暂停登录；请 {wait // 60 + 1} 分钟后再试。", 429)
    stored = w.ctx.settings.web.login_hash
    password = str(form.get("password") or "")
    ok = bool(stored) and await anyio.to_thread.run_sync(lambda: verify_password(password, stored))
    if not ok:
        left = w.sessions.failed(client)
        if not stored:
            text = "尚未设置办公室密码：请在服务器上运行 kexie-xl office password。"
        elif left:
            text = f"密码不对；再错 {left} 次将暂停登录 10 分钟。"
        else:
            text = f"密码连续输错 {MAX_FAILURES} 次，已暂停登录 10 分钟。"
        return await login_form(request, text, 401 if left else 429)
    w.sessions.succeeded(client)
    token, _session = w.sessions.open()
    response = RedirectResponse("/office", status_code=303)
    _cookie(response, request, COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/office")
    return response


@login_required
async def logout(request: Request) -> Response:
    web(request).sessions.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(COOKIE, path="/office")
    return response


# The desk


@login_required
async def desk(request: Request) -> Response:
    from ..api import month_desk

    w = web(request)
    month = _month(request)
    try:
        found = await anyio.to_thread.run_sync(lambda: month_desk(w.ctx, month))
    except KexieError as exc:
        return _page(request, "message.html", {"message": str(exc)}, 500)
    context = {
        "desk": found,
        "month": month,
        "csrf": request.state.session.csrf,
        "job": w.jobs.state,
        "can_fetch": w.ctx.settings.mail.imap is not None,
        "can_send": w.ctx.settings.mail.smtp is not None,
        "counts": found.counts(),
    }
    return _page(request, "desk.html", context)


@login_required
async def job(request: Request) -> Response:
    return JSONResponse(web(request).jobs.state.to_dict())


@login_required
async def run(request: Request) -> Response:
    """收取邮件并汇总 / 汇总, in the background (one action at a time; the store's lock guards other runs)."""
    from ..api import run_desk_month

    w = web(request)
    form = await request.form(max_files=0, max_fields=10)
    month = _month(request, str(form.get("month") or ""))
    fetch = form.get("action") == "fetch"
    label = f"{month} {'收取邮件并汇总' if fetch else '汇总'}"

    def work(step: Callable[[int, int, str], None]) -> str:
        return run_desk_month(w.ctx, month, fetch=fetch, progress=step).summary()

    started = w.jobs.start(label, work)
    if not started:
        return _page(request, "message.html", {"message": "已有一项操作正在进行，请等它结束后再试。", "month": month}, 409)
    return RedirectResponse(f"/office?month={month}", status_code=303)


@login_required
async def city(request: Request) -> Response:
    from ..api import city_workbook_path

    w = web(request)
    month = _month(request)
    path = city_workbook_path(w.ctx, month)
    if not path.is_file():
        return _page(request, "message.html", {"message": f"{month} 还没有全市月报；请先点「汇总」。", "month": month}, 404)
    data = await anyio.to_thread.run_sync(path.read_bytes)
    return attachment(data, path.name)


@login_required
async def feedback(request: Request) -> Response:
    from ..api import feedback_zip

    w = web(request)
    month = _month(request)
    data = await anyio.to_thread.run_sync(lambda: feedback_zip(w.ctx, month))
    return attachment(data, f"{month}_反馈草稿.zip")


@login_required
async def marked(request: Request) -> Response:
    """The marked copy of the workbook the desk shows for a unit (built from the archive, kept nowhere)."""
    from ..api import marked_copy, month_desk

    w = web(request)
    month = _month(request)
    code = request.query_params.get("unit", "")
    found = await anyio.to_thread.run_sync(lambda: month_desk(w.ctx, month))
    line = next((x for x in found.lines if x.code == code and x.sha256), None)
    if line is None:
        return _page(request, "message.html", {"message": "这个单位本月没有可标注的工作簿。", "month": month}, 404)
    day = date.fromisoformat(line.received[:10]) if line.received else None
    try:
        result = await anyio.to_thread.run_sync(lambda: marked_copy(w.ctx, line.sha256, line.file, day))
    except KexieError as exc:
        return _page(request, "message.html", {"message": str(exc), "month": month}, 404)
    if result.marked is None:
        return _page(request, "message.html", {"message": result.note or "这份文件不能标注。", "month": month}, 404)
    return attachment(result.marked, result.marked_name)


@login_required
async def send_form(request: Request) -> Response:
    from ..api import month_desk

    w = web(request)
    month = _month(request)
    found = await anyio.to_thread.run_sync(lambda: month_desk(w.ctx, month))
    context = {"month": month, "drafts": found.feedback, "csrf": request.state.session.csrf, "can_send": w.ctx.settings.mail.smtp}
    return _page(request, "send.html", context)


@login_required
async def send(request: Request) -> Response:
    """Send the feedback — only with the confirmation box ticked on the confirmation page."""
    from ..api import send_desk_feedback

    w = web(request)
    form = await request.form(max_files=0, max_fields=10)
    month = _month(request, str(form.get("month") or ""))
    if form.get("confirm") != "yes":
        return _page(request, "message.html", {"message": "没有勾选确认，反馈没有发送。", "month": month}, 400)

    def work(_step: Callable[[int, int, str], None]) -> str:
        sent = send_desk_feedback(w.ctx, month)
        return f"{month} 反馈：已发送 {sum(1 for d in sent if d.sent)} 封。"

    if not w.jobs.start(f"{month} 发送反馈", work):
        return _page(request, "message.html", {"message": "已有一项操作正在进行，请等它结束后再试。", "month": month}, 409)
    return RedirectResponse(f"/office?month={month}", status_code=303)
