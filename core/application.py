"""build_application(): the ordered Tornado rules for one site.

Order: slash normalisation (before everything, static files included), extra rules
(health checks), the live pages' socket (/_live) and the page data route (/_data/...), the
/api tree, then the pages tree, which answers every other path.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import tornado.log
import tornado.routing
import tornado.web

from core.access import Authenticator
from core.api import ApiHandler, load_api_routes
from core.data import DataHandler, DataMatcher
from core.errors import ErrorAnswers
from core.http import BaseHandler, RateLimit
from core.live.hub import LiveHub, LiveOptions
from core.live.socket import LiveSocket
from core.openapi import OpenApiHandler
from core.pages import Middleware, PageHandler, PageSite, StatusPageHandler, build_id
from core.routing import NeedsNormalizing, RouteConflict, TreeMatcher, normalized
from core.security import ClientAddress, SafeStaticFiles, SecurityHeaders
from core.settings import FrameworkSettings
from core.urls import RouteTable, check_calls

API_PREFIX = "/api"


class NormalizeHandler(BaseHandler):
    """/about/ -> 308 /about and //a//b -> 308 /a/b, query kept, for every method."""

    allowed_methods = ()  # no XSRF check: nothing runs here but the redirect

    def prepare(self) -> None:
        target = normalized(self.request.path) or "/"
        if self.request.query:
            target += "?" + self.request.query
        self.redirect(target, status=308)


class StaticHandler(SecurityHeaders, SafeStaticFiles):
    """Tornado's static files, with the security headers every answer carries."""


def access_log(handler: tornado.web.RequestHandler) -> None:
    """One line per request, built only when the level is enabled: status, method, URI and
    milliseconds (Tornado's own builds its summary first, and names the client address)."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if tornado.log.access_log.isEnabledFor(level):
        request = handler.request
        if getattr(request, "live_run", None) is not None:  # a live page's run, not a client's request
            return
        tornado.log.access_log.log(
            level, "%d %s %s %.1fms", status, request.method, request.uri, 1000.0 * request.request_time()
        )


def key_versions(keys: tuple[str, ...]) -> tuple[dict[int, str], int]:
    """Tornado's cookie_secret dict and key_version for SECRET_KEY (newest first).

    A key's version is derived from the key itself, so adding or dropping keys never
    renumbers the others and cookies signed by a kept key stay valid."""

    def version(key: str) -> int:
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")

    return {version(k): k for k in keys}, version(keys[0])


def load_routes(
    pages_dir: Path,
    handlers_dir: Path,
    *,
    middleware: Middleware | None = None,
    development: bool = False,
    api_wrappers: list[Any] | None = None,
    error_answers: ErrorAnswers | None = None,
) -> tuple[PageSite, list[Any], RouteTable]:
    """Scan and load the pages and API trees, name every route, and check every literal
    url_for call; any problem raises RouteConflict (or TypeError) naming the file."""
    site = PageSite(pages_dir, middleware, development=development)
    api_routes = load_api_routes(handlers_dir, wrappers=api_wrappers or [], error_answers=error_answers)
    table = RouteTable(site.routes, api_routes, API_PREFIX)
    modules = [f for route in (*site.routes, *api_routes) for f in route.files if f.suffix == ".py"]
    helpers = [p for p in Path(pages_dir).rglob("_*.py")] if Path(pages_dir).is_dir() else []
    problems = check_calls(table, site.templates, Path(pages_dir), [*modules, *helpers])
    if problems:
        raise RouteConflict("links to routes that do not exist:\n  " + "\n  ".join(problems))
    return site, api_routes, table


def build_application(
    settings: FrameworkSettings,
    *,
    pages_dir: Path,
    handlers_dir: Path,
    static_dir: Path,
    middleware: Middleware | None = None,
    extra_rules: list[Any] | None = None,
    max_body_size: int = 10 * 1024 * 1024,
    autoreload: bool = False,
    auth: Authenticator | None = None,
    error_answers: ErrorAnswers | None = None,
    rate_limit: RateLimit | None = None,
    request_scope: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
    unavailable_errors: tuple[type[BaseException], ...] = (),
    api_wrappers: list[Any] | None = None,
    openapi_title: str = "API",
    live: LiveOptions | None = None,
) -> tornado.web.Application:
    site, api_routes, table = load_routes(
        pages_dir,
        handlers_dir,
        middleware=middleware,
        development=settings.development,
        api_wrappers=api_wrappers,
        error_answers=error_answers,
    )
    secrets, newest = key_versions(settings.secret_keys)
    site.build_id = build_id(pages_dir, static_dir)
    hub = LiveHub(live or LiveOptions())
    rules: list[Any] = [
        *(extra_rules or []),
        (r"/_live", LiveSocket, {"hub": hub, "site": site}),
        tornado.routing.Rule(DataMatcher(site), DataHandler),
        (r"/404", StatusPageHandler, {"site": site, "status": 404}),
        (r"/500", StatusPageHandler, {"site": site, "status": 500}),
        (
            API_PREFIX + r"/openapi\.json",
            OpenApiHandler,
            {"routes": api_routes, "title": openapi_title, "version": "1"},
        ),
        tornado.routing.Rule(TreeMatcher(api_routes, prefix=API_PREFIX), ApiHandler),
        tornado.routing.Rule(TreeMatcher(site.routes, site=site), PageHandler),
    ]
    app = tornado.web.Application(
        rules,
        cookie_secret=secrets,
        key_version=newest,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"samesite": "Lax", "secure": settings.production, "httponly": True},
        static_path=str(static_dir),
        default_handler_class=PageHandler,
        default_handler_args={"site": site, "route": None, "params": {}},
        autoreload=autoreload,
        serve_traceback=settings.development,
        production=settings.production,
        auth=auth,
        error_answers=error_answers,
        rate_limit=rate_limit,
        request_scope=request_scope,
        unavailable_errors=unavailable_errors,
        cors_origins=settings.cors_origins,
        client_address=ClientAddress(settings.trusted_proxies),
        static_handler_class=StaticHandler,
        log_function=access_log,
    )
    # Host-level rules are tried before the static files Tornado puts first in the list above.
    app.add_handlers(r".*", [tornado.routing.Rule(NeedsNormalizing(), NormalizeHandler)])
    limits = [r.options["limit"][0] for r in (*api_routes, *site.routes)]
    app.max_body_size = max(max_body_size, *limits, 0)
    app.site = site
    app.live = hub
    app.api_routes = api_routes
    app.route_table = table
    app.in_flight = 0
    return app
