"""The clerks' page, no login: drop a workbook → the same checks as kexie-xl validate → findings, the unit's
quarters, the marked copy; and the current template to download."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import KexieError
from .security import TooLarge, capped

if TYPE_CHECKING:
    from ..api import UploadCheck
    from .app import Web

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {".xlsx": XLSX, ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12"}


def web(request: Request) -> Web:
    return request.app.state.web


async def page(request: Request) -> Response:
    return render(request, "clerk.html", {})


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page with what every page shows (the receiving office, the limits)."""
    w = web(request)
    receiver = w.ctx.settings.receiver
    base = {
        "receiver": receiver,
        "deadline_day": w.ctx.settings.report.deadline_day,
        "max_mb": w.ctx.settings.web.max_upload_mb,
        "units": w.unit_names(),
    }
    return w.templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


# Check


class Refused(Exception):
    """An upload the page does not check: the status code and the Chinese sentence for the clerk."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _checked(request: Request) -> UploadCheck:
    """Read the one uploaded file (capped), check it in a worker when a slot is free, within the time limit."""
    return (await _received(request))[0]


async def _received(request: Request) -> tuple[UploadCheck, bytes, str]:
    """The check of the uploaded file, with the file's bytes and name as sent (for a unit's upload link)."""
    from ..api import accepted_upload, check_upload, upload_refusal

    w = web(request)
    limit = w.ctx.settings.web.max_upload_mb * 1024 * 1024
    too_large = (
        f"文件超过 {w.ctx.settings.web.max_upload_mb} MB 的上限，没有校验；月报工作簿通常不到 1 MB——"
        "图片请不要插入表格，单独发送。"
    )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + 64 * 1024:
        raise Refused(413, too_large)
    try:
        form = await capped(request, limit + 64 * 1024).form(max_files=1, max_fields=4)
    except TooLarge:
        raise Refused(413, too_large) from None
    except Exception:  # a malformed multipart body
        raise Refused(400, "上传的内容无法识别；请重新选择文件后再试。") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refused(400, "请先选择一个工作簿文件。")
        name = upload.filename
        if not accepted_upload(name):
            raise Refused(415, upload_refusal(name))
        data = await upload.read()
    finally:
        await form.close()
    if len(data) > limit:
        raise Refused(413, too_large)
    seconds = w.ctx.settings.web.check_seconds  # the whole request: the wait for a slot and the check
    started = time.monotonic()
    try:
        await asyncio.wait_for(w.slots.acquire(), timeout=seconds)
    except asyncio.TimeoutError:
        raise Refused(503, "现在校验的人太多，请稍等一两分钟后再试。") from None
    left = max(5.0, seconds - (time.monotonic() - started))
    try:
        result = await anyio.to_thread.run_sync(lambda: check_upload(data, name, w.ctx, seconds=left))
        return result, data, name
    except KexieError as exc:
        raise Refused(400, str(exc)) from None
    finally:
        w.slots.release()


async def check(request: Request) -> Response:
    """The form's target: the results page (or the form again with the reason it was refused)."""
    try:
        result = await _checked(request)
    except Refused as exc:
        return render(request, "clerk.html", {"refused": exc.message}, status_code=exc.status)
    return render(request, "clerk.html", _result_context(request, result))


async def check_json(request: Request) -> Response:
    """The same check for scripts (the benchmark, a WPS add-in later): the report as JSON."""
    try:
        result = await _checked(request)
    except Refused as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    context = _result_context(request, result)
    return JSONResponse(
        {
            **result.report.to_dict(),
            "ok": result.report.ok,
            "quarters": [s.to_dict() for s in result.statuses],
            "marked_url": context["marked_url"],
            "mark_note": result.note,
            "expected_name": result.expected_name,
        }
    )


def _result_context(request: Request, result: UploadCheck) -> dict[str, Any]:
    marked_url = ""
    if result.marked is not None:
        token = web(request).shelf.put(result.marked, result.marked_name)
        marked_url = f"/download/{token}"
    return {"result": result, "report": result.report, "statuses": result.statuses, "marked_url": marked_url}


# Downloads


async def download(request: Request) -> Response:
    item = web(request).shelf.get(request.path_params["token"])
    if item is None:
        return render(request, "clerk.html", {"refused": "下载链接已过期（只保留 15 分钟）；请重新上传校验。"}, status_code=404)
    return attachment(item.data, item.name)


def attachment(data: bytes, name: str) -> Response:
    """A file download whose name (maybe Chinese) survives every browser, and never carries a path."""
    from pathlib import PurePosixPath

    name = PurePosixPath(name.replace("\\", "/")).name or "下载"
    suffix = PurePosixPath(name).suffix.lower()
    ascii_name = "download" + (suffix if suffix.isascii() else "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    media = MEDIA.get(suffix, {".zip": "application/zip"}.get(suffix, "application/octet-stream"))
    return Response(data, media_type=media, headers={"content-disposition": disposition})


async def template(request: Request) -> Response:
    """The current standard template; with ?unit=, 填报单位 filled in (made once per unit, then kept in memory)."""
    w = web(request)
    unit = request.query_params.get("unit", "").strip()
    try:
        data, name = await anyio.to_thread.run_sync(lambda: w.template_bytes(unit))
    except KexieError as exc:
        return render(request, "clerk.html", {"refused": str(exc)}, status_code=404)
    return attachment(data, name)


# A unit's own upload link (api/uploads.py): the same check, then the workbook is kept as the unit's report


async def link_page(request: Request) -> Response:
    unit = await _link_unit(request)
    if unit is None:
        return _unknown_link(request)
    return render(request, "clerk.html", {"link_unit": unit.name, "action": request.url.path})


async def link_upload(request: Request) -> Response:
    """Check the upload like the clerk page; a readable workbook is kept for the month's intake as the unit's."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ..api import keep_upload

    unit = await _link_unit(request)
    if unit is None:
        return _unknown_link(request)
    page = {"link_unit": unit.name, "action": request.url.path}
    try:
        result, data, name = await _received(request)
    except Refused as exc:
        return render(request, "clerk.html", {**page, "refused": exc.message}, status_code=exc.status)
    if not result.report.readable:
        refused = "这个文件无法作为月报报送（原因见下表），没有交给市科协；请修改后重新上传。"
        return render(request, "clerk.html", {**page, **_result_context(request, result), "refused": refused})
    w = web(request)
    at = datetime.now(ZoneInfo(w.ctx.settings.report.timezone))
    try:
        await anyio.to_thread.run_sync(lambda: keep_upload(w.ctx, unit, data, name, at, result.report.month))
    except KexieError as exc:
        return render(request, "clerk.html", {**page, "refused": str(exc)}, status_code=503)
    shown = name.replace("\\", "/").rsplit("/", 1)[-1]  # the name as data, never a path
    received = f"已收到「{shown}」（{at:%Y-%m-%d %H:%M}），市科协汇总时计入{unit.name}的报送。"
    if not result.report.ok:
        received += f"表内还有 {result.report.errors} 处错误，请修改后重新上传（以最后一次为准）。"
    return render(request, "clerk.html", {**page, **_result_context(request, result), "received": received})


async def _link_unit(request: Request) -> Any:
    from ..api import unit_for_token

    w = web(request)
    token = request.path_params["token"]
    return await anyio.to_thread.run_sync(lambda: unit_for_token(w.ctx, token))


def _unknown_link(request: Request) -> Response:
    """One answer for a wrong, old or revoked link: nothing about which units have links."""
    message = "这个上传链接无效或已被收回；请向市科协索取新的链接，或用电子邮件报送。"
    return render(request, "clerk.html", {"refused": message}, status_code=404)
