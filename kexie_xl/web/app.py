"""The ASGI app of kexie-xl serve: routes, shared state, error pages. Built by `create_app`."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..api import Context, load_context
from ..errors import KexieError
from . import clerk, office, wps
from .auth import Sessions
from .downloads import Shelf
from .jobs import Jobs
from .security import SecurityHeaders

HERE = Path(__file__).parent


@dataclass
class Web:
    """What every request of one server shares."""

    ctx: Context
    templates: Jinja2Templates
    slots: asyncio.Semaphore  # N checks at a time; the others wait their turn (up to the time limit)
    shelf: Shelf = field(default_factory=Shelf)
    jobs: Jobs = field(default_factory=Jobs)
    sessions: Sessions = field(default_factory=lambda: Sessions(8 * 3600))
    _templates: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def unit_names(self) -> list[tuple[str, str]]:
        """(code, name) of the units due this month, for the template's unit list."""
        from ..api import today

        day = today(self.ctx)
        return [(u.code, u.name) for u in self.ctx.registry.active_in_month(day.year, day.month)]

    def template_bytes(self, unit: str) -> tuple[bytes, str]:
        """The template (general or for one unit) as bytes and its file name; made in a temporary folder once."""
        import tempfile

        from ..api import TEMPLATE_FILENAME, make_template

        with self._lock:
            if unit not in self._templates:
                found = self.ctx.registry.lookup(unit) if unit else None
                if unit and found is None:
                    raise KexieError(f"单位名录中没有「{unit}」。")
                name = TEMPLATE_FILENAME if found is None else f"{Path(TEMPLATE_FILENAME).stem}_{found.name}.xlsx"
                with tempfile.TemporaryDirectory(prefix="kexie-template-") as tmp:
                    path = make_template(Path(tmp) / "template.xlsx", self.ctx, found.code if found else None)
                    self._templates[unit] = (path.read_bytes(), name)
            return self._templates[unit]


def create_app(ctx: Context | None = None, *, config: str | Path | None = None) -> Starlette:
    """The page for clerks (/) and the office (/office), with the settings of `ctx` (or of the config file)."""
    import jinja2

    ctx = ctx or load_context(config)
    settings = ctx.settings.web
    from ..api import short_message

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["short"] = short_message  # a message without the 「工作表…单元格」 the table shows already
    workers = settings.workers or os.cpu_count() or 1
    state = Web(ctx, Jinja2Templates(env=env), asyncio.Semaphore(workers), sessions=Sessions(settings.session_minutes * 60))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        from ..api import warm_up

        await anyio.to_thread.run_sync(lambda: warm_up(ctx))
        yield
        state.jobs.wait(timeout=5)

    routes = [
        Route("/", clerk.page),
        Route("/check", clerk.check, methods=["POST"]),
        Route("/api/check", clerk.check_json, methods=["POST"]),
        Route("/api/grid-check", wps.grid_check, methods=["GET", "POST", "OPTIONS"]),
        Route("/wps/", wps.addin_file),
        Route("/wps/{name}", wps.addin_file),
        Route("/download/{token}", clerk.download),
        Route("/u/{token}", clerk.link_page, methods=["GET"]),
        Route("/u/{token}", clerk.link_upload, methods=["POST"]),
        Route("/template", clerk.template),
        Route("/office/login", office.login_form, methods=["GET"]),
        Route("/office/login", office.login, methods=["POST"]),
        Route("/office/logout", office.logout, methods=["POST"]),
        Route("/office", office.desk),
        Route("/office/job", office.job),
        Route("/office/run", office.run, methods=["POST"]),
        Route("/office/city", office.city),
        Route("/office/feedback", office.feedback),
        Route("/office/marked", office.marked),
        Route("/office/send", office.send_form, methods=["GET"]),
        Route("/office/send", office.send, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: _not_found, 405: _not_allowed, 500: _failed},
        lifespan=lifespan,
    )
    app.state.web = state
    return app


async def _not_found(request: Request, _exc: Exception) -> Response:
    return clerk.render(request, "message.html", {"message": "没有这个页面。"}, 404)


async def _not_allowed(request: Request, _exc: Exception) -> Response:
    return clerk.render(request, "message.html", {"message": "这个地址不接受这种请求。"}, 405)


async def _failed(request: Request, _exc: Exception) -> Response:
    return clerk.render(request, "message.html", {"message": "服务器出错了，请稍后再试；如果一再出现，请告诉市科协。"}, 500)
