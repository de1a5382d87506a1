"""Throttling of the credential endpoints, counted in the audit log so every worker shares it.

Login: LOGIN_MAX_FAILURES failures for one email (existing or not: a lockout must not tell
which accounts exist) within LOGIN_WINDOW_SECONDS lock that email, even for the right
password, until the window passes; ADDRESS_MAX_FAILURES failures from one address do the same
for the address. Sign-up: SIGNUP_MAX_PER_ADDRESS per address per hour. Password changes:
ADDRESS_MAX_FAILURES failed attempts per address per window. 0 turns a limit off.
"""

from __future__ import annotations

from auth.requests import Anyone
from dal import audit
from dal.errors import TooManyAttempts

SIGNUP_WINDOW = 3600


def client(req: Anyone) -> audit.Client:
    return audit.Client(ip=req.client_ip, user_agent=req.headers.get("User-Agent"))


async def _refuse_past(
    req: Anyone, limit: int, kind: str, window: int, *, email=None, ip=None, what: str
) -> None:  # noqa: ANN001
    if limit <= 0:
        return
    count, retry_after = await audit.recent_count(kind, window, email=email, ip=ip)
    if count >= limit:
        await audit.record("throttled", client(req), email=email, detail=what)
        minutes = max(1, round(retry_after / 60))
        raise TooManyAttempts(
            f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.", retry_after
        )


async def check_login(req: Anyone, email: str) -> None:
    settings = req.settings
    window = settings.login_window_seconds
    await _refuse_past(
        req, settings.login_max_failures, "login_failed", window, email=email, what="login: account locked"
    )
    await _refuse_past(
        req,
        settings.address_max_failures,
        "login_failed",
        window,
        ip=req.client_ip,
        what="login: address locked",
    )


async def check_signup(req: Anyone) -> None:
    settings = req.settings
    await _refuse_past(
        req,
        settings.signup_max_per_address,
        "signup",
        SIGNUP_WINDOW,
        ip=req.client_ip,
        what="signup: address limit",
    )


async def check_password_change(req: Anyone) -> None:
    settings = req.settings
    await _refuse_past(
        req,
        settings.address_max_failures,
        "password_change_failed",
        settings.login_window_seconds,
        ip=req.client_ip,
        what="password change: address locked",
    )
