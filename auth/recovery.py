"""Password reset, email verification and email changes: one implementation for the pages'
form actions and the JSON API. Each validates the input, reserves the attempt with the
throttles (auth.throttle), asks the DAL (which writes the change, its mail and its audit row
in one transaction), and settles the attempt when the DAL refused.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial

from auth import mails, reauth, throttle
from auth.forms import EmailChangeInput, PasswordResetInput, PasswordResetRequestInput, TokenInput
from auth.requests import Anyone, SignedIn
from auth.sessions import CookieChange
from core.validation import parse
from dal import audit, password_reset, verification
from dal.dto import UserDTO
from dal.errors import Conflict, EmailTaken, Invalid, InvalidInput

OFF = "off"
# a reset request is answered this many seconds after the account lookup began, whether the
# address has an account or not (both take far less), so the timing does not tell either
SAME_TIME = 0.25


def verification_mail(req: Anyone) -> verification.Compose | None:
    """The sign-up's verification mail, unless EMAIL_VERIFICATION is off."""
    return None if req.settings.email_verification == OFF else partial(mails.verify_email, req)


async def request_password_reset(req: Anyone) -> None:
    """The same answer for every address, after the same time: a mail goes only to an
    account's. An account's request does a little more work (its link, its mail) and wakes
    the sender, so the answer waits until SAME_TIME has passed since the lookup began, whichever
    it was (measured in bench/reset_timing.py)."""
    data = parse(PasswordResetRequestInput, req.body)
    attempt = await throttle.password_reset_attempt(req, data.email)
    lifetime = timedelta(seconds=req.settings.password_reset_ttl_seconds)
    loop = asyncio.get_running_loop()
    answer_at = loop.time() + SAME_TIME
    await password_reset.request_reset(data.email, partial(mails.password_reset, req), lifetime, attempt)
    await asyncio.sleep(max(0.0, answer_at - loop.time()))  # holds no database connection


async def reset_link_works(token: str) -> bool:
    return await password_reset.link_works(token)


async def reset_password(req: Anyone, body: object) -> tuple[UserDTO, CookieChange | None]:
    """Set a new password with a reset token: every session of the user ends. Returns the
    user, and the cookie change that signs this browser out when it was that user's."""
    data = parse(PasswordResetInput, body)
    attempt = await throttle.link_attempt(req, "password_reset_failed")
    notice = partial(mails.password_changed, req)
    try:
        user = await password_reset.reset_password(data.token, data.password, notice, attempt)
    except InvalidInput:
        await audit.settle(attempt, detail="invalid link")
        raise
    signed_in_as_them = req.user is not None and req.user.id == user.id
    return user, CookieChange(None) if signed_in_as_them else None


async def verification_link(token: str) -> verification.Link | None:
    return await verification.link(token)


async def verify_email(req: Anyone, body: object) -> verification.Confirmed:
    """Follow a verification link: the address is verified, or (an email change) changed."""
    data = parse(TokenInput, body)
    attempt = await throttle.link_attempt(req, "email_verification_failed")
    try:
        return await verification.confirm(data.token, attempt)
    except InvalidInput:
        await audit.settle(attempt, detail="invalid link")
        raise
    except Conflict:
        await audit.settle(attempt, detail="email taken")
        raise


async def resend_verification(req: SignedIn) -> None:
    if req.settings.email_verification == OFF:
        raise InvalidInput("Email verification is turned off.")
    attempt = await throttle.resend_attempt(req)
    try:
        await verification.resend(req.user, partial(mails.verify_email, req), attempt)
    except InvalidInput:
        await audit.settle(attempt, detail="verified already")
        raise


async def request_email_change(req: SignedIn) -> str:
    """With the current password, or within the re-authentication window without it
    (auth.reauth): a link to the new address, a notice to the old one. Returns the new
    address (it becomes the account's when the link is followed)."""
    data = parse(EmailChangeInput, req.body)
    current_password = data.current_password or None
    if current_password is None:
        reauth.require_recent(req)
    attempt = await throttle.email_change_attempt(req, data.email)
    compose = partial(mails.email_change, req, data.email)
    notice = partial(mails.email_change_notice, req, data.email)
    try:
        await verification.request_change(req.user, current_password, data.email, compose, notice, attempt)
    except Invalid as exc:
        await audit.settle(attempt, detail="wrong password" if "current_password" in exc.by_field else "same")
        raise
    except EmailTaken:
        await audit.settle(attempt, detail="email taken")
        raise
    return data.email
