"""API routes: one module per path under handlers/, one async function per HTTP method.

``handlers/auth/login.py`` serves ``/api/auth/login``; ``async def post(req)`` answers POST.
The module's ``ACCESS`` says who may call it (core.access), enforced before the function runs.
A dict, a list or a pydantic model is sent as 200 JSON; a Response (core.responses) sets
status, headers, cookies, a redirect, an empty 204 or a file; ``raise ApiError(status,
message)`` is a JSON error, and so is any domain error the app maps (core.errors).
The body is read as it streams in and refused with 413 past the route's ``BODY_LIMIT``.
An answer that is not JSON, a forgotten ``await`` or a wrongly cased function (``Get``) is
named with the file and the fix (core.mistakes).
"""

from __future__ import annotations

import inspect
import logging
import traceback
from pathlib import Path
from typing import Any

import tornado.web
from pydantic import BaseModel

from core.access import declared_access
from core.cors import cors_headers, preflight_headers
from core.errors import ApiError, ErrorAnswers
from core.http import BaseHandler
from core.mistakes import AWAIT, RouteMistake, close_coroutines, not_json, note_forgotten_await
from core.requests import DEFAULT_BODY_LIMIT, parse_limit
from core.responses import Response, json_bytes
from core.routing import Route, RouteDeclarationError, load_module, scan
from core.wrappers import Wrapper, compose, mapped_errors

__all__ = ["ApiError", "ApiHandler", "load_api_routes"]

log = logging.getLogger("core.api")

METHODS = ("get", "post", "put", "patch", "delete")


def load_api_routes(
    handlers_dir: Path, wrappers: list[Wrapper] | None = None, error_answers: ErrorAnswers | None = None
) -> list[Route]:
    """Every module under handlers_dir, checked, with its method functions wrapped by the
    app-wide wrappers (outermost first), and innermost the mapping of domain errors to answers."""
    routes = scan(Path(handlers_dir), (".py",))
    for route in routes:
        path = route.files[0]
        route.module = load_module(path, Path(handlers_dir))
        methods = [m for m in METHODS if callable(getattr(route.module, m, None))]
        miscased = _miscased(route.module)
        if not methods:
            if miscased:
                raise RouteDeclarationError(
                    f"{route.show()} defines {', '.join(miscased)}; API functions are lower-case: "
                    + ", ".join(METHODS)
                )
            raise RouteDeclarationError(f"{route.show()}: defines none of {', '.join(METHODS)}")
        if miscased:
            log.warning(
                "%s defines %s, which no request reaches: API functions are lower-case (%s)",
                route.show(),
                ", ".join(miscased),
                ", ".join(name.lower() for name in miscased),
            )
        for name in methods:
            if not inspect.iscoroutinefunction(getattr(route.module, name)):
                raise RouteDeclarationError(f"{route.show()}: {name} must be defined with 'async def'")
        allowed = [m.upper() for m in methods]
        if "GET" in allowed:
            allowed.insert(allowed.index("GET") + 1, "HEAD")
        route.options["allowed"] = tuple(allowed)
        route.options["access"] = declared_access(route.module, route.show())
        wrap = compose(*(wrappers or []), mapped_errors(error_answers))
        route.options["functions"] = {m: wrap(getattr(route.module, m)) for m in methods}
        route.options["limit"] = parse_limit(getattr(route.module, "BODY_LIMIT", DEFAULT_BODY_LIMIT))
    return routes


def _miscased(module: object) -> list[str]:
    """Functions named like a method but not in lower case (Get, POST): never called."""
    return sorted(
        name
        for name in vars(module)
        if name.lower() in METHODS and name not in METHODS and callable(getattr(module, name))
    )


@tornado.web.stream_request_body
class ApiHandler(BaseHandler):
    """Serves one API route, or the JSON 404 when route is None."""

    route_log = log

    def initialize(self, route: Route | None, params: dict[str, Any], malformed: bool = False) -> None:
        self.route = route
        self.params = params
        self.malformed = malformed
        self.allowed_methods = route.options["allowed"] if route else ("GET", "HEAD")
        # a 404 still reads (and drops) a body of the usual size, so the connection stays usable
        self.limit, self.limit_text = route.options["limit"] if route else (DEFAULT_BODY_LIMIT, "1mb")
        self.chunks: list[bytes] = []
        self.received = 0
        self.refusal: ApiError | None = None
        self.credential: Any = None

    def set_default_headers(self) -> None:
        super().set_default_headers()
        for name, value in cors_headers(self.request, self.settings.get("cors_origins", ())).items():
            self.set_header(name, value)

    def counts_toward_rate_limit(self) -> bool:
        return True

    # A refusal is known once the head has arrived, before the body. Answering it at once
    # would leave the body unread, and a connection with unread data can only be closed
    # (Tornado does, and the client may see a reset). So the refusal waits while the body
    # is read and dropped, and the connection stays usable; only a body over the route's
    # limit is not read: then the answer goes at once and the connection closes (core.server).

    def check_xsrf_cookie(self) -> None:
        try:
            super().check_xsrf_cookie()
        except ApiError as exc:
            self.refusal = exc

    async def prepare(self) -> None:
        if self.refusal is None:
            try:
                await self.check_request()
            except ApiError as exc:
                self.refusal = exc
        if self.refusal is not None and self.declared_length() > self.limit:
            raise self.refusal

    def declared_length(self) -> int:
        declared = self.request.headers.get("Content-Length", "")
        return int(declared) if declared.isdigit() else 0

    async def check_request(self) -> None:
        if self.malformed:
            raise ApiError(400, "Malformed percent-escape in the URL")
        if self.route is None:
            raise ApiError(404)
        if self.request.method == "OPTIONS":
            return
        if self.request.method not in self.allowed_methods:
            raise self.method_not_allowed()
        if self.declared_length() > self.limit:
            raise self.too_large()
        self.credential = self.admit_optimistically(self.level())

    def level(self) -> str:
        assert self.route is not None
        return self.route.options["access"][self.request.method]

    async def options(self) -> None:
        """The route's methods (Allow), and a CORS preflight's answer for an allowed origin."""
        if self.refusal is not None:
            raise self.refusal
        async with self.data_scope():
            await self.check_rate_limit()
        methods = self.route.options["allowed"]
        self.set_header("Allow", ", ".join((*methods, "OPTIONS")))
        origins = self.settings.get("cors_origins", ())
        for name, value in preflight_headers(self.request, origins, methods).items():
            self.set_header(name, value)
        self.set_status(204)
        self.finish()

    def too_large(self) -> ApiError:
        return ApiError(413, f"Body exceeded {self.limit_text} limit")

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.received += len(chunk)
        if self.received > self.limit:
            # a chunked body past the limit: answer now (the refusal, if there was one); the
            # connection closes
            error = self.refusal or self.too_large()
            self.send_error(error.status_code, exc_info=(ApiError, error, None))
            return
        if self.refusal is None:  # a refused request's body is dropped
            self.chunks.append(chunk)

    async def dispatch(self) -> None:
        if self._finished:
            return
        if self.refusal is not None:
            raise self.refusal
        assert self.route is not None
        method = "get" if self.request.method == "HEAD" else self.request.method.lower()
        function = self.route.options["functions"][method]
        req = self.build_request(self.params, b"".join(self.chunks))
        # the body is in: the rate limit, the session check and the handler share the request's
        # one database connection, given back before the answer is written
        async with self.data_scope():
            await self.admit_securely(self.level(), self.credential)
            try:
                result = await function(req)
            except Exception as exc:
                note_forgotten_await(exc, f"{self.route.show()}: {method}()")
                raise
        if inspect.iscoroutine(result):
            close_coroutines(result)
            raise self.mistake(f"{method}() returned a coroutine: {AWAIT}")
        if not isinstance(result, (Response, dict, list, BaseModel)):
            raise self.mistake(
                f"{method}() returned {type(result).__name__}; "
                "return a dict, a list, a pydantic model or a Response (empty() for 204)"
            )
        try:
            if isinstance(result, Response):
                await self.send_response(result)
            else:
                body = json_bytes(result)
                self.set_header("Content-Type", "application/json; charset=utf-8")
                self.finish(body)
        except (TypeError, ValueError) as exc:
            data = result.body if isinstance(result, Response) else result
            problem = None if isinstance(data, BaseModel) else not_json(data, dataclasses_allowed=False)
            if problem is None:
                raise
            raise self.mistake(f"{method}() answered a value that is not JSON {problem}") from exc

    def mistake(self, text: str) -> RouteMistake:
        """A mistake of this route's module: "handlers/x.py: get() ..."."""
        assert self.route is not None
        return RouteMistake(f"{self.route.show()}: {text}")

    get = head = post = put = patch = delete = dispatch

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            payload: dict[str, Any] = {"error": exc.message, **exc.extra}
            for name, value in exc.headers.items():
                self.set_header(name, value)
        elif status_code >= 500:
            payload = {"error": "Internal server error"}
            if self.settings.get("serve_traceback") and isinstance(exc, RouteMistake):
                payload["detail"] = str(exc)
            elif self.settings.get("serve_traceback") and exc is not None:
                payload["detail"] = "".join(traceback.format_exception_only(exc)).strip()
        else:
            payload = {"error": ApiError(status_code).message}
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json_bytes(payload))
