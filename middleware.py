"""The app's hook for custom request rules: runs for every page request, before ACCESS is
checked and before the loader, with the one Request (core.requests). Return a Response to
answer the request here, or None to go on.

Who may open a page is not decided here: each page declares ACCESS in its own file
(core.access). Put here what is neither, such as a maintenance switch or a header rule.
"""

from __future__ import annotations

from core.requests import Request
from core.responses import Response


async def middleware(req: Request) -> Response | None:
    return None
