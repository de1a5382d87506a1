"""Who is asking: the secure checks every loader and handler starts with.

``ctx`` is a page's ctx or an API handler's req; its current_user was set by
dal.sessions.verify_session for this very request (it checked the database).
"""

from __future__ import annotations

from typing import Any

from dal.dto import UserDTO
from dal.errors import Forbidden, Unauthenticated


def current_user(ctx: Any) -> UserDTO | None:
    return ctx.current_user


def require_user(ctx: Any) -> UserDTO:
    """The signed-in user, or Unauthenticated (API: 401; page: redirect to /login?next=...)."""
    user = ctx.current_user
    if user is None:
        raise Unauthenticated()
    return user


def require_role(ctx: Any, role: str) -> UserDTO:
    """The signed-in user if they hold role, else Forbidden (403); signed out: Unauthenticated."""
    user = require_user(ctx)
    check_role(user, role)
    return user


def check_role(viewer: UserDTO, role: str) -> None:
    if viewer.role != role:
        raise Forbidden(f"This needs the {role} role.")
