"""Throttling of the credential endpoints, counted in the audit log so every worker shares it.

Each attempt is reserved before any bcrypt work (dal.audit.reserve), so concurrent attempts
never pass a limit; the flows settle it once checked. Login: LOGIN_MAX_FAILURES failures for
one email (existing or not: a lockout must not tell which accounts exist) within
LOGIN_WINDOW_SECONDS lock that email, even for the right password, until the window passes;
ADDRESS_MAX_FAILURES failures from one address do the same for the address. Sign-up:
SIGNUP_MAX_PER_ADDRESS attempts per address per hour, failed ones (an email already taken)
included. Password changes: ADDRESS_MAX_FAILURES failed attempts per address per window.
0 turns a limit off. An address is its throttle key (core.security.throttle_key: an IPv6
client by its /64), which is also what the audit log keeps.
"""

from __future__ import annotations

from auth.requests import Anyone, SignedIn
from core.security import throttle_key
from dal import audit
from dal.errors import TooManyAttempts

SIGNUP_WINDOW = 3600


def client(req: Anyone) -> audit.Client:
    return audit.Client(ip=throttle_key(req.client_ip), user_agent=req.headers.get("User-Agent"))


async def _reserve(req: Anyone, kind: str, limits: list[audit.Limit], **who: int | str | None) -> int:
    reservation = await audit.reserve(kind, client(req), limits, **who)
    if reservation.attempt is None:
        minutes = max(1, round(reservation.retry_after / 60))
        raise TooManyAttempts(
            f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            reservation.retry_after,
        )
    return reservation.attempt


async def login_attempt(req: Anyone, email: str) -> int:
    """Reserve a login for email (as a failure until settled), or raise TooManyAttempts."""
    settings = req.settings
    window = settings.login_window_seconds
    kinds = ("login_failed",)
    limits = [
        audit.Limit(kinds, "email", email, settings.login_max_failures, window, "login: account locked"),
        audit.Limit(
            kinds, "ip", client(req).ip, settings.address_max_failures, window, "login: address locked"
        ),
    ]
    return await _reserve(req, "login_failed", limits, email=email)


async def signup_attempt(req: Anyone, email: str) -> int:
    """Reserve a sign-up (failed until settled as "signup"), or raise TooManyAttempts."""
    limit = audit.Limit(
        ("signup", "signup_failed"),
        "ip",
        client(req).ip,
        req.settings.signup_max_per_address,
        SIGNUP_WINDOW,
        "signup: address limit",
    )
    return await _reserve(req, "signup_failed", [limit], email=email)


async def password_change_attempt(req: SignedIn) -> int:
    """Reserve a password change (failed until settled), or raise TooManyAttempts."""
    settings = req.settings
    limit = audit.Limit(
        ("password_change_failed",),
        "ip",
        client(req).ip,
        settings.address_max_failures,
        settings.login_window_seconds,
        "password change: address locked",
    )
    return await _reserve(req, "password_change_failed", [limit], user_id=req.user.id)
