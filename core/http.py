"""BaseHandler: what page and API handlers share: cookie defaults, sending Response values,
and answering 405 with an Allow header.
"""

from __future__ import annotations

import asyncio
from typing import Any

import tornado.web

from core.errors import ApiError
from core.requests import Request
from core.responses import FileResponse, Response

FILE_CHUNK = 64 * 1024


class BaseHandler(tornado.web.RequestHandler):
    allowed_methods: tuple[str, ...] = ("GET", "HEAD")
    current_session: Any = None  # what the authenticate hook knows of the session, if any

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

    async def authenticate(self) -> None:
        """Let the app's authenticate hook set current_user (and current_session): it is given
        this handler and checks the session cookie."""
        hook = self.settings.get("authenticate")
        if hook is not None:
            await hook(self)

    def build_request(self, params: dict[str, Any], raw_body: bytes) -> Request:
        return Request(self, params, raw_body)

    def check_xsrf_cookie(self) -> None:
        # A method this route does not serve is a 405, whatever the token says.
        if self.request.method not in self.allowed_methods:
            return
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError as exc:
            raise ApiError(403, "Missing or invalid XSRF token") from exc

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
