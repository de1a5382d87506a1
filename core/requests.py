"""Request: the one object that loaders, actions, API handlers and middleware receive.

It reads the request (method, path, url, params, query, headers, cookies, body, files, the
client's address, who is signed in) and shapes the answer (set_header, set_cookie,
clear_cookie, rotate_xsrf_token), and builds links (url_for). It is generic in the type of
its user: the app names ``Request[UserDTO]`` for routes whose ACCESS guarantees a user.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qsl

import tornado.httputil

from core.errors import ApiError
from core.validation import FormData

if TYPE_CHECKING:
    from core.http import BaseHandler

DEFAULT_BODY_LIMIT = 1024 * 1024
MAX_JSON_DEPTH = 32
_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|mb)?\s*$", re.IGNORECASE)
JSON_TYPES = ("application/json",)
FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"

UserT = TypeVar("UserT")


def parse_limit(value: int | str) -> tuple[int, str]:
    """1048576 or "1mb" -> (1048576, "1mb"): the byte count and how the error message says it."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        found = _SIZE.match(str(value))
        if not found:
            raise ValueError(f"BODY_LIMIT must be bytes or a size like '1mb', not {value!r}")
        size = int(found[1]) * {"b": 1, "kb": 1024, "mb": 1024**2}[(found[2] or "b").lower()]
    if size <= 0:
        raise ValueError("BODY_LIMIT must be positive")
    for unit, factor in (("mb", 1024**2), ("kb", 1024)):
        if size % factor == 0:
            return size, f"{size // factor}{unit}"
    return size, f"{size}b"


def group_pairs(pairs: list[tuple[str, str]]) -> FormData:
    """[(k, v), ...] -> {k: v} with repeated keys turned into lists, in order."""
    grouped = FormData()
    for key, value in pairs:
        if key not in grouped:
            grouped[key] = value
        elif isinstance(grouped[key], list):
            grouped[key].append(value)
        else:
            grouped[key] = [grouped[key], value]
    return grouped


def parse_query(query_string: str) -> FormData:
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "Query string is not valid UTF-8") from exc
    return group_pairs(pairs)


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when value nests lists and objects deeper than limit (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


def parse_json(raw: bytes | str) -> Any:
    """JSON, or ApiError(400): invalid, or nested deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "Invalid JSON") from exc
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise ApiError(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def parse_body(content_type: str, raw: bytes, files: dict | None = None) -> Any:
    """Parse a request body by its Content-Type: JSON (empty -> {}), urlencoded or multipart
    form (FormData; repeated keys -> lists), otherwise the text. Bad input raises ApiError(400)."""
    kind = media_type(content_type)
    if kind in JSON_TYPES or kind.endswith("+json"):
        return parse_json(raw) if raw.strip() else {}
    if kind == FORM_TYPE:
        try:
            return group_pairs(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError as exc:
            raise ApiError(400, "Form body is not valid UTF-8") from exc
    if kind == MULTIPART_TYPE:
        arguments: dict[str, list[bytes]] = {}
        uploaded: dict[str, list[tornado.httputil.HTTPFile]] = {}
        try:
            tornado.httputil.parse_body_arguments(content_type, raw, arguments, uploaded)
            pairs = [(k, v.decode("utf-8")) for k, vs in arguments.items() for v in vs]
        except (tornado.httputil.HTTPInputError, UnicodeDecodeError) as exc:
            raise ApiError(400, "Malformed multipart body") from exc
        if files is not None:
            files.update(uploaded)
        return group_pairs(pairs)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "Body is not valid UTF-8 text") from exc


class Request(Generic[UserT]):
    """What a loader, action, API handler or middleware may read of the request, and the ways
    to shape the answer.

    ``params`` holds the route params only; ``query`` is the query string merged with them
    (params win; repeated keys are lists); ``body`` and ``files`` are parsed on first access
    of either; ``user`` is whoever the session proved (None when signed out; never None on
    a route whose ACCESS is "user" or "admin"); ``session`` is what the app knows of it.
    """

    def __init__(
        self, handler: BaseHandler, params: dict[str, Any], raw_body: bytes = b"", *, url: str | None = None
    ) -> None:
        request = handler.request
        self._handler = handler
        self.method: str = request.method or "GET"
        # url: the page this request is for when that is not the request's own path (the
        # page data route, /_data/<build>/posts.json, is for /posts)
        self.url: str = url or request.uri or request.path
        self.path, _, query = self.url.partition("?") if url else (request.path, "", request.query)
        self.headers: tornado.httputil.HTTPHeaders = request.headers
        self.params = params
        self.query: FormData = FormData({**parse_query(query), **params})
        self.topics: set[str] = set()  # what the page's content depends on (depends_on)
        self.raw_body = raw_body
        self.header_names: set[str] = set()  # lower-cased names of headers set through this object
        self._files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        self._body: Any = None
        self._parsed = False

    # --- who is asking ---

    @property
    def user(self) -> UserT:
        return self._handler.current_user

    @property
    def session(self) -> Any:
        return self._handler.current_session

    @property
    def client_ip(self) -> str:
        """The client's address: the socket's peer unless a trusted proxy says otherwise."""
        return self._handler.client_ip

    @property
    def settings(self) -> Any:
        """The app's settings object, read once at start."""
        return self._handler.settings.get("app_settings")

    # --- what was sent ---

    @property
    def cookies(self) -> dict[str, str]:
        return {name: morsel.value for name, morsel in self._handler.request.cookies.items()}

    def signed_cookie(self, name: str, max_age_days: float = 31) -> str | None:
        """The cookie's value if its signature is valid and younger than max_age_days, else None."""
        return self._handler.read_signed_cookie(name, max_age_days)

    @property
    def body(self) -> Any:
        self._parse()
        return self._body

    @property
    def files(self) -> dict[str, list[tornado.httputil.HTTPFile]]:
        """Uploaded files of a multipart body, by field name."""
        self._parse()
        return self._files

    @property
    def is_form(self) -> bool:
        return isinstance(self.body, FormData)

    def _parse(self) -> None:
        if not self._parsed:
            self._body = parse_body(self.headers.get("Content-Type", ""), self.raw_body, self._files)
            self._parsed = True

    # --- live pages ---

    def depends_on(self, *topics: str) -> None:
        """Name what this page's content depends on, beside the module's DEPENDS (for example
        ``req.depends_on(f"user:{post.author.id}")``): a live page runs again when one of them
        is announced. Nothing happens elsewhere."""
        self.topics.update(topics)

    # --- the answer ---

    def set_header(self, name: str, value: str) -> None:
        self._handler.set_header(name, value)
        self.header_names.add(name.lower())

    def set_cookie(self, name: str, value: str, *, signed: bool = False, **options: Any) -> None:
        """Set a cookie (HttpOnly, SameSite=Lax, Path=/ and, in production, Secure unless said
        otherwise); signed=True signs it with the newest SECRET_KEY (tamper-proof, not secret)."""
        self._handler.write_cookie(name, value, signed=signed, **options)

    def clear_cookie(self, name: str, **options: Any) -> None:
        self._handler.write_cookie(name, None, **options)

    def rotate_xsrf_token(self) -> None:
        """A fresh _xsrf token with this answer (at login and logout)."""
        self._handler.rotate_xsrf_token()

    @property
    def xsrf_token(self) -> str:
        """The XSRF token to send back in X-XSRFToken (reading it sets the _xsrf cookie)."""
        return self._handler.xsrf_token.decode()

    def status_of(self, exc: Exception) -> int | None:
        """The HTTP status the app answers this exception with (core.errors), or None."""
        answer = self._handler.answer_for(exc)
        return answer.status_code if answer is not None else None

    def url_for(self, name: str, /, **params: Any) -> str:
        """The path of the route called name ("posts/[id]"), params filled in (core.urls); a
        bad name or a missing param raises UnknownRoute naming the calling file and line."""
        try:
            return self._handler.application.route_table.url_for(name, **params)
        except LookupError as exc:
            caller = sys._getframe(1)
            raise type(exc)(f"{caller.f_code.co_filename}:{caller.f_lineno}: {exc}") from None
