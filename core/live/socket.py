"""``/_live?page=<the page's URL>&digest=<what it shows>``: the WebSocket of one live page.

Opening it (the handshake, a GET) is refused unless:
- its ``Origin`` is this site's own (the Host it was sent to): 403 otherwise;
- the page exists and declares ``LIVE = True``: 404 (400 for a malformed URL);
- the page's ACCESS lets the viewer in, with the session cookie checked as for the page
  itself: 401 signed out on a "user" or "admin" page, 403 without the role; a session cookie
  that no longer verifies is refused (401): a socket opens with a valid session or none;
- the limits allow it: 429 past the sockets per user (per address when signed out), 503
  past the sockets per process or while shutting down.

Once open, the page runs at once (what it depends on is learnt, and a change since the page
was rendered is sent), then whenever the hub marks it. The server sends JSON text messages:
``{"type": "update", "status", "title", "main", "digest"}`` (the new main content: the page,
or the 403/404 page) and ``{"type": "navigate", "url"}`` (a redirect, or anything only a
reload can show). The browser sends any short text while its tab is in view (idle timeout).
Close codes: 1001 going away (shutdown: reconnect later), 4401 the session ended (logout,
revoked, password changed, signed out everywhere: reload), 4408 idle (reconnect when seen).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import tornado.websocket

from core.access import PUBLIC
from core.errors import ApiError
from core.http import BaseHandler
from core.live.hub import SESSION_ENDED, LiveHub
from core.live.runs import page_headers, run_page
from core.pages import PageSite
from core.responses import json_bytes
from core.routing import MalformedPath, Route, decode_path, normalized
from core.security import throttle_key
from core.urls import safe_next

log = logging.getLogger("core.live")

MAX_MESSAGE = 1024  # the browser only says it is there
MAX_URL = 2048


def same_origin(origin: str | None, host: str | None) -> bool:
    """True when the Origin header names the host the request was sent to."""
    if not origin or not host or origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def live_route(site: PageSite, page: str) -> tuple[str, Route, dict[str, Any]]:
    """The live page at this URL (path and query): the URL without a fragment, its route and
    params; ApiError otherwise."""
    if len(page) > MAX_URL or safe_next(page, "") != page:
        raise ApiError(400, "page must be a path on this site, like /posts?page=2")
    page = page.partition("#")[0]
    path = page.partition("?")[0]
    if normalized(path) is not None:
        raise ApiError(404, f"No live page at {path}")
    try:
        parts = decode_path(path)
    except MalformedPath:
        raise ApiError(400, "Malformed percent-escape in page") from None
    for route in site.routes:
        params = route.match(parts)
        if params is not None:
            if not route.options.get("live"):
                break
            return page, route, params
    raise ApiError(404, f"No live page at {path}")


class LiveSocket(BaseHandler, tornado.websocket.WebSocketHandler):
    allowed_methods = ("GET",)

    def initialize(self, hub: LiveHub, site: PageSite) -> None:
        self.hub = hub
        self.site = site
        self.page_url = ""
        self.digest = ""
        self.key = ""
        self.session_topics: frozenset[str] = frozenset()  # announced: its session ended
        self.check_topics: frozenset[str] = frozenset()  # announced: run again (checks the session)
        self.signed_in = False
        self.last_seen = time.monotonic()
        self.running = False
        self.again = False

    # --- the handshake ---

    async def prepare(self) -> None:
        if self.hub.closing:
            raise ApiError(503, "The server is restarting: try again.", headers={"Retry-After": "5"})
        if not same_origin(self.request.headers.get("Origin"), self.request.host):
            raise ApiError(403, "A live page's socket must come from a page of this site (Origin).")
        self.page_url, route, _params = live_route(self.site, self.get_query_argument("page", ""))
        digest = self.get_query_argument("digest", "")
        self.digest = digest if len(digest) <= 64 else ""
        level = route.options["access"].get("GET", PUBLIC)
        async with self.data_scope():
            credential = self.admit_optimistically(level)
            await self.admit_securely(level, credential)
        if credential is not None and self.current_user is None:
            raise ApiError(401, "The session has ended: sign in again.")
        user = self.current_user
        self.signed_in = user is not None
        if user is not None:
            self.key = f"user:{getattr(user, 'id', user)}"
        else:
            self.key = f"address:{throttle_key(self.client_ip)}"
        auth = self.authenticator
        if credential is not None and user is not None and hasattr(auth, "live_topics"):
            ends, checks = auth.live_topics(credential, user)
            self.session_topics, self.check_topics = frozenset(ends), frozenset(checks)
        refusal = self.hub.refusal(self.key)
        if refusal is not None:
            status, message = refusal
            raise ApiError(status, message, headers={"Retry-After": "5"} if status == 503 else {})

    def check_origin(self, origin: str) -> bool:
        return False  # prepare() refused every other origin already

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.message if isinstance(exc, ApiError) else "The live page could not be opened."
        if isinstance(exc, ApiError):
            for name, value in exc.headers.items():
                self.set_header(name, value)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json_bytes({"error": message}))

    @property
    def ping_interval(self) -> float:
        return self.hub.options.heartbeat_seconds

    @property
    def ping_timeout(self) -> float:
        return self.hub.options.heartbeat_seconds

    @property
    def max_message_size(self) -> int:
        return MAX_MESSAGE

    # --- the open socket ---

    def open(self, *args: Any, **kwargs: Any) -> None:
        self.last_seen = time.monotonic()
        self.run_headers = page_headers(self.request.headers)
        self.context = SimpleNamespace(remote_ip=self.request.remote_ip, protocol=self.request.protocol)
        self.set_nodelay(True)
        self.hub.add(self)
        self.hub.run(self)  # what the page shows now, and what it depends on

    def on_message(self, message: str | bytes) -> None:
        self.last_seen = time.monotonic()

    def on_close(self) -> None:
        self.hub.remove(self)

    async def refresh(self) -> None:
        """Run the page as this viewer and send the browser what changed."""
        result = await run_page(self.application, self.page_url, self.run_headers, self.context)
        if self.ws_connection is None:
            return  # closed during the run
        if self.signed_in and result.checked and result.user is None:
            self.close(SESSION_ENDED, "Your session has ended.")
            return
        if result.topics:
            self.hub.subscribe(self, result.topics | self.check_topics)
        if result.view is not None and result.status < 500:
            if result.view.digest != self.digest:
                self.digest = result.view.digest
                view = result.view
                self._send({"type": "update", **dataclasses.asdict(view)})
        elif 300 <= result.status < 400 and result.location:
            self._send({"type": "navigate", "url": result.location})
        elif result.status >= 500:
            log.warning("a live run of %s answered %d: it keeps what it shows", self.page_url, result.status)
        else:
            self._send({"type": "navigate", "url": self.page_url})

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.write_message(json.dumps(message))
        except tornado.websocket.WebSocketClosedError:
            pass
