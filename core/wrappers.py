"""Small wrappers around API handler functions, composed like the Next.js API-routes guide's
withCors(withRateLimit(withAuth(handler))).

CORS, the rate limit and who may call (ACCESS) are the framework's own stages, run by the
handler before any wrapper (core.http, core.cors): they answer errors raised anywhere, so
they cannot be wrappers. What remains composes around single functions: with_json_body, and
innermost the mapping of domain errors to answers that load_api_routes adds.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from core.errors import ApiError, ErrorAnswers, as_api_error
from core.requests import JSON_TYPES, Request, media_type

Handler = Callable[[Request], Awaitable[Any]]
Wrapper = Callable[[Handler], Handler]


def compose(*wrappers: Wrapper) -> Wrapper:
    """compose(a, b)(handler) == a(b(handler)): the first wrapper is the outermost."""

    def wrap(handler: Handler) -> Handler:
        for wrapper in reversed(wrappers):
            handler = wrapper(handler)
        return handler

    return wrap


def with_json_body(handler: Handler) -> Handler:
    """415 unless the body is declared JSON, so a cross-site "simple" request (a form, or
    text/plain) cannot reach the handler at all."""

    @functools.wraps(handler)
    async def json_only(req: Request) -> Any:
        kind = media_type(req.headers.get("Content-Type", ""))
        if kind not in JSON_TYPES and not kind.endswith("+json"):
            raise ApiError(415, "Send a JSON body with Content-Type: application/json")
        return await handler(req)

    return json_only


def mapped_errors(error_answers: ErrorAnswers | None) -> Wrapper:
    """Turn what route code raises into the ApiError that answers it (core.errors.as_api_error);
    anything unmapped goes on as it is (a bug: 500)."""

    def wrapper(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def mapped(req: Request) -> Any:
            try:
                return await handler(req)
            except Exception as exc:
                answer = as_api_error(exc, error_answers)
                if answer is None or answer is exc:
                    raise
                raise answer from exc

        return mapped

    return wrapper
