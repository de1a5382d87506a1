"""Optimistic route rules, run for every page request before routing: cookie only, no database.

Signed-out visitors to the protected areas go to /login?next=...; signed-in visitors to the
login and sign-up pages go to /dashboard. These checks only spare a round trip: each page
still makes the secure check through the DAL (dal.require_user / dal.require_role).
"""

from __future__ import annotations

from urllib.parse import urlencode

from auth.sessions import looks_signed_in
from core.requests import Request
from core.responses import Response, redirect

PROTECTED = ("/dashboard", "/account", "/admin", "/posts/new")
PUBLIC_ONLY = ("/login", "/signup")


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


async def middleware(req: Request) -> Response | None:
    status = 307 if req.method in ("GET", "HEAD") else 303
    if _under(req.path, PROTECTED) and not looks_signed_in(req):
        return redirect("/login?" + urlencode({"next": req.url}), status)
    if _under(req.path, PUBLIC_ONLY) and looks_signed_in(req):
        return redirect("/dashboard", status)
    return None
