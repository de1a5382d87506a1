"""BaseHandler: what page and API handlers share: security headers and no-store by default,
cookie defaults, the cross-origin and XSRF checks, the client's address, sending Response
values, 405 with an Allow header, 503 when a backing service is down, and the in-flight
count that a graceful shutdown waits on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import tornado.web

from core.errors import ApiError
from core.requests import Request
from core.responses import FileResponse, Response
from core.security import SecurityHeaders, cross_origin_problem

log = logging.getLogger("core.http")
UNAVAILABLE = "The service is temporarily unavailable; please try again in a moment."

FILE_CHUNK = 64 * 1024


class BaseHandler(SecurityHeaders, tornado.web.RequestHandler):
    allowed_methods: tuple[str, ...] = ("GET", "HEAD")
    current_session: Any = None  # what the authenticate hook knows of the session, if any
    _client_ip: str | None = None

    def __init__(self, application: tornado.web.Application, request: Any, **kwargs: Any) -> None:
        application.in_flight = getattr(application, "in_flight", 0) + 1
        self._counted = True
        super().__init__(application, request, **kwargs)

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.application.in_flight -= 1
            drained = getattr(self.application, "drained", None)  # set while shutting down
            if drained is not None and self.application.in_flight == 0:
                drained.set()

    def on_finish(self) -> None:
        self._uncount()

    def on_connection_close(self) -> None:
        self._uncount()
        super().on_connection_close()

    def set_default_headers(self) -> None:
        super().set_default_headers()
        # answers depend on who asks: nothing is stored by caches unless a handler says so
        self.set_header("Cache-Control", "no-store")

    @property
    def client_ip(self) -> str:
        """The client's address (see core.security.ClientAddress and TRUSTED_PROXIES)."""
        if self._client_ip is None:
            resolve = self.settings.get("client_address")
            self._client_ip = resolve(self.request) if resolve else (self.request.remote_ip or "unknown")
        return self._client_ip

    @property
    def production(self) -> bool:
        return bool(self.settings.get("production"))

    def set_cookie(self, name: str, value: str | bytes, **options: Any) -> None:  # type: ignore[override]
        """Every cookie gets HttpOnly, SameSite=Lax, Path=/ and (in production) Secure unless
        the caller says otherwise: Tornado's own defaults are the unsafe ones."""
        options.setdefault("httponly", True)
        options.setdefault("samesite", "Lax")
        options.setdefault("path", "/")
        options.setdefault("secure", self.production)
        super().set_cookie(name, value, **options)

    def write_cookie(self, name: str, value: str | None, *, signed: bool = False, **options: Any) -> None:
        """Set (or, with value None, clear) a cookie; signed ones use the newest SECRET_KEY."""
        if value is None:
            self.clear_cookie(name, **{k: v for k, v in options.items() if k in ("path", "domain")})
        elif signed:
            self.set_signed_cookie(name, value, **options)
        else:
            self.set_cookie(name, value, **options)

    def rotate_xsrf_token(self) -> None:
        """Replace the _xsrf cookie with a fresh token (at login and logout). Tornado keeps the
        raw token in _raw_xsrf_token and builds xsrf_token from it, setting the cookie."""
        self.__dict__.pop("_xsrf_token", None)
        self._raw_xsrf_token = (None, os.urandom(16), time.time())
        self.xsrf_token  # noqa: B018  (sets the cookie)

    async def authenticate(self) -> None:
        """Let the app's authenticate hook set current_user (and current_session): it is given
        this handler and checks the session cookie."""
        hook = self.settings.get("authenticate")
        if hook is not None:
            await hook(self)

    def build_request(self, params: dict[str, Any], raw_body: bytes) -> Request:
        return Request(self, params, raw_body)

    def check_xsrf_cookie(self) -> None:
        """Runs for POST, PUT, PATCH and DELETE before anything else: first the fetch-metadata
        check (a cross-site browser request is refused outright), then Tornado's token."""
        # A method this route does not serve is a 405, whatever the token says.
        if self.request.method not in self.allowed_methods:
            return
        problem = cross_origin_problem(self.request, self.settings.get("cors_origins", ()))
        if problem is not None:
            raise ApiError(403, problem)
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError as exc:
            raise ApiError(403, "Missing or invalid XSRF token") from exc

    def _unavailable(self, exc: BaseException | None) -> bool:
        errors = self.settings.get("unavailable_errors", ())
        return exc is not None and bool(errors) and isinstance(exc, errors)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if self._unavailable(value):
            log.warning(
                "%s %s: backing service unavailable: %s", self.request.method, self.request.uri, value
            )
        else:
            super().log_exception(typ, value, tb)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == 500 and self._unavailable(exc):
            error = ApiError(503, UNAVAILABLE, headers={"Retry-After": "5"})
            kwargs["exc_info"] = (ApiError, error, None)
            status_code = 503
        super().send_error(status_code, **kwargs)

    def method_not_allowed(self) -> ApiError:
        return ApiError(405, headers={"Allow": ", ".join(self.allowed_methods)})

    async def send_response(self, response: Response) -> None:
        """Write a Response value (status, headers, cookies, body or file) and finish."""
        self.set_status(response.status)
        body = b"" if isinstance(response, FileResponse) else response.encoded_body()
        for name, value in response.headers.items():
            self.set_header(name, value)
        for name, value, options in response.cookies:
            self.write_cookie(name, value, **options)
        if response.rotate_xsrf:
            self.rotate_xsrf_token()
        if isinstance(response, FileResponse):
            await self._send_file(response)
        elif response.status in (204, 304) or not body:
            self.finish()
        else:
            self.finish(body)

    async def _send_file(self, response: FileResponse) -> None:
        loop = asyncio.get_running_loop()
        try:
            handle = await loop.run_in_executor(None, open, response.path, "rb")
        except FileNotFoundError as exc:
            raise ApiError(404) from exc
        try:
            size = await loop.run_in_executor(None, lambda: response.path.stat().st_size)
            self.set_header("Content-Length", size)
            if self.request.method == "HEAD":
                self.finish()
                return
            while chunk := await loop.run_in_executor(None, handle.read, FILE_CHUNK):
                self.write(chunk)
                await self.flush()
        finally:
            handle.close()
        self.finish()
