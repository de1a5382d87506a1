"""The session cookie: one signed cookie named ``session`` in both modes.

``authenticate`` is the hook every page and API request runs (core's BaseHandler calls it in
prepare): it reads the cookie, has the DAL verify it, and sets current_user. A tampered,
expired, unknown or garbage cookie means signed out, and is cleared, never an error.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from dal import sessions as dal_sessions

COOKIE = "session"
MAX_AGE_DAYS = 7
MAX_AGE = MAX_AGE_DAYS * 24 * 3600


@dataclass(frozen=True)
class CurrentSession:
    payload: str  # what the cookie carries (see dal.sessions)
    id: int | None  # the sessions row in database mode


@dataclass(frozen=True)
class CookieChange:
    """A new value for the session cookie (None: clear it), to apply to a page's ctx or an API
    Response, which both have set_cookie/clear_cookie."""

    payload: str | None

    def apply(self, target: Any) -> None:
        if self.payload is None:
            target.clear_cookie(COOKIE)
        else:
            target.set_cookie(COOKIE, self.payload, signed=True, expires_days=MAX_AGE_DAYS, max_age=MAX_AGE)
        # a new session (or none) gets a new XSRF token: one seen before it is worth nothing
        target.rotate_xsrf_token()


def _payload(handler: Any) -> str | None:
    raw = handler.get_signed_cookie(COOKIE, max_age_days=MAX_AGE_DAYS, min_version=2)
    try:
        return raw.decode() if raw is not None else None
    except UnicodeDecodeError:
        return None


async def authenticate(handler: Any) -> None:
    """Set handler.current_user and handler.current_session from the session cookie."""
    handler.current_user = None
    payload = _payload(handler)
    if payload is None:
        if COOKIE in handler.request.cookies:
            handler.clear_cookie(COOKIE)  # tampered, expired or signed with a retired key
        return
    verified = await dal_sessions.verify_session(payload)
    if verified is None:
        handler.clear_cookie(COOKIE)
        return
    handler.current_user = verified.user
    handler.current_session = CurrentSession(payload, verified.session_id)
    if verified.refreshed_payload is not None:
        handler.write_cookie(
            COOKIE, verified.refreshed_payload, signed=True, expires_days=MAX_AGE_DAYS, max_age=MAX_AGE
        )


def looks_signed_in(req: Any) -> bool:
    """The optimistic check for middleware: a validly signed, unexpired cookie. No database:
    the session may still have been revoked, which the secure check (verify_session) finds."""
    payload = req.get_signed_cookie(COOKIE, max_age_days=MAX_AGE_DAYS)
    if payload is None:
        return False
    if payload.startswith("{"):  # stateless: it carries its own expiry
        try:
            return int(json.loads(payload)["exp"]) > time.time()
        except (ValueError, TypeError, KeyError):
            return False
    return True
