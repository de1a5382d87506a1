"""BaseHandler: what page and API handlers share: security headers and no-store by default,
cookie defaults, the cross-origin and XSRF checks, the client's address, the two stages of
ACCESS (core.access), calling route code with its errors mapped to answers, sending Response
values, 405 with an Allow header, 503 when a backing service is down, and the in-flight
count that a graceful shutdown waits on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import tornado.web

from core.access import ADMIN, GUEST, NEEDS_USER, Authenticator, Holdback
from core.errors import ApiError, as_api_error
from core.mistakes import RouteMistake
from core.requests import Request
from core.responses import FileResponse, Response
from core.security import SecurityHeaders, cross_origin_problem, throttle_key

log = logging.getLogger("core.http")
UNAVAILABLE = "The service is temporarily unavailable; please try again in a moment."
# says how to get a token (pages/403.html shows a form's visitor a friendlier page for it)
XSRF_REFUSAL = (
    "Missing or invalid XSRF token: send the _xsrf cookie with the X-XSRFToken header "
    "(GET /api/auth/csrf gives both)"
)

FILE_CHUNK = 64 * 1024
Counter = Callable[[str, int], Awaitable[tuple[int, int]]]  # (key, window) -> (count, seconds left)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` counted requests per client address per `window` seconds (0: off); the
    count lives wherever `counter` keeps it (the app's database, shared by every worker)."""

    limit: int
    window: int
    counter: Counter
    scope: str = "api"


class Redirect(Exception):
    """A redirect decided inside the request's data scope, sent once the scope is closed (a
    connection is never held while an answer is written)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url)
        self.url = url
        self.status = status


class BaseHandler(SecurityHeaders, tornado.web.RequestHandler):
    allowed_methods: tuple[str, ...] = ("GET", "HEAD")
    route_log = log  # where mistakes of route code are logged (core.mistakes)
    current_session: Any = None  # what the authenticate hook knows of the session, if any
    session_checked = False  # the secure stage ran: current_user is what the session proves now
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

    def read_signed_cookie(self, name: str, max_age_days: float) -> str | None:
        """A signed cookie's value if its signature is valid and younger than max_age_days."""
        # min_version=2: version-1 values need a single secret and would raise with a key dict
        value = self.get_signed_cookie(name, max_age_days=max_age_days, min_version=2)
        try:
            return value.decode() if value is not None else None
        except UnicodeDecodeError:
            return None

    # --- ACCESS, in two stages ---

    @property
    def authenticator(self) -> Authenticator | None:
        return self.settings.get("auth")

    async def admit(self, level: str) -> None:
        """The framework's stages before route code runs, in order: ACCESS from the cookie alone
        (optimistic: no database work at all, so refusing a signed-out visitor costs nothing),
        the rate limit (it counts every request that gets this far), then ACCESS once the
        session is verified (secure). Sets current_user. A refusal is raised: ApiError (401,
        403, 429) or, on pages, Redirect (answered once the request's data scope is closed)."""
        await self.admit_securely(level, self.admit_optimistically(level))

    def admit_optimistically(self, level: str) -> Any:
        """The first stage, from the signed cookie alone: no database. Returns the credential
        (what the cookie carries) for the second stage; raises a refusal."""
        auth = self.authenticator
        credential = auth.credential(self) if auth is not None else None
        if credential is None and level in NEEDS_USER:
            raise self.signed_out_refusal()
        if credential is not None and level == GUEST:
            raise self.signed_in_refusal()
        return credential

    async def admit_securely(self, level: str, credential: Any) -> None:
        """The rate limit, then the second stage: the session verified (one query)."""
        await self.check_rate_limit()
        auth = self.authenticator
        if auth is None:
            return
        if credential is not None:
            verified = await auth.verify(self, credential)
            if verified is not None:
                self.current_user, self.current_session = verified
        self.session_checked = True
        if self.current_user is None and level in NEEDS_USER:
            raise self.signed_out_refusal()
        holds_back = getattr(auth, "holds_back", None)
        route = getattr(self, "route", None)
        if holds_back is not None and route is not None and self.current_user is not None:
            holdback = holds_back(self.current_user, route.options.get("name", route.name))
            if holdback is not None and (refusal := self.held_back_refusal(holdback, level)) is not None:
                raise refusal
        if level == ADMIN and not auth.is_admin(self.current_user):
            raise ApiError(403, "This needs the admin role.")
        if level == GUEST and self.current_user is not None:
            raise self.signed_in_refusal()

    def data_scope(self) -> AbstractAsyncContextManager[Any]:
        """The app's per-request scope around ACCESS and the route code (its database
        connection, given back when the scope ends), or nothing when the app has none."""
        factory = self.settings.get("request_scope")
        return factory() if factory is not None else nullcontext()

    def counts_toward_rate_limit(self) -> bool:
        """Unsafe requests count toward the per-address rate limit (API requests all do)."""
        return self.request.method in ("POST", "PUT", "PATCH", "DELETE")

    async def check_rate_limit(self) -> None:
        limit: RateLimit | None = self.settings.get("rate_limit")
        if limit is None or limit.limit <= 0 or not self.counts_toward_rate_limit():
            return
        key = f"{limit.scope}:{throttle_key(self.client_ip)}"  # an IPv6 client counts by its /64
        count, retry_after = await limit.counter(key, limit.window)
        if count > limit.limit:
            raise ApiError(
                429,
                "Too many requests: slow down and try again later.",
                headers={"Retry-After": str(retry_after)},
            )

    def signed_out_refusal(self) -> Exception:
        """What a route that needs a user answers nobody: 401 here; pages redirect to log in."""
        return ApiError(401, "User is not authenticated")

    def signed_in_refusal(self) -> Exception:
        """What a guest-only route answers someone signed in: 403 here; pages send them home."""
        return ApiError(403, "This is for signed-out visitors: log out first.")

    def held_back_refusal(self, holdback: Holdback, level: str) -> Exception | None:
        """What a held-back user gets (core.access.Holdback): 403 on a route that needs a user
        here (routes open to anyone still answer); pages send them to the holdback's page."""
        return ApiError(403, holdback.reason) if level in NEEDS_USER else None

    # --- calling route code ---

    def build_request(self, params: dict[str, Any], raw_body: bytes) -> Request:
        return Request(self, params, raw_body)

    def answer_for(self, exc: Exception) -> ApiError | None:
        """The HTTP answer for an exception route code raised (core.errors.as_api_error)."""
        return as_api_error(exc, self.settings.get("error_answers"))

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
            raise ApiError(403, XSRF_REFUSAL) from exc

    def _unavailable(self, exc: BaseException | None) -> bool:
        errors = self.settings.get("unavailable_errors", ())
        return exc is not None and bool(errors) and isinstance(exc, errors)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, RouteMistake):  # its message says it all; the traceback is the framework's
            self.route_log.error("%s", value)
        elif self._unavailable(value):
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
