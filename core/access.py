"""Who may call a route: each page or API module declares ACCESS, core enforces it.

``ACCESS = "public"`` (the default), ``"user"`` (signed in), ``"admin"`` (signed in with the
admin role) or ``"guest"`` (signed-out visitors only, like /login). A module whose methods
differ gives a dict by HTTP method: ``ACCESS = {"GET": "public", "POST": "user"}`` (HEAD
follows GET; methods not named get "public").

Two stages, as in the Next.js authentication guide:
- optimistic, before any database work, from the signed cookie alone (Authenticator.credential);
- secure, once the session is verified (Authenticator.verify), with the same answers for a
  session that turns out invalid, and 403 for "admin" without the role.
The data layer still applies its row-level rules: ACCESS says who may call, not what they see.

An app may also hold a signed-in user back from routes until something is done (confirming
their email address): Authenticator.holds_back(user, route_name) returns a Holdback; then
API routes that need a user answer 403 with its reason, and pages send the user to its page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.routing import RouteDeclarationError

PUBLIC, USER, ADMIN, GUEST = "public", "user", "admin", "guest"
LEVELS = (PUBLIC, USER, ADMIN, GUEST)
NEEDS_USER = (USER, ADMIN)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Holdback:
    """Why a signed-in user may not use a route yet: API routes that need a user answer 403
    {"error": reason}; every page sends them to page (where they can do what is missing)."""

    reason: str
    page: str


class Authenticator(Protocol):
    """What the app tells core about its sessions (auth.sessions implements it)."""

    login_url: str  # where a signed-out visitor of a "user" page is sent (with ?next=)
    home_url: str  # where a signed-in visitor of a "guest" page is sent

    def credential(self, handler: Any) -> Any | None:
        """Optimistic: the session cookie's payload if it is validly signed and unexpired, else
        None (clearing a bad cookie). No database."""

    async def verify(self, handler: Any, credential: Any) -> tuple[Any, Any] | None:
        """Secure: (user, session) when the session is current, else None."""

    def is_admin(self, user: Any) -> bool: ...

    # optional: def holds_back(self, user: Any, route_name: str) -> Holdback | None, asked once
    # the session is verified, for every route a signed-in user calls (see Holdback)
    # Optional, for live pages (core.live): def live_topics(credential, user) -> (ends, checks):
    # announcements that end this very session (a live socket opened with it closes at once),
    # and those after which the socket runs its page again, which checks the session anew.


def declared_access(module: Any, where: Path | str) -> dict[str, str]:
    """The module's ACCESS as {METHOD: level}; a bad declaration raises RouteDeclarationError (a
    TypeError) naming the file."""
    raw = getattr(module, "ACCESS", PUBLIC)
    if isinstance(raw, str):
        if raw not in LEVELS:
            raise RouteDeclarationError(
                f"{where}: ACCESS = {raw!r}; use one of {', '.join(map(repr, LEVELS))}"
            )
        return dict.fromkeys(METHODS, raw)
    if not isinstance(raw, Mapping):
        raise RouteDeclarationError(
            f"{where}: ACCESS must be a string or a dict by HTTP method, not {type(raw).__name__}"
        )
    levels = dict.fromkeys(METHODS, PUBLIC)
    for method, level in raw.items():
        name = str(method).upper()
        if name not in METHODS or level not in LEVELS:
            raise RouteDeclarationError(
                f"{where}: ACCESS[{method!r}] = {level!r}; methods are {', '.join(METHODS)} "
                f"and levels {', '.join(LEVELS)}"
            )
        levels[name] = level
    if "GET" in {str(m).upper() for m in raw} and "HEAD" not in {str(m).upper() for m in raw}:
        levels["HEAD"] = levels["GET"]
    return levels


def describe(levels: Mapping[str, str], methods: tuple[str, ...]) -> str:
    """ "user", or "GET public, POST user" when methods differ (for `python app.py routes`)."""
    shown = [m for m in methods if m not in ("HEAD", "OPTIONS")] or list(methods)
    distinct = {levels.get(m, PUBLIC) for m in shown}
    if len(distinct) <= 1:
        return distinct.pop() if distinct else PUBLIC
    return ", ".join(f"{m} {levels.get(m, PUBLIC)}" for m in shown)
