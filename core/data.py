"""The page data route: ``GET /_data/<build_id>/<path>.json`` answers a page's loader props as
JSON, with the semantics of Next.js's ``/_next/data`` route.

``/_data/<build>/posts/3.json`` is the data of ``/posts/3`` (``index.json`` that of ``/``),
with the query string passed on to the loader. The page's middleware and ACCESS apply as for
the page itself, and its loader runs with a Request for the page's own URL:

- props: 200 ``{"pageProps": {...}}`` (dataclass DTOs as objects);
- a redirect (the loader's, or ACCESS sending a signed-out visitor to log in): 200
  ``{"redirect": {"destination": ..., "statusCode": ...}}``;
- not found (no such page, no loader, or the loader's not_found): 404 ``{"notFound": true}``;
- a build id that is not this build's: 404 ``{"error": ...}`` (the client reloads the page);
- other refusals as JSON errors (403 ``{"error": "This needs the admin role."}``).

Cache-Control is the page's, never public. The JSON form is chosen by this path only: the
page's own URL answers HTML whatever its headers or query say.
"""

from __future__ import annotations

import dataclasses
import traceback
from typing import Any

import tornado.httputil
import tornado.routing

from core.errors import ApiError, default_message
from core.mistakes import RouteMistake
from core.pages import NO_STORE, PageHandler, PageSite
from core.requests import Request
from core.responses import Response, json_bytes
from core.routing import MalformedPath, decode_path

PREFIX = "/_data/"
SUFFIX = ".json"
UNKNOWN_BUILD = "Unknown build: reload the page"


def plain(value: Any) -> Any:
    """Props as JSON-able values: dataclasses become objects of their fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def never_public(cache_control: str) -> str:
    """A page's Cache-Control for its data: anything that lets a shared cache keep it
    ("public", "s-maxage") is made private."""
    parts = [part.strip() for part in cache_control.split(",") if part.strip()]
    kept = [part for part in parts if part.lower() != "public" and not part.lower().startswith("s-maxage")]
    if not any(part.lower() in ("private", "no-store") for part in kept):
        kept.insert(0, "private")
    return ", ".join(kept)


class DataMatcher(tornado.routing.Matcher):
    """Matches /_data/<build>/<path>.json and hands DataHandler the page's route and params."""

    def __init__(self, site: PageSite) -> None:
        self.site = site

    def match(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any] | None:
        path = request.path
        if not path.startswith(PREFIX):
            return None
        build, _, rest = path[len(PREFIX) :].partition("/")
        kwargs: dict[str, Any] = {"site": self.site, "route": None, "params": {}, "page_url": "/"}
        kwargs["known_build"] = build == self.site.build_id
        if not rest.endswith(SUFFIX) or rest == SUFFIX:
            return {"target_kwargs": kwargs}
        page_path = "/" + rest[: -len(SUFFIX)]
        if page_path == "/index":
            page_path = "/"
        try:
            parts = decode_path(page_path)
        except MalformedPath:
            return {"target_kwargs": {**kwargs, "malformed": True}}
        if "" in parts:  # "//" or a trailing slash: no page has such a path
            return {"target_kwargs": kwargs}
        kwargs["page_url"] = page_path + ("?" + request.query if request.query else "")
        for route in self.site.routes:
            params = route.match(parts)
            if params is not None:
                return {"target_kwargs": {**kwargs, "route": route, "params": params}}
        return {"target_kwargs": kwargs}


class DataHandler(PageHandler):
    """A page's loader props as JSON (see the module's docstring)."""

    def initialize(  # type: ignore[override]
        self,
        site: PageSite,
        route: Any,
        params: dict[str, Any],
        page_url: str,
        known_build: bool,
        malformed: bool = False,
    ) -> None:
        super().initialize(site, route, params, malformed)
        self.page_url = page_url
        self.known_build = known_build
        self.allowed_methods = ("GET", "HEAD")

    def build_request(self, params: dict[str, Any], raw_body: bytes) -> Request:
        return Request(self, params, raw_body, url=self.page_url)

    async def prepare(self) -> None:
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            raise self.method_not_allowed()
        if not self.known_build:
            raise ApiError(404, UNKNOWN_BUILD)
        if self.malformed:
            raise ApiError(400, "Malformed percent-escape in the URL")
        if self.route is None or self._function("get_server_side_props") is None:
            raise ApiError(404)
        await super().prepare()

    async def send_response(self, response: Response) -> None:
        """What the middleware answered: a redirect as data, anything else as it is."""
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            self._send_json(200, self._redirect(location, response.status))
            return
        await super().send_response(response)

    def back_url(self) -> str:
        """To log in (or anywhere else a refusal sends), and back to the page, not its data."""
        return self.page_url

    async def get(self) -> None:
        await self._run(self._function("get_server_side_props"), is_action=False)

    head = get

    async def post(self) -> None:
        raise self.method_not_allowed()

    async def options(self) -> None:
        self.set_header("Allow", "GET, HEAD, OPTIONS")
        self.set_status(204)
        self.finish()

    def answer(self, kind: str, value: Any, status: int) -> None:
        if kind in ("redirect", "refused"):
            self.set_header("Cache-Control", NO_STORE)
            self._send_json(200, self._redirect(value, status))
        elif kind == "not_found":
            raise ApiError(404)
        else:
            self.set_header("Cache-Control", never_public(self._headers.get("Cache-Control", NO_STORE)))
            self._send_json(status, {"pageProps": plain(value)})

    @staticmethod
    def _redirect(destination: str, status: int) -> dict[str, Any]:
        return {"redirect": {"destination": destination, "statusCode": status}}

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json_bytes(payload))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        self.set_header("Cache-Control", NO_STORE)
        if status_code == 404 and not (isinstance(exc, ApiError) and exc.message == UNKNOWN_BUILD):
            self._send_json(404, {"notFound": True})
            return
        if isinstance(exc, ApiError):
            for name, value in exc.headers.items():
                self.set_header(name, value)
            payload: dict[str, Any] = {"error": exc.message, **exc.extra}
        else:
            payload = {"error": default_message(status_code)}
            if status_code >= 500 and self.settings.get("serve_traceback") and exc is not None:
                payload["detail"] = (
                    str(exc)
                    if isinstance(exc, RouteMistake)
                    else "".join(traceback.format_exception_only(exc)).strip()
                )
        self._send_json(status_code, payload)
