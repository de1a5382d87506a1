"""Pages: middleware -> ACCESS (optimistic, then secure) -> loader -> Jinja render, and the
HTML error pages.

A page is ``NAME.html`` with an optional ``NAME.py`` holding ``async def
get_server_side_props(req)`` (and optionally ``async def action(req)`` for form posts) and
``ACCESS`` (core.access). Both functions receive the one Request (core.requests).
The loader returns exactly one of ``{"props": {...}}``, ``{"redirect": {...}}`` or
``{"not_found": True}``; anything else is a 500 whose log line (and development error page)
says what was wrong and how to fix it (core.mistakes).
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import tornado.web
from markupsafe import Markup

from core.access import PUBLIC, Holdback, declared_access
from core.errors import ApiError, default_message
from core.http import BaseHandler, Redirect
from core.live.content import DIGEST_MARK, LiveRun, NoMainRegion, view_of
from core.mistakes import (
    AWAIT,
    RouteMistake,
    close_coroutines,
    fix_for,
    note_forgotten_await,
    unserialisable_path,
    with_fix,
)
from core.requests import DEFAULT_BODY_LIMIT, Request, parse_limit
from core.responses import Response
from core.routing import STATIC, Route, RouteDeclarationError, load_module, scan
from core.urls import RouteTable, UnknownRoute

log = logging.getLogger("core.pages")

NO_STORE = "private, no-cache, no-store, max-age=0, must-revalidate"
REDIRECT_CODES = (301, 302, 303, 307, 308)
# names every template gets from the framework; props may not reuse them
FRAMEWORK_NAMES = (
    "static_url",
    "xsrf_form_html",
    "xsrf_token",
    "current_user",
    "current_path",
    "url_for",
    "build_id",
    "live",
)

Middleware = Callable[[Request], Awaitable[Response | None]]


RESULT_FORMS = "return {'props': {...}}, {'redirect': {...}} or {'not_found': True}"
REDIRECT_FORMS = (
    "return {'redirect': {'destination': '/path', 'permanent': False}} "
    "(or 'status_code': 303 instead of 'permanent')"
)


class LoaderResultError(Exception):
    """A loader or action returned something that is not one of the allowed result forms;
    the message says what, and fix how to write it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(with_fix(message, fix))


# --- the site: routes, templates, middleware ------------------------------------------------


class PageSite:
    """Everything the page handler needs, built once at start from the pages directory."""

    def __init__(self, pages_dir: Path, middleware: Middleware | None, *, development: bool):
        self.pages_dir = Path(pages_dir)
        self.middleware = middleware
        self.routes = scan(self.pages_dir, (".html", ".py"))
        for route in self.routes:
            py = [f for f in route.files if f.suffix == ".py"]
            route.options["access"] = {}
            route.options["live"], route.options["depends"] = False, ()
            if py:
                route.module = load_module(py[0], self.pages_dir)
                _check_page_module(route.module, route.show(py[0]))
                route.options["access"] = declared_access(route.module, route.show(py[0]))
                route.options["live"], route.options["depends"] = _declared_live(route, route.show(py[0]))
            limit = getattr(route.module, "BODY_LIMIT", DEFAULT_BODY_LIMIT)
            route.options["limit"] = parse_limit(limit)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.pages_dir),
            autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
            undefined=jinja2.StrictUndefined,
            auto_reload=development,
        )
        self.build_id = build_id(self.pages_dir)

    def error_template(self, status: int) -> jinja2.Template | None:
        for name in (f"{status}.html", "_error.html"):
            try:
                return self.templates.get_template(name)
            except jinja2.TemplateNotFound:
                continue
        return None


def build_id(*folders: Path) -> str:
    """An id of this build of the site: a digest of every file in the folders, so every worker
    and instance running the same files has the same id (the page data route checks it)."""
    digest = hashlib.sha256()
    for folder in folders:
        files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _declared_live(route: Route, shown: str) -> tuple[bool, tuple[str, ...]]:
    """LIVE (True or False) and DEPENDS (topics; "post:{id}" is filled in from the route's
    params); a bad declaration raises RouteDeclarationError naming the file."""
    live = getattr(route.module, "LIVE", False)
    depends = getattr(route.module, "DEPENDS", ())
    if not isinstance(live, bool):
        raise RouteDeclarationError(f"{shown}: LIVE = {live!r}; use True or False")
    if isinstance(depends, str) or not isinstance(depends, (list, tuple)):
        raise RouteDeclarationError(
            f"{shown}: DEPENDS must be a list of topics like ['posts', 'post:{{id}}'], not {depends!r}"
        )
    params = {segment.name for segment in route.segments if segment.kind != STATIC}
    for topic in depends:
        if not isinstance(topic, str) or not topic or any(c.isspace() for c in topic):
            raise RouteDeclarationError(f"{shown}: DEPENDS has {topic!r}; topics are words without spaces")
        for name in _PLACEHOLDER.findall(topic):
            if name not in params:
                raise RouteDeclarationError(
                    f"{shown}: DEPENDS names {{{name}}}, which is not a param of {route.pattern}"
                )
    if live and route.template is None:
        raise RouteDeclarationError(f"{shown}: LIVE = True needs a template to render")
    return live, tuple(depends)


def _check_page_module(module: Any, shown: str) -> None:
    for name in ("get_server_side_props", "action"):
        fn = getattr(module, name, None)
        if fn is not None and not inspect.iscoroutinefunction(fn):
            raise RouteDeclarationError(f"{shown}: {name} must be defined with 'async def'")


# --- what loaders get and may return --------------------------------------------------------


def see_other(destination: str) -> dict[str, Any]:
    """The usual answer of an action after a successful form post: 303 to destination."""
    return {"redirect": {"destination": destination, "status_code": 303}}


def interpret(result: Any, *, is_action: bool) -> tuple[str, Any, int]:
    """Check a loader/action result; return ("props", props, status), ("redirect", url, code)
    or ("not_found", None, 404). Raise LoaderResultError saying what is wrong otherwise."""
    forms = RESULT_FORMS + (" (an action may add 'status' beside 'props')" if is_action else "")
    if not isinstance(result, dict):
        raise LoaderResultError(
            f"must return a dict with 'props', 'redirect' or 'not_found', not {type(result).__name__}", forms
        )
    keys = set(result)
    allowed = {"props", "redirect", "not_found"}
    if is_action:
        allowed.add("status")
    kinds = keys & {"props", "redirect", "not_found"}
    if len(kinds) != 1 or keys - allowed or ("status" in keys and "props" not in keys):
        raise LoaderResultError(
            f"must return exactly one of 'props', 'redirect' or 'not_found'"
            f"{' (and status with props)' if is_action else ''}; got keys {sorted(keys)}",
            forms,
        )
    if "props" in result:
        props = result["props"]
        if not isinstance(props, dict):
            raise LoaderResultError(
                f"props must be a dict, not {type(props).__name__}", "return {'props': {'name': value, ...}}"
            )
        if found := unserialisable_path(props):
            bad_path, bad_value = found
            raise LoaderResultError(
                f"returned props that are not JSON-serialisable at {bad_path} ({type(bad_value).__name__})",
                fix_for(bad_value),
            )
        if clash := sorted(set(props) & set(FRAMEWORK_NAMES)):
            raise LoaderResultError(
                f"props may not use the reserved names {clash}",
                f"rename them: templates get {', '.join(FRAMEWORK_NAMES)} from the framework",
            )
        status = result.get("status", 200)
        if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
            raise LoaderResultError(
                f"status must be an int from 200 to 599, not {status!r}",
                "e.g. {'props': {...}, 'status': 422}",
            )
        return "props", props, status
    if "redirect" in result:
        return "redirect", *_check_redirect(result["redirect"])
    if result["not_found"] is not True:
        raise LoaderResultError(
            f"not_found must be True, not {result['not_found']!r}", "return {'not_found': True}, or props"
        )
    return "not_found", None, 404


def _check_redirect(redirect: Any) -> tuple[str, int]:
    if not isinstance(redirect, dict):
        raise LoaderResultError(
            "redirect must be a dict with destination and permanent or status_code", REDIRECT_FORMS
        )
    destination = redirect.get("destination")
    if not isinstance(destination, str) or not destination:
        raise LoaderResultError(
            f"redirect destination must be a non-empty string, not {destination!r}", REDIRECT_FORMS
        )
    extra = set(redirect) - {"destination", "permanent", "status_code"}
    has_permanent, has_code = "permanent" in redirect, "status_code" in redirect
    if extra or has_permanent == has_code:
        raise LoaderResultError(
            "redirect needs destination and exactly one of permanent or status_code; "
            f"got keys {sorted(redirect)}",
            REDIRECT_FORMS,
        )
    if has_permanent:
        if not isinstance(redirect["permanent"], bool):
            raise LoaderResultError(
                f"redirect permanent must be True or False, not {redirect['permanent']!r}", REDIRECT_FORMS
            )
        return destination, 308 if redirect["permanent"] else 307
    code = redirect["status_code"]
    if isinstance(code, bool) or code not in REDIRECT_CODES:
        raise LoaderResultError(
            f"redirect status_code must be one of {REDIRECT_CODES}, not {code!r}", REDIRECT_FORMS
        )
    return destination, code


def _template_url_for(table: RouteTable) -> Callable[..., str]:
    """url_for for templates: a bad name or a missing param names the template that asked."""

    @jinja2.pass_context
    def url_for(context: jinja2.runtime.Context, name: str, /, **params: Any) -> str:
        try:
            return table.url_for(name, **params)
        except UnknownRoute as exc:
            raise UnknownRoute(f"{context.name}: {exc}") from None

    return url_for


# --- the handler ----------------------------------------------------------------------------


class PageHandler(BaseHandler):
    """Serves one page route, or the 404 page when route is None."""

    route_log = log

    def initialize(
        self, site: PageSite, route: Route | None, params: dict[str, Any], malformed: bool = False
    ) -> None:
        self.site = site
        self.route = route
        self.params = params
        self.malformed = malformed
        self._built: Request | None = None
        self.access = route.options["access"] if route else {}
        readable = route is None or route.template is not None or self._function("get_server_side_props")
        writable = self._function("action") is not None
        self.allowed_methods = ("GET", "HEAD") * bool(readable) + ("POST",) * writable

    def _function(self, name: str) -> Callable[..., Awaitable[Any]] | None:
        module = self.route.module if self.route else None
        return getattr(module, name, None)

    def _request(self) -> Request:
        """One Request per request, shared by middleware and the loader or action."""
        if self._built is None:
            self._built = self.build_request(self.params, self.request.body)
        return self._built

    async def prepare(self) -> None:
        if self.malformed:
            raise ApiError(400, "Malformed percent-escape in the URL")
        limit, limit_text = self.route.options["limit"] if self.route else (DEFAULT_BODY_LIMIT, "1mb")
        if len(self.request.body) > limit:
            raise ApiError(413, f"The form is too large (the limit is {limit_text})")
        if self.site.middleware is not None:
            answer = await self.site.middleware(self._request())
            if answer is not None:
                await self.send_response(answer)
                return
        if self.route is not None and self.request.method not in (*self.allowed_methods, "OPTIONS"):
            raise self.method_not_allowed()

    def signed_out_refusal(self) -> Exception:
        """A signed-out visitor on a page that needs a user: to the login page and back."""
        auth = self.authenticator
        return self.there_and_back(auth.login_url if auth else "/login")

    def back_url(self) -> str:
        """Where to come back to: the page itself for a GET, the form's page (its path) for a
        POST, whose body cannot be replayed."""
        return self.request.uri if self.request.method in ("GET", "HEAD") else self.request.path

    def there_and_back(self, page: str) -> Redirect:
        """To page with ?next= this page (back_url)."""
        return Redirect(page + "?" + urlencode({"next": self.back_url()}), self.redirect_status())

    def signed_in_refusal(self) -> Exception:
        """A signed-in visitor on a page for signed-out visitors (/login): to the app's home."""
        auth = self.authenticator
        return Redirect(auth.home_url if auth else "/", self.redirect_status())

    def held_back_refusal(self, holdback: Holdback, level: str) -> Exception | None:
        """A held-back user (core.access.Holdback) is sent to the holdback's page, whatever
        the page's ACCESS."""
        return Redirect(holdback.page, self.redirect_status())

    def redirect_status(self) -> int:
        return 307 if self.request.method in ("GET", "HEAD") else 303

    async def get(self) -> None:
        if self.route is None:
            async with self.data_scope():  # the 404 page's nav still shows who is signed in
                await self.admit(PUBLIC)
            raise ApiError(404)
        if "GET" not in self.allowed_methods:  # a page that is only an action, like POST /logout
            raise self.method_not_allowed()
        await self._run(self._function("get_server_side_props"), is_action=False)

    head = get

    async def post(self) -> None:
        action = self._function("action")
        if self.route is None:
            raise ApiError(404)
        if action is None:
            raise self.method_not_allowed()
        await self._run(action, is_action=True)

    async def put(self) -> None:
        if self.route is None:
            raise ApiError(404)
        raise self.method_not_allowed()

    patch = delete = put

    async def options(self) -> None:
        self.set_header("Allow", ", ".join((*self.allowed_methods, "OPTIONS")))
        self.set_status(204)
        self.finish()

    async def _run(self, function: Callable[..., Awaitable[Any]] | None, *, is_action: bool) -> None:
        try:
            outcome = await self.outcome(function, is_action=is_action)
        finally:  # a live socket's run learns what the page depends on, whatever it answers
            self.note_topics()
        self.answer(*outcome)

    async def outcome(
        self, function: Callable[..., Awaitable[Any]] | None, *, is_action: bool
    ) -> tuple[str, Any, int]:
        """ACCESS, then the loader or action, inside the request's data scope (its database
        connection is given back before the page is rendered), checked: ("props", props,
        status), ("redirect", url, code), ("not_found", None, 404), ("refused", url, code)
        when ACCESS sends the visitor elsewhere, or ("template", {}, 200) for a template alone
        (no function)."""
        assert self.route is not None
        req = self._request()
        try:
            async with self.data_scope():
                await self.admit(self.access.get(self.request.method, PUBLIC))
                result = await self._call(function, req) if function is not None else None
        except Redirect as refusal:
            self.set_header("Cache-Control", NO_STORE)
            return "refused", refusal.url, refusal.status
        if function is None:  # a template alone (allowed_methods guarantees there is one)
            self.set_header("Cache-Control", NO_STORE)  # the layout shows who is signed in
            return "template", {}, 200
        if inspect.iscoroutine(result):
            close_coroutines(result)
            raise self.mistake(f"{function.__name__}() returned a coroutine: {AWAIT}")
        try:
            kind, value, status = interpret(result, is_action=is_action)
        except LoaderResultError as exc:
            close_coroutines(result)
            raise self.mistake(f"{function.__name__}() {exc}") from None
        if "cache-control" not in req.header_names:
            self.set_header("Cache-Control", NO_STORE)
        if kind == "props" and self.route.template is None:
            module = self.module_file()
            expected = module.with_name(module.name[: -len(module.suffix)] + ".html")
            raise self.mistake(
                f"{function.__name__}() returned props but there is no {self.route.show(expected)} "
                "to render them: add it, or return {'redirect': {...}} or {'not_found': True}"
            )
        return kind, value, status

    def answer(self, kind: str, value: Any, status: int) -> None:
        """The HTML answer for an outcome."""
        assert self.route is not None
        if kind == "refused":
            self.redirect(value, status=status)
        elif kind == "redirect":
            self.set_status(status)
            self.set_header("Location", value)
            if status == 308:
                self.set_header("Refresh", f"0;url={value}")
            self.finish()
        elif kind == "not_found":
            raise ApiError(404)
        else:
            live = bool(self.route.options.get("live")) and self.request.method in ("GET", "HEAD")
            self.render_page(self.route.template, value, status, live=live and status == 200)

    def note_topics(self) -> None:
        """For a live socket's run: what the page depends on, its DEPENDS with the route's
        params filled in and what the loader named (req.depends_on)."""
        run: LiveRun | None = getattr(self.request, "live_run", None)
        if run is None or self.route is None or not self.route.options.get("live"):
            return
        values = {k: "/".join(v) if isinstance(v, list) else v for k, v in self.params.items()}
        declared = {topic.format(**values) for topic in self.route.options["depends"]}
        run.topics = frozenset(declared | self._request().topics)

    def module_file(self) -> Path:
        assert self.route is not None
        return next((f for f in self.route.files if f.suffix == ".py"), self.route.files[0])

    def mistake(self, text: str) -> RouteMistake:
        """A mistake of this page's module: "pages/x.py: get_server_side_props() ..."."""
        return RouteMistake(f"{self.route.show(self.module_file()) if self.route else 'pages'}: {text}")

    async def _call(self, function: Callable[..., Awaitable[Any]], req: Request) -> Any:
        """Route code, with what it raises turned into its answer (a 401: to log in)."""
        try:
            return await function(req)
        except Exception as exc:
            answer = self.answer_for(exc)
            if answer is None:
                note_forgotten_await(exc, f"{self.route.show(self.module_file())}: {function.__name__}()")
                raise
            if answer.status_code == 401:
                raise self.signed_out_refusal() from exc
            if answer.pages_to is not None:  # e.g. re-authenticate first, then come back
                raise self.there_and_back(answer.pages_to) from exc
            raise answer from exc

    # --- rendering ---

    def template_globals(self, live: bool = False) -> dict[str, Any]:
        return {
            "static_url": self.static_url,
            "xsrf_form_html": lambda: Markup(self.xsrf_form_html()),
            "xsrf_token": self.xsrf_token.decode(),
            "current_user": self.current_user,
            "current_path": self.request.path,
            "url_for": _template_url_for(self.application.route_table),
            "build_id": self.site.build_id,
            "live": DIGEST_MARK if live else "",  # the layout loads live.js and marks <main>
        }

    def render_page(
        self, template: str | jinja2.Template, props: dict[str, Any], status: int, *, live: bool = False
    ) -> None:
        """Render and send a page. A live page's <main> gets the digest of its content (the
        script's reference); for a live socket's run, what was rendered is kept for it."""
        if isinstance(template, str):
            template = self.site.templates.get_template(template)
        html = template.render(**self.template_globals(live), **props)
        run: LiveRun | None = getattr(self.request, "live_run", None)
        if live or run is not None:
            try:
                view = view_of(html, status, self.xsrf_token.decode())
            except NoMainRegion as exc:
                raise self.mistake(str(exc)) from None
            if live:
                html = html.replace(DIGEST_MARK, view.digest, 1)
            if run is not None:
                run.view = view
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(html)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.message if isinstance(exc, ApiError) else default_message(status_code)
        if isinstance(exc, ApiError):
            for name, value in exc.headers.items():
                self.set_header(name, value)
        detail = None
        if status_code >= 500 and self.settings.get("serve_traceback") and "exc_info" in kwargs:
            # a mistake the framework named is its message; anything else its traceback
            detail = str(exc) if isinstance(exc, RouteMistake) else "".join(traceback.format_exception(exc))
        self.set_header("Cache-Control", NO_STORE)
        template = self.site.error_template(status_code)
        try:
            if template is None:
                raise LookupError("no error template")
            props = {
                "status_code": status_code,
                "message": message,
                "detail": detail,
                "mistake": detail is not None and isinstance(exc, RouteMistake),
            }
            self.render_page(template, props, status_code)
        except Exception:
            log.exception("the error page for %s failed to render", status_code)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(f"<!doctype html><title>{status_code}</title><h1>{status_code} {message}</h1>")


class StatusPageHandler(PageHandler):
    """/404 and /500: the error pages themselves, with their status."""

    def initialize(self, site: PageSite, status: int) -> None:  # type: ignore[override]
        super().initialize(site, None, {})
        self.status = status

    async def get(self) -> None:
        raise ApiError(self.status) if self.status < 500 else tornado.web.HTTPError(self.status)

    head = get
