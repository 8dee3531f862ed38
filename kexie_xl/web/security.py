"""Security headers on every response, and a cap on how much of a request body is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The WPS add-in's pages (/wps/) are shown by WPS itself, which may host them in a frame of its own: the same policy
# without the frame rules (they carry no form and no login).
ADDIN_HEADERS = [(b"content-security-policy", b"default-src 'self'; base-uri 'none'; form-action 'self'")] + [
    (k, v) for k, v in HEADERS if k not in (b"content-security-policy", b"x-frame-options")
]


class SecurityHeaders:
    """Pure ASGI middleware (streams untouched): the headers above on every response, and no caching of pages
    that show a workbook's content or the office's desk."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        policy = ADDIN_HEADERS if str(scope.get("path", "")).startswith("/wps/") else HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _v in headers}
                headers += [(k, v) for k, v in policy if k not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TooLarge(Exception):
    """The request body is bigger than the limit."""


def capped(request: Request, limit: int) -> Request:
    """The same request, whose body raises TooLarge as soon as more than `limit` bytes have arrived — whatever
    Content-Length said (or whether it said anything)."""
    seen = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge
        return message

    return Request(request.scope, counted)
