"""The session cookie: one signed cookie named ``session`` in both modes, and the
Authenticator that core's ACCESS stages ask (core.access).

The optimistic stage (credential) reads the signed cookie once, without the database; the
secure stage (verify) has the DAL check the session. A tampered, expired, unknown or
garbage cookie means signed out, and is cleared, never an error.

"Keep me signed in" decides the cookie's life: checked, Max-Age 30 days (the session's own
life, see dal.sessions); unchecked, no Max-Age or Expires (the browser drops it when it
closes), while the server ends the session after 12 idle hours (database mode) or 12 hours
(stateless). The signature is accepted for MAX_AGE_DAYS either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.access import Holdback
from core.http import BaseHandler
from core.requests import Request
from core.responses import Response
from dal import sessions as dal_sessions
from dal.dto import UserDTO

COOKIE = "session"
MAX_AGE_DAYS = 30
MAX_AGE = MAX_AGE_DAYS * 24 * 3600
MAX_PAYLOAD = 512  # a token is 43 characters, a stateless payload under 100

NOT_VERIFIED = Holdback("Email address not verified", "/verify-email")
# EMAIL_VERIFICATION=required: what an unverified user may still use (by route name): their
# account (to correct the address), the verification pages, "send again", logging out, the
# password reset links (which work for whoever holds the mail), and the end of the account
OPEN_WHILE_UNVERIFIED = frozenset(
    {
        "account",
        "logout",
        "verify-email",
        "verify-email/[token]",
        "forgot-password",
        "reset-password/[token]",
        "api/me/email",
        "api/auth/verify-email/resend",
        # leaving is never held back: confirming who you are, deleting, exporting
        "reauth",
        "account/delete",
        "api/auth/reauth",
        "api/me/export",
    }
)


@dataclass(frozen=True)
class CurrentSession:
    payload: str  # what the cookie carries (see dal.sessions)
    id: int | None  # the sessions row in database mode
    persistent: bool = True  # "Keep me signed in" was checked
    reauthenticated_at: int | None = None  # the user's last proof of who they are (auth.reauth)


@dataclass(frozen=True)
class CookieChange:
    """A new value for the session cookie (None: clear it), to apply to the Request or to an
    API Response, which both have set_cookie/clear_cookie/rotate_xsrf_token. persistent:
    "Keep me signed in" (Max-Age 30 days), else a browser-session cookie (no Max-Age)."""

    payload: str | None
    persistent: bool = True
    clear: tuple[str, ...] = ()  # other cookies this change ends (a pending login's)
    # a new session (or none) gets a new XSRF token; the same session carried on with a new
    # payload (a stateless cookie after a re-authentication) keeps its token
    new_session: bool = True

    def apply(self, target: Request | Response) -> None:
        if self.payload is None:
            target.clear_cookie(COOKIE)
        else:
            target.set_cookie(COOKIE, self.payload, signed=True, **lifetime(self.persistent))
        for name in self.clear:
            target.clear_cookie(name)
        if self.new_session:  # a token seen before the new session is worth nothing
            target.rotate_xsrf_token()


def lifetime(persistent: bool) -> dict:
    """The session cookie's lifetime options: 30 days, or none (a browser-session cookie)."""
    return {"expires_days": MAX_AGE_DAYS, "max_age": MAX_AGE} if persistent else {"expires_days": None}


def stateless_expiry(payload: str) -> int | None:
    """The expiry a stateless payload claims, or None when it is not a stateless payload
    (any garbage, however nested, is None: it is read only after its signature passed)."""
    if not payload.startswith("{"):
        return None
    try:
        data = json.loads(payload)
        return int(data["exp"]) if isinstance(data, dict) else None
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
        return None


def looks_current(payload: str) -> bool:
    """Optimistic: a signed payload that has not yet expired by its own account. No database:
    the session may still have been revoked, which the secure check (verify_session) finds."""
    if len(payload) > MAX_PAYLOAD:
        return False
    if payload.startswith("{"):  # stateless: it carries its own expiry
        expiry = stateless_expiry(payload)
        return expiry is not None and expiry > dal_sessions.clock()
    return True


class SessionAuth:
    """The app's Authenticator (core.access): the two stages of ACCESS on the session cookie,
    and, with EMAIL_VERIFICATION=required, unverified users held back to /verify-email."""

    login_url = "/login"
    home_url = "/dashboard"

    def __init__(self, email_verification: str = "optional") -> None:
        self.verification_required = email_verification == "required"

    def credential(self, handler: BaseHandler) -> str | None:
        payload = handler.read_signed_cookie(COOKIE, MAX_AGE_DAYS)
        if payload is None or not looks_current(payload):
            if COOKIE in handler.request.cookies:
                handler.clear_cookie(COOKIE)  # tampered, expired or signed with a retired key
            return None
        return payload

    async def verify(self, handler: BaseHandler, payload: str) -> tuple[UserDTO, CurrentSession] | None:
        verified = await dal_sessions.verify_session(payload)
        if verified is None:
            handler.clear_cookie(COOKIE)
            return None
        if verified.refreshed_payload is not None:
            handler.write_cookie(
                COOKIE, verified.refreshed_payload, signed=True, **lifetime(verified.persistent)
            )
        return verified.user, CurrentSession(
            payload, verified.session_id, verified.persistent, verified.reauthenticated_at
        )

    def is_admin(self, user: UserDTO | None) -> bool:
        return user is not None and user.is_admin

    def holds_back(self, user: UserDTO, route_name: str) -> Holdback | None:
        if not self.verification_required or user.email_verified or route_name in OPEN_WHILE_UNVERIFIED:
            return None
        return NOT_VERIFIED

    def live_topics(self, payload: str, user: UserDTO) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """For a live page's socket (core.live): its session ends with this very cookie's
        logout; it is checked again whenever the user's sessions change (revoked, a password
        change, sign out everywhere)."""
        return (dal_sessions.ended_topic(payload),), (dal_sessions.sessions_topic(user.id),)
