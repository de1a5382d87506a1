"""API routes: one module per path under handlers/, one async function per HTTP method.

``handlers/auth/login.py`` serves ``/api/auth/login``; ``async def post(req)`` answers POST.
A dict or list is sent as 200 JSON; a Response (core.responses) sets status, headers,
cookies, a redirect, an empty 204 or a file; ``raise ApiError(status, message)`` is a JSON error.
The body is read as it streams in and refused with 413 past the route's ``BODY_LIMIT``.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from pathlib import Path
from typing import Any

import tornado.web

from core.errors import ApiError

__all__ = ["ApiError", "ApiHandler", "load_api_routes"]
from core.http import BaseHandler
from core.requests import DEFAULT_BODY_LIMIT, parse_limit
from core.responses import Response, json_bytes
from core.routing import Route, load_module, scan
from core.wrappers import Wrapper, compose, preflight

log = logging.getLogger("core.api")

METHODS = ("get", "post", "put", "patch", "delete")


def load_api_routes(handlers_dir: Path, wrappers: list[Wrapper] | None = None) -> list[Route]:
    """Every module under handlers_dir, checked, with its method functions wrapped by the
    app-wide wrappers (core.wrappers: CORS, rate limit), outermost first."""
    routes = scan(Path(handlers_dir), (".py",))
    for route in routes:
        path = route.files[0]
        route.module = load_module(path, Path(handlers_dir))
        methods = [m for m in METHODS if callable(getattr(route.module, m, None))]
        if not methods:
            raise TypeError(f"{path}: defines none of {', '.join(METHODS)}")
        for name in methods:
            if not inspect.iscoroutinefunction(getattr(route.module, name)):
                raise TypeError(f"{path}: {name} must be defined with 'async def'")
        allowed = [m.upper() for m in methods]
        if "GET" in allowed:
            allowed.insert(allowed.index("GET") + 1, "HEAD")
        route.options["allowed"] = tuple(allowed)
        wrap = compose(*(wrappers or []))
        functions = {m: wrap(getattr(route.module, m)) for m in methods}
        functions["options"] = wrap(preflight(route.options["allowed"]))
        route.options["functions"] = functions
        route.options["limit"] = parse_limit(getattr(route.module, "BODY_LIMIT", DEFAULT_BODY_LIMIT))
    return routes


@tornado.web.stream_request_body
class ApiHandler(BaseHandler):
    """Serves one API route, or the JSON 404 when route is None."""

    def initialize(self, route: Route | None, params: dict[str, Any], malformed: bool = False) -> None:
        self.route = route
        self.params = params
        self.malformed = malformed
        self.allowed_methods = route.options["allowed"] if route else ("GET", "HEAD")
        self.limit, self.limit_text = route.options["limit"] if route else (0, "0b")
        self.chunks: list[bytes] = []
        self.received = 0

    async def prepare(self) -> None:
        if self.malformed:
            raise ApiError(400, "Malformed percent-escape in the URL")
        if self.route is None:
            raise ApiError(404)
        if self.request.method == "OPTIONS":
            return
        if self.request.method not in self.allowed_methods:
            raise self.method_not_allowed()
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            raise self.too_large()
        await self.authenticate()

    def too_large(self) -> ApiError:
        return ApiError(413, f"Body exceeded {self.limit_text} limit")

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.received += len(chunk)
        if self.received > self.limit:
            # chunked upload past the limit: answer now; the connection closes unread
            self.send_error(413, exc_info=(ApiError, self.too_large(), None))
            return
        self.chunks.append(chunk)

    async def dispatch(self) -> None:
        if self._finished:
            return
        assert self.route is not None
        method = "get" if self.request.method == "HEAD" else self.request.method.lower()
        function = self.route.options["functions"][method]
        result = await function(self.build_request(self.params, b"".join(self.chunks)))
        if isinstance(result, Response):
            await self.send_response(result)
        elif isinstance(result, (dict, list)):
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json_bytes(result))
        else:
            raise TypeError(
                f"{self.route.files[0]}: {method}() returned {type(result).__name__}; "
                "return a dict, a list or a Response (empty() for 204)"
            )

    get = head = post = put = patch = delete = options = dispatch

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            payload: dict[str, Any] = {"error": exc.message, **exc.extra}
            for name, value in exc.headers.items():
                self.set_header(name, value)
        elif status_code >= 500:
            payload = {"error": "Internal server error"}
            if self.settings.get("serve_traceback") and exc is not None:
                payload["detail"] = "".join(traceback.format_exception_only(exc)).strip()
        else:
            payload = {"error": ApiError(status_code).message}
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json_bytes(payload))
