"""Running a page again for a live socket, as its viewer.

A run is a GET of the page's URL made inside the process, carrying the socket's own request
headers (its cookies: the same viewer), and dispatched through the application like any
request: the same rules, page handler, middleware, ACCESS (the session is verified again,
with the user's current role), loader and template. The loader receives the same Request as
on a browser's GET and cannot tell the difference. Nothing is sent to the network: the
answer's status and Location are kept, and the page handler leaves what it rendered (and the
topics the page depends on) on the request's LiveRun.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import tornado.httputil
import tornado.web

from core.live.content import LiveRun, PageView

log = logging.getLogger("core.live")
RUN_TIMEOUT = 30.0
# headers of the socket's handshake that are not the page's request
HANDSHAKE_HEADERS = (
    "Upgrade",
    "Connection",
    "Origin",
    "Sec-Websocket-Key",
    "Sec-Websocket-Version",
    "Sec-Websocket-Extensions",
    "Sec-Websocket-Protocol",
    "Content-Length",
    "Transfer-Encoding",
)


@dataclass(frozen=True)
class RunResult:
    status: int
    location: str | None
    view: PageView | None  # the rendered page (or error page), when one was rendered
    topics: frozenset[str]
    checked: bool  # the session was checked (not when the middleware answered first)
    user: Any  # who the session proved this time (None: signed out)


class _Kept(tornado.httputil.HTTPConnection):
    """The connection of a run: keeps the answer's status and headers, drops its body."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.status = 0
        self.headers = tornado.httputil.HTTPHeaders()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def set_close_callback(self, callback: Any) -> None:
        pass  # a run's connection never closes under it

    def write_headers(self, start_line: Any, headers: tornado.httputil.HTTPHeaders, chunk: Any = None) -> Any:
        self.status = start_line.code
        self.headers = headers
        return self._written()

    def write(self, chunk: bytes) -> Any:
        return self._written()

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    @staticmethod
    def _written() -> asyncio.Future[None]:
        written = asyncio.get_running_loop().create_future()
        written.set_result(None)
        return written


def page_headers(handshake: tornado.httputil.HTTPHeaders) -> tornado.httputil.HTTPHeaders:
    """The socket's handshake headers without the WebSocket ones: what a run sends."""
    headers = tornado.httputil.HTTPHeaders()
    for name, value in handshake.get_all():
        if name not in HANDSHAKE_HEADERS:
            headers.add(name, value)
    return headers


async def run_page(
    app: tornado.web.Application, url: str, headers: tornado.httputil.HTTPHeaders, context: Any
) -> RunResult:
    """GET url through the application with these headers; context names the client
    (remote_ip, protocol) as the socket's connection did."""
    connection = _Kept(context)
    request = tornado.httputil.HTTPServerRequest(
        start_line=tornado.httputil.RequestStartLine("GET", url, "HTTP/1.1"),
        headers=headers,
        connection=connection,
    )
    run = LiveRun()
    request.live_run = run  # type: ignore[attr-defined]
    delegate = app.find_handler(request)
    delegate.execute()
    try:
        await asyncio.wait_for(asyncio.shield(connection.done), RUN_TIMEOUT)
    except TimeoutError:
        log.warning("a live run of %s took over %ss", url, RUN_TIMEOUT)
        return RunResult(504, None, None, frozenset(), False, None)
    handler = delegate.handler
    return RunResult(
        connection.status,
        connection.headers.get("Location"),
        run.view,
        run.topics,
        getattr(handler, "session_checked", False),
        getattr(handler, "current_user", None),
    )
