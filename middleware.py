"""Optimistic route rules, run for every page request before routing (cookie only, no database).

Return None to let the request through, or a Response (core.responses.redirect(...) or
Response(...)) to answer instead. The auth issue fills in the protected and public-only paths.
"""

from __future__ import annotations

from core.requests import Request
from core.responses import Response


async def middleware(req: Request) -> Response | None:
    return None
