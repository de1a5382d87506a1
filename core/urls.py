"""Links: the route table by name (url_for), and the open-redirect guard for ?next=.

Every page and API route has a name, its pattern without the leading slash: "posts/[id]",
"api/me"; the site's root is "index". Templates call ``url_for("posts/[id]", id=3)`` and
code ``req.url_for(...)``; params the pattern does not use become the query string.
An unknown name or a missing param raises UnknownRoute naming the caller's file; start-up
checks every literal url_for call in templates and route modules (check_calls).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
import jinja2.nodes

from core.routing import CATCH_ALL, DYNAMIC, Route, build_path


class UnknownRoute(LookupError):
    """url_for() was given a name no route has, or without a param its pattern needs."""


@dataclass(frozen=True)
class NamedRoute:
    name: str
    prefix: str  # "" for pages, "/api" for API routes
    route: Route


class RouteTable:
    """The app's routes by name: pages first, then API routes (named "api/...")."""

    def __init__(self, pages: Iterable[Route], api: Iterable[Route], api_prefix: str = "/api") -> None:
        self.routes: dict[str, NamedRoute] = {}
        for route in pages:
            self.routes[route.name] = NamedRoute(route.name, "", route)
        for route in api:
            name = api_prefix.strip("/") + ("" if route.name == "index" else "/" + route.name)
            self.routes[name] = NamedRoute(name, api_prefix, route)
        for named in self.routes.values():
            named.route.options["name"] = named.name  # what handlers report (e.g. holds_back)

    def __iter__(self) -> Iterator[NamedRoute]:
        return iter(self.routes.values())

    def url_for(self, name: str, /, **params: Any) -> str:
        named = self.routes.get(name)
        if named is None:
            raise UnknownRoute(f"url_for: no route is named {name!r}{self._suggest(name)}")
        try:
            path, rest = build_path(named.route, {k: v for k, v in params.items() if v is not None})
        except KeyError as exc:
            raise UnknownRoute(f"url_for({name!r}): the param {exc.args[0]!r} is missing") from None
        path = named.prefix + (path if path != "/" or not named.prefix else "")
        return path + ("?" + urlencode(rest, doseq=True) if rest else "")

    def problem(self, name: str, param_names: Iterable[str]) -> str | None:
        """What is wrong with url_for(name, **params) given only the names, or None."""
        named = self.routes.get(name)
        if named is None:
            return f"no route is named {name!r}{self._suggest(name)}"
        needed = {s.name for s in named.route.segments if s.kind in (DYNAMIC, CATCH_ALL)}
        if missing := sorted(needed - set(param_names)):
            return f"url_for({name!r}) misses the param {missing[0]!r}"
        return None

    def _suggest(self, name: str) -> str:
        close = [n for n in self.routes if n.split("/")[-1] == name.split("/")[-1] or n in name or name in n]
        return f" (did you mean {close[0]!r}?)" if close else ""


# --- start-up check of literal url_for calls ----------------------------------------------------


def _template_calls(environment: jinja2.Environment, name: str) -> Iterator[tuple[str, list[str], int]]:
    source, _filename, _uptodate = environment.loader.get_source(environment, name)
    for call in environment.parse(source).find_all(jinja2.nodes.Call):
        if isinstance(call.node, jinja2.nodes.Name) and call.node.name == "url_for":
            if call.args and isinstance(call.args[0], jinja2.nodes.Const) and not call.dyn_kwargs:
                yield str(call.args[0].value), [kw.key for kw in call.kwargs], call.lineno


def _python_calls(path: Path) -> Iterator[tuple[str, list[str], int]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if called != "url_for" or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        if any(kw.arg is None for kw in node.keywords):  # **params: cannot be checked here
            continue
        yield str(node.args[0].value), [str(kw.arg) for kw in node.keywords], node.lineno


def check_calls(
    table: RouteTable, environment: jinja2.Environment, templates_dir: Path, modules: Iterable[Path]
) -> list[str]:
    """Every literal url_for call in the templates and in the given Python files that names an
    unknown route or misses a param, as "file:line: problem"."""
    problems = []
    for name in environment.list_templates(extensions=("html",)):
        try:
            calls = list(_template_calls(environment, name))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{templates_dir.name}/{name}:{exc.lineno}: {exc.message}")
            continue
        for route_name, params, line in calls:
            if problem := table.problem(route_name, params):
                problems.append(f"{templates_dir.name}/{name}:{line}: {problem}")
    for path in modules:
        for route_name, params, line in _python_calls(path):
            if problem := table.problem(route_name, params):
                problems.append(f"{path}:{line}: {problem}")
    return problems


# --- ?next= --------------------------------------------------------------------------------------


def safe_next(value: object, default: str = "/") -> str:
    """value if it is a path on this site ("/account?tab=1"), else default.

    Refused: other hosts ("https://evil.example", "//evil.example"), backslash tricks
    ("/\\evil.example", which browsers read as "//"), other schemes, and anything but
    printable ASCII (control characters, spaces, raw non-ASCII: a Location header cannot
    carry them; a browser sends such paths percent-encoded).
    """
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(not 0x21 <= ord(c) <= 0x7E or c == "\\" for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
