"""Small wrappers around API handler functions, composed like the Next.js API-routes guide's
withCors(withRateLimit(withAuth(handler))).

The app applies CORS and the rate limit to every API route (build_application's
api_wrappers, in this order); with_auth and with_json_body decorate single handlers. The
stated order, outermost first: CORS (so every answer, errors included, carries its headers),
rate limit (counts every request, signed in or not), then auth and body checks, then the
handler.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from core.errors import ApiError
from core.requests import JSON_TYPES, Request, media_type
from core.responses import Response, empty

Handler = Callable[[Request], Awaitable[Any]]
Wrapper = Callable[[Handler], Handler]
Counter = Callable[[str, int], Awaitable[tuple[int, int]]]  # (key, window) -> (count, seconds left)

CORS_HEADERS = "Content-Type, X-XSRFToken"
CORS_MAX_AGE = "600"


def compose(*wrappers: Wrapper) -> Wrapper:
    """compose(a, b)(handler) == a(b(handler)): the first wrapper is the outermost."""

    def wrap(handler: Handler) -> Handler:
        for wrapper in reversed(wrappers):
            handler = wrapper(handler)
        return handler

    return wrap


def as_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(body=result)


def with_cors(origins: Iterable[str]) -> Wrapper:
    """Credentialed CORS for exactly these origins; "null" and unlisted origins get no
    Access-Control-Allow-Origin at all. An empty list turns CORS off. A preflight (OPTIONS
    with Access-Control-Request-Method) is answered with the route's own methods."""
    allowed = frozenset(o for o in origins if o != "null")

    def wrapper(handler: Handler) -> Handler:
        if not allowed:
            return handler

        @functools.wraps(handler)
        async def cors(req: Request) -> Any:
            origin = req.headers.get("Origin")
            if origin not in allowed:
                return await handler(req)
            headers = {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Vary": "Origin",
            }
            try:
                response = as_response(await handler(req))
            except ApiError as exc:
                exc.headers.update(headers)
                raise
            if req.method == "OPTIONS" and req.headers.get("Access-Control-Request-Method"):
                methods = response.headers.get("Allow", "").replace(", OPTIONS", "")
                headers.update(
                    {
                        "Access-Control-Allow-Methods": methods,
                        "Access-Control-Allow-Headers": CORS_HEADERS,
                        "Access-Control-Max-Age": CORS_MAX_AGE,
                    }
                )
            response.headers.update(headers)
            return response

        return cors

    return wrapper


def with_rate_limit(limit: int, window: int, counter: Counter, scope: str = "api") -> Wrapper:
    """At most `limit` requests per client address per `window` seconds (0 turns it off); the
    count lives wherever `counter` keeps it (the database, so every worker shares it)."""

    def wrapper(handler: Handler) -> Handler:
        if limit <= 0:
            return handler

        @functools.wraps(handler)
        async def limited(req: Request) -> Any:
            count, retry_after = await counter(f"{scope}:{req.client_ip}", window)
            if count > limit:
                raise ApiError(
                    429,
                    "Too many requests: slow down and try again later.",
                    headers={"Retry-After": str(retry_after)},
                )
            return await handler(req)

        return limited

    return wrapper


def with_auth(handler: Handler) -> Handler:
    """401 {"error": "User is not authenticated"} unless the session proved a user."""

    @functools.wraps(handler)
    async def authenticated(req: Request) -> Any:
        if req.current_user is None:
            raise ApiError(401, "User is not authenticated")
        return await handler(req)

    return authenticated


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


def preflight(allowed: Iterable[str]) -> Handler:
    """The OPTIONS handler of a route serving `allowed` (CORS adds its headers around it)."""
    header = ", ".join((*allowed, "OPTIONS"))

    async def options(req: Request) -> Response:
        return empty(204, headers={"Allow": header})

    return options
