"""File-system routing: scans pages/ and handlers/ into routes, checks them for conflicts,
orders them by precedence and matches request paths against them.

Naming follows the Next.js Pages Router: ``index`` collapses, ``[id]`` matches one segment,
``[...slug]`` one or more, ``[[...slug]]`` zero or more; names starting with ``_`` are private.
Paths are split on ``/`` first and each segment percent-decoded after, so ``%2F`` stays
inside its segment.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from hashlib import sha1
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import tornado.httputil
import tornado.routing

from core.problems import NamedProblem

STATIC, DYNAMIC, CATCH_ALL, OPTIONAL_CATCH_ALL = 0, 1, 2, 3
_SEGMENT = re.compile(r"^(?:\[\[\.\.\.(?P<opt>\w+)\]\]|\[\.\.\.(?P<all>\w+)\]|\[(?P<one>\w+)\])$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
ERROR_PAGE = re.compile(r"^\d{3}$")  # pages/404.html etc. are error templates, not routes


class RouteConflict(NamedProblem):
    """The pages or handlers tree cannot be routed unambiguously; the message names the files."""


class RouteDeclarationError(NamedProblem, TypeError):
    """A route module declares something the framework cannot use (ACCESS, a sync function, no
    method); the message names the file and what is expected."""


class MalformedPath(ValueError):
    """A path with a broken percent-escape or one that does not decode to UTF-8."""


@dataclass(frozen=True)
class Segment:
    kind: int
    name: str  # the literal text for STATIC, the param name otherwise

    def __str__(self) -> str:
        return {
            STATIC: self.name,
            DYNAMIC: f"[{self.name}]",
            CATCH_ALL: f"[...{self.name}]",
            OPTIONAL_CATCH_ALL: f"[[...{self.name}]]",
        }[self.kind]


def parse_segment(text: str, where: Path) -> Segment:
    if "[" not in text and "]" not in text:
        return Segment(STATIC, text)
    found = _SEGMENT.match(text)
    if not found:
        raise RouteConflict(
            f"{where}: {text!r} is not a valid route segment; use [name], [...name] or [[...name]]"
        )
    if found["opt"]:
        return Segment(OPTIONAL_CATCH_ALL, found["opt"])
    if found["all"]:
        return Segment(CATCH_ALL, found["all"])
    return Segment(DYNAMIC, found["one"])


@dataclass
class Route:
    """One routable file (a page's .py and/or .html, or an API module) and its URL pattern."""

    segments: tuple[Segment, ...]
    files: list[Path]
    module: ModuleType | None = None
    template: str | None = None  # template name relative to the pages directory
    options: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None  # the tree the route was found in (pages/, handlers/)

    def show(self, path: Path | None = None) -> str:
        """A file of this route as people read it: "pages/posts/[id].py"."""
        path = path or self.files[0]
        return show_path(path, self.root) if self.root else str(path)

    @property
    def pattern(self) -> str:
        return "/" + "/".join(str(s) for s in self.segments)

    @property
    def name(self) -> str:
        """What url_for() calls this route: its pattern without the leading slash
        ("posts/[id]", "api/me"); the site's root is "index"."""
        return self.pattern.lstrip("/") or "index"

    @property
    def rank(self) -> tuple[int, ...]:
        """Sort key: static < dynamic < catch-all < optional catch-all, segment by segment."""
        return tuple(s.kind for s in self.segments)

    def match(self, parts: list[str]) -> dict[str, Any] | None:
        params: dict[str, Any] = {}
        for i, seg in enumerate(self.segments):
            if seg.kind == STATIC:
                if i >= len(parts) or parts[i] != seg.name:
                    return None
            elif seg.kind == DYNAMIC:
                if i >= len(parts):
                    return None
                params[seg.name] = parts[i]
            elif seg.kind == CATCH_ALL:
                if i >= len(parts):
                    return None
                params[seg.name] = parts[i:]
                return params
            else:
                if i < len(parts):
                    params[seg.name] = parts[i:]
                return params
        return params if len(parts) == len(self.segments) else None


def decode_path(raw_path: str) -> list[str]:
    """'/a/b%2Fc' -> ['a', 'b/c']; '/' -> []. Raises MalformedPath."""
    if _BAD_ESCAPE.search(raw_path):
        raise MalformedPath(raw_path)
    parts = raw_path.split("/")[1:]
    if parts == [""]:
        return []
    if "%" not in raw_path:
        return parts
    try:
        return [unquote_to_bytes(p).decode("utf-8") for p in parts]
    except UnicodeDecodeError as exc:
        raise MalformedPath(raw_path) from exc


def normalized(raw_path: str) -> str | None:
    """The path with '//' collapsed and any trailing '/' dropped, or None if it is fine."""
    if "//" not in raw_path and (raw_path == "/" or not raw_path.endswith("/")):
        return None
    collapsed = re.sub("/{2,}", "/", raw_path)
    return collapsed.rstrip("/") or "/"


def build_path(route: Route, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path of route with params filled in (percent-encoded), and the params it did not
    use (url_for turns them into the query string). A missing param raises KeyError."""
    parts: list[str] = []
    rest = dict(params)
    for seg in route.segments:
        if seg.kind == STATIC:
            parts.append(seg.name)
            continue
        if seg.name not in rest:
            if seg.kind == OPTIONAL_CATCH_ALL:
                continue
            raise KeyError(seg.name)
        value = rest.pop(seg.name)
        if seg.kind in (CATCH_ALL, OPTIONAL_CATCH_ALL):
            values = [value] if isinstance(value, (str, int)) else list(value)
            if not values and seg.kind == CATCH_ALL:
                raise KeyError(seg.name)
            parts.extend(quote(str(v), safe="") for v in values)
        else:
            parts.append(quote(str(value), safe=""))
    return "/" + "/".join(parts), rest


# --- scanning -------------------------------------------------------------------------------


def _routable(name: str) -> bool:
    return not name.startswith(("_", ".")) and name != "__pycache__"


def load_module(path: Path, root: Path) -> ModuleType:
    """Import a route file by path, under a name unique to its tree (tests build many trees)."""
    tag = sha1(str(root.resolve()).encode()).hexdigest()[:8]
    rel = path.relative_to(root)
    name = f"_routes_{root.name}_{tag}." + ".".join((*rel.parts[:-1], rel.name[: -len(path.suffix)]))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _url_segments(stem: tuple[str, ...], where: Path) -> tuple[Segment, ...]:
    parts = list(stem)
    if parts and parts[-1] == "index":
        parts.pop()
    return tuple(parse_segment(p, where) for p in parts)


def scan(root: Path, suffixes: tuple[str, ...]) -> list[Route]:
    """Every routable file under root, grouped by stem (a page's .py and .html are one route),
    checked for conflicts and sorted by precedence."""
    root = Path(root)
    if not root.is_dir():
        return []
    # keyed by the path without its suffix: a page's .py and .html are one route.
    # (Path.with_suffix would mangle names like "[...slug]", whose "suffix" is ".slug]".)
    by_stem: dict[tuple[str, ...], list[Path]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path.suffix not in suffixes:
            continue
        if not all(_routable(p) for p in rel.parts):
            continue
        if len(rel.parts) == 1 and ERROR_PAGE.match(rel.stem):
            continue
        stem = (*rel.parts[:-1], rel.name[: -len(path.suffix)])
        by_stem.setdefault(stem, []).append(path)

    routes: list[Route] = []
    for stem, files in by_stem.items():
        route = Route(segments=_url_segments(stem, files[0].relative_to(root)), files=files, root=root)
        for f in files:
            if f.suffix == ".html":
                route.template = f.relative_to(root).as_posix()
        routes.append(route)
    _check_conflicts(routes, root)
    routes.sort(key=lambda r: r.rank)
    return routes


def show_path(path: Path, root: Path) -> str:
    """path as "pages/posts/[id].py": relative to root's parent."""
    return f"{root.name}/{path.relative_to(root).as_posix()}"


def _check_conflicts(routes: list[Route], root: Path) -> None:
    seen: dict[tuple, Route] = {}
    # per URL prefix: the dynamic segment of each kind seen there, and the file that used it
    levels: dict[tuple[str, ...], dict[int, tuple[str, Route]]] = {}
    for route in routes:
        first = show_path(route.files[0], root)
        shape = tuple((s.kind, s.name if s.kind == STATIC else "") for s in route.segments)
        if shape in seen:
            other = show_path(seen[shape].files[0], root)
            raise RouteConflict(f"{other} and {first} both serve {route.pattern}")
        seen[shape] = route

        names: set[str] = set()
        for i, seg in enumerate(route.segments):
            if seg.kind in (CATCH_ALL, OPTIONAL_CATCH_ALL) and i != len(route.segments) - 1:
                raise RouteConflict(f"{first}: the catch-all {seg} must be the last segment")
            if seg.kind == STATIC:
                continue
            if seg.name in names:
                raise RouteConflict(f"{first}: the param name {seg.name!r} is used twice")
            names.add(seg.name)
            prefix = tuple(str(s) for s in route.segments[:i])
            level = levels.setdefault(prefix, {})
            for kind, (name, owner) in level.items():
                same_kind = kind == seg.kind and name != seg.name
                both_catch_alls = {kind, seg.kind} == {CATCH_ALL, OPTIONAL_CATCH_ALL}
                if same_kind or both_catch_alls:
                    theirs = show_path(owner.files[0], root)
                    raise RouteConflict(
                        f"{theirs} and {first} conflict: {Segment(kind, name)} and {seg} at the same level"
                    )
            level.setdefault(seg.kind, (seg.name, route))


# --- Tornado glue ---------------------------------------------------------------------------


class TreeMatcher(tornado.routing.Matcher):
    """Matches every path under ``prefix`` and hands the handler the first route (in
    precedence order) that fits, with its params; no route fits -> route=None (a 404)."""

    def __init__(self, routes: list[Route], prefix: str = "", **handler_kwargs: Any) -> None:
        self.routes = routes
        self.prefix = prefix
        self.handler_kwargs = handler_kwargs

    def match(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any] | None:
        path = request.path
        if self.prefix:
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                return None
            path = path[len(self.prefix) :] or "/"
        try:
            parts = decode_path(path)
        except MalformedPath:
            return self._target(None, {}, malformed=True)
        for route in self.routes:
            params = route.match(parts)
            if params is not None:
                return self._target(route, params)
        return self._target(None, {})

    def _target(self, route: Route | None, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"target_kwargs": {**self.handler_kwargs, "route": route, "params": params, **extra}}


class NeedsNormalizing(tornado.routing.Matcher):
    """Matches paths with '//' or a trailing slash, which are redirected before anything runs."""

    def match(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any] | None:
        return {} if normalized(request.path) is not None else None
