"""Request: the read-only view of an HTTP request that loaders, actions, API handlers and
middleware receive, with the query merged with route params and the body parsed by type.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

import tornado.httputil
import tornado.web

from core.errors import ApiError

DEFAULT_BODY_LIMIT = 1024 * 1024
_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|mb)?\s*$", re.IGNORECASE)
JSON_TYPES = ("application/json",)
FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"


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


def group_pairs(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """[(k, v), ...] -> {k: v} with repeated keys turned into lists, in order."""
    grouped: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key not in grouped:
            grouped[key] = value
        elif isinstance(grouped[key], list):
            grouped[key].append(value)  # type: ignore[union-attr]
        else:
            grouped[key] = [grouped[key], value]  # type: ignore[list-item]
    return grouped


def parse_query(query_string: str) -> dict[str, str | list[str]]:
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "Query string is not valid UTF-8") from exc
    return group_pairs(pairs)


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def parse_body(content_type: str, raw: bytes, files: dict | None = None) -> Any:
    """Parse a request body by its Content-Type: JSON (empty -> {}), urlencoded or multipart
    form (repeated keys -> lists), otherwise the text. Bad input raises ApiError(400)."""
    kind = media_type(content_type)
    if kind in JSON_TYPES or kind.endswith("+json"):
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, "Invalid JSON") from exc
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


class Request:
    """What a loader, action, API handler or middleware may read of the request.

    ``params`` holds the route params only; ``query`` is the query string merged with
    them (params win; repeated keys are lists); ``body`` is parsed on first access;
    ``current_user`` is whoever the session cookie proved (None when signed out).
    """

    def __init__(
        self, handler: tornado.web.RequestHandler, params: dict[str, Any], raw_body: bytes = b""
    ) -> None:
        request = handler.request
        self._handler = handler
        self._request = request
        self.method: str = request.method or "GET"
        self.path: str = request.path
        self.url: str = request.uri or request.path
        self.headers: tornado.httputil.HTTPHeaders = request.headers
        self.params = params
        self.query: dict[str, Any] = {**parse_query(request.query), **params}
        self.raw_body = raw_body
        self.files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        self._body: Any = None
        self._parsed = False

    @property
    def remote_ip(self) -> str | None:
        return self._request.remote_ip

    @property
    def app_settings(self) -> Any:
        """The application's Settings (core.settings), read once at start."""
        return self._handler.settings.get("app_settings")

    @property
    def client_ip(self) -> str:
        """The client's address: the socket's peer unless a trusted proxy says otherwise."""
        return self._handler.client_ip

    @property
    def current_user(self) -> Any:
        return self._handler.current_user

    @property
    def current_session(self) -> Any:
        return self._handler.current_session

    @property
    def cookies(self) -> dict[str, str]:
        return {name: morsel.value for name, morsel in self._request.cookies.items()}

    def get_signed_cookie(self, name: str, max_age_days: float = 31) -> str | None:
        """The cookie's value if its signature is valid and younger than max_age_days, else None."""
        # min_version=2: version-1 values need a single secret and would raise with a key dict
        value = self._handler.get_signed_cookie(name, max_age_days=max_age_days, min_version=2)
        try:
            return value.decode() if value is not None else None
        except UnicodeDecodeError:
            return None

    @property
    def xsrf_token(self) -> str:
        """The XSRF token to send back in X-XSRFToken (reading it sets the _xsrf cookie)."""
        return self._handler.xsrf_token.decode()

    @property
    def body(self) -> Any:
        if not self._parsed:
            self._body = parse_body(self.headers.get("Content-Type", ""), self.raw_body, self.files)
            self._parsed = True
        return self._body
