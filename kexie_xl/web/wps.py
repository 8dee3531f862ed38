"""The WPS add-in's side of kexie-xl serve: the check API (/api/grid-check, docs/check-api.md) and the add-in's
own files at /wps/ (online mode, same origin as the API).

Cross-origin: the add-in installed offline runs from WPS's jsaddons folder, whose pages have the opaque origin
「null」; only that origin (and the server's own) may call the API, never with credentials — there are none: the
API needs no login and keeps nothing. Every other origin is refused (403), so no web site can use the service.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._version import __version__
from ..errors import KexieError
from .clerk import web
from .security import TooLarge, capped

OFFLINE_ORIGIN = "null"  # pages loaded from files (WPS's jsaddons folder)
MEDIA = {".xml": "application/xml", ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


# The check API


async def grid_check(request: Request) -> Response:
    """GET: what the service is (the add-in's 设置 tests the address with it). POST: check a workbook's grids."""
    origin = request.headers.get("origin")
    if origin is not None and origin != OFFLINE_ORIGIN and origin != _own_origin(request):
        return JSONResponse({"error": "这个网页不能使用校验服务（只接受 WPS 加载项和本服务自己的页面）。"}, status_code=403)
    if request.method == "OPTIONS":
        return _cors(Response(status_code=204), request, preflight=True)
    w = web(request)
    limit = w.ctx.settings.web.max_upload_mb * 1024 * 1024
    if request.method == "GET":
        from ..api import GRID_CONTRACT

        about = {"service": "kexie-xl serve", "version": __version__, "contract": GRID_CONTRACT, "max_bytes": limit}
        return _cors(JSONResponse(about), request)
    status, body = await _checked(request, limit)
    return _cors(JSONResponse(body, status_code=status), request)


async def _checked(request: Request, limit: int) -> tuple[int, dict[str, Any]]:
    """Read the JSON (capped), check it in a thread when a slot is free; (status, body)."""
    from ..api import GridRefused, check_grids

    w = web(request)
    too_large = f"工作簿的内容超过 {w.ctx.settings.web.max_upload_mb} MB 的上限，没有校验；请删除多余的行列或工作表后再试。"
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return 413, {"error": too_large}
    try:
        data = await capped(request, limit).body()
    except TooLarge:
        return 413, {"error": too_large}
    try:  # the wait for a slot has the time limit; the check itself (values only, no file to parse) runs to its end
        await asyncio.wait_for(w.slots.acquire(), timeout=w.ctx.settings.web.check_seconds)
    except asyncio.TimeoutError:
        return 503, {"error": "现在校验的人太多，请稍等一两分钟后再试。"}
    try:
        return 200, await anyio.to_thread.run_sync(lambda: check_grids(_parsed(data), w.ctx))
    except (GridRefused, KexieError) as exc:
        return 400, {"error": str(exc)}
    finally:
        w.slots.release()


def _parsed(data: bytes) -> Any:
    from ..api import GridRefused

    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise GridRefused("请求的内容不是有效的 JSON（UTF-8），没有校验。") from None


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def _cors(response: Response, request: Request, *, preflight: bool = False) -> Response:
    """Allow the offline add-in's origin 「null」 to read the answer; no credentials, ever."""
    if request.headers.get("origin") == OFFLINE_ORIGIN:
        response.headers["access-control-allow-origin"] = OFFLINE_ORIGIN
        response.headers["vary"] = "Origin"
        if preflight:
            response.headers["access-control-allow-methods"] = "GET, POST"
            response.headers["access-control-allow-headers"] = "content-type"
            response.headers["access-control-max-age"] = "600"
            if request.headers.get("access-control-request-private-network") == "true":
                response.headers["access-control-allow-private-network"] = "true"  # Chromium: a page to loopback
    return response


# The add-in's files (online mode)


async def addin_file(request: Request) -> Response:
    """/wps/ribbon.xml, /wps/main.js, …; /wps/ is index.html. config.js names no address: the page's own server."""
    from pathlib import PurePosixPath

    from ..api import wps_file

    name = request.path_params.get("name") or "index.html"
    data = wps_file(name)
    if data is None:
        return JSONResponse({"error": "加载项没有这个文件。"}, status_code=404)
    suffix = PurePosixPath(name).suffix
    return Response(data, media_type=MEDIA.get(suffix, "text/css; charset=utf-8" if suffix == ".css" else "text/plain"))
