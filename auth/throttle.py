"""Throttling of the credential endpoints, counted in the audit log so every worker shares it.

Each attempt is reserved before any bcrypt work (dal.audit.reserve), so concurrent attempts
never pass a limit; the flows settle it once checked. Login: LOGIN_MAX_FAILURES failures for
one email (existing or not: a lockout must not tell which accounts exist) within
LOGIN_WINDOW_SECONDS lock that email, even for the right password, until the window passes;
ADDRESS_MAX_FAILURES failures from one address do the same for the address. Sign-up:
SIGNUP_MAX_PER_ADDRESS attempts per address per hour, failed ones (an email already taken)
included. Password changes: ADDRESS_MAX_FAILURES failed attempts per address per window.
Password reset requests: PASSWORD_RESET_MAX_PER_EMAIL per email (existing or not) and
PASSWORD_RESET_MAX_PER_ADDRESS per address an hour. Links from mails that do not work (unknown,
used, expired): ADDRESS_MAX_FAILURES per address per window. "Send the verification mail
again": 3 per account in 10 minutes. Email changes: 3 asked for one new address in 10 minutes,
and wrong current passwords count like failed password changes. Re-authentication: a wrong
password counts in the failed password changes' limit. Exports: 3 per account an hour.
0 turns a limit off. An
address is its throttle key (core.security.throttle_key: an IPv6 client by its /64), which is
also what the audit log keeps.
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


# wrong passwords of a signed-in user: a password change's current password and a
# re-authentication's count together (one limit, so one lock key: reserved atomically)
SIGNED_IN_PASSWORD_FAILURES = ("password_change_failed", "reauth_failed")


def _signed_in_password_limit(req: SignedIn) -> audit.Limit:
    settings = req.settings
    return audit.Limit(
        SIGNED_IN_PASSWORD_FAILURES,
        "ip",
        client(req).ip,
        settings.address_max_failures,
        settings.login_window_seconds,
        "password change: address locked",
    )


async def password_change_attempt(req: SignedIn) -> int:
    """Reserve a password change (failed until settled), or raise TooManyAttempts."""
    limit = _signed_in_password_limit(req)
    return await _reserve(req, "password_change_failed", [limit], user_id=req.user.id)


async def reauth_attempt(req: SignedIn) -> int:
    """Reserve a re-authentication with a password (failed until settled as
    "reauthenticated"), counted with failed password changes, or raise TooManyAttempts."""
    limit = _signed_in_password_limit(req)
    return await _reserve(req, "reauth_failed", [limit], user_id=req.user.id, email=req.user.email)


EXPORT_MOST, EXPORT_WINDOW = 3, 3600


async def export_attempt(req: SignedIn) -> int:
    """Reserve an export of the user's data: EXPORT_MOST per account per hour."""
    limit = audit.Limit(
        ("account_exported",), "user_id", req.user.id, EXPORT_MOST, EXPORT_WINDOW, "export: account limit"
    )
    return await _reserve(req, "account_exported", [limit], user_id=req.user.id, email=req.user.email)


RESET_WINDOW = 3600
RESEND_MOST, RESEND_WINDOW = 3, 600
EMAIL_CHANGE_MOST, EMAIL_CHANGE_WINDOW = 3, 600


async def password_reset_attempt(req: Anyone, email: str) -> int:
    """Reserve a reset request for email (counted whether or not it has an account)."""
    settings = req.settings
    kinds = ("password_reset_requested",)
    limits = [
        audit.Limit(
            kinds,
            "email",
            email,
            settings.password_reset_max_per_email,
            RESET_WINDOW,
            "password reset: email limit",
        ),
        audit.Limit(
            kinds,
            "ip",
            client(req).ip,
            settings.password_reset_max_per_address,
            RESET_WINDOW,
            "password reset: address limit",
        ),
    ]
    return await _reserve(req, "password_reset_requested", limits, email=email)


async def link_attempt(req: Anyone, failed_kind: str) -> int:
    """Reserve following a link from a mail (failed_kind until settled as a success)."""
    settings = req.settings
    limit = audit.Limit(
        (failed_kind,),
        "ip",
        client(req).ip,
        settings.address_max_failures,
        settings.login_window_seconds,
        f"{failed_kind}: address locked",
    )
    return await _reserve(req, failed_kind, [limit])


async def resend_attempt(req: SignedIn) -> int:
    """Reserve sending the verification mail again: RESEND_MOST per account per window."""
    limit = audit.Limit(
        ("verification_resent",),
        "email",
        req.user.email,
        RESEND_MOST,
        RESEND_WINDOW,
        "verification: resend limit",
    )
    return await _reserve(req, "verification_resent", [limit], user_id=req.user.id, email=req.user.email)


async def email_change_attempt(req: SignedIn, new_email: str) -> int:
    """Reserve an email change to new_email (failed until settled as requested)."""
    settings = req.settings
    limits = [
        audit.Limit(
            ("email_change_requested", "email_change_failed"),
            "email",
            new_email,
            EMAIL_CHANGE_MOST,
            EMAIL_CHANGE_WINDOW,
            "email change: limit for the new address",
        ),
        audit.Limit(
            ("email_change_failed",),
            "ip",
            client(req).ip,
            settings.address_max_failures,
            settings.login_window_seconds,
            "email change: address locked",
        ),
    ]
    return await _reserve(req, "email_change_failed", limits, user_id=req.user.id, email=new_email)


async def passkey_attempt(req: Anyone, user_id: int | None = None) -> int:
    """Reserve a passkey check (failed until settled as "passkey_used"): failed ones count
    against the address like failed logins, ADDRESS_MAX_FAILURES per LOGIN_WINDOW_SECONDS."""
    settings = req.settings
    limit = audit.Limit(
        ("passkey_failed",),
        "ip",
        client(req).ip,
        settings.address_max_failures,
        settings.login_window_seconds,
        "passkey: address locked",
    )
    return await _reserve(req, "passkey_failed", [limit], user_id=user_id)
