"""Credentialed CORS on /api for exactly the origins in CORS_ORIGINS (off when empty).

"null" and unlisted origins never get Access-Control-Allow-Origin. The headers go on every
answer to an allowed origin, errors included (the API handler adds them as default headers,
which Tornado sets again when it clears a response for an error). A preflight (OPTIONS with
Access-Control-Request-Method) is answered with the route's own methods.
"""

from __future__ import annotations

from collections.abc import Iterable

import tornado.httputil

ALLOW_HEADERS = "Content-Type, X-XSRFToken"
MAX_AGE = "600"


def allowed_origin(request: tornado.httputil.HTTPServerRequest, origins: Iterable[str]) -> str | None:
    origin = request.headers.get("Origin")
    return origin if origin is not None and origin != "null" and origin in origins else None


def cors_headers(request: tornado.httputil.HTTPServerRequest, origins: Iterable[str]) -> dict[str, str]:
    origin = allowed_origin(request, origins)
    if origin is None:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def preflight_headers(
    request: tornado.httputil.HTTPServerRequest, origins: Iterable[str], methods: Iterable[str]
) -> dict[str, str]:
    if allowed_origin(request, origins) is None or not request.headers.get("Access-Control-Request-Method"):
        return {}
    return {
        "Access-Control-Allow-Methods": ", ".join(methods),
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": MAX_AGE,
    }
