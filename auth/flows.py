"""Sign-up, login, logout and the account changes: one implementation, used by the pages'
form actions and by the JSON API alike (password reset, verification and email changes are in
auth.recovery). Each validates the input, reserves the attempt with the throttles before any
bcrypt work, writes the audit log, and returns what changed, including the session cookie to
set (CookieChange); refusals are ValidationFailed or dal.errors (mapped to answers in app.py).
Sign-up mails a verification link, in the account's own transaction, unless
EMAIL_VERIFICATION is off. A login for an account with a second factor ends in a pending login
(auth.two_factor), not a session. The end of an account (delete, export) is here too;
re-authentication is auth.reauth."""

from __future__ import annotations

from functools import partial
from typing import Any

from auth import mails, reauth, recovery, throttle, two_factor
from auth.forms import LoginInput, NameInput, PasswordChangeInput, SignupInput
from auth.requests import Anyone, SignedIn
from auth.sessions import CookieChange
from auth.two_factor import PendingChange
from core.validation import parse
from dal import accounts, audit
from dal import sessions as dal_sessions
from dal import users as dal_users
from dal.dto import Authenticated, UserDTO
from dal.errors import EmailTaken, Invalid, Unauthenticated

INVALID_CREDENTIALS = "Invalid credentials."
CHANGED_DURING_CHECK = "credentials changed during the check"


async def _fresh_session(req: Anyone, who: Authenticated, *, persistent: bool) -> CookieChange | None:
    """End whatever session the request carried, then start a new one (no fixation); None
    when the credentials changed while they were being checked."""
    if req.session is not None:
        await dal_sessions.end_session(req.session.payload)
    payload = await dal_sessions.create_session(
        who, user_agent=req.headers.get("User-Agent"), ip=req.client_ip, persistent=persistent
    )
    return CookieChange(payload, persistent=persistent) if payload is not None else None


# the one way a proof of identity (a password, a passkey) becomes a session
start_session = _fresh_session


async def signup(req: Anyone) -> tuple[UserDTO, CookieChange]:
    data = parse(SignupInput, req.body)
    attempt = await throttle.signup_attempt(req, data.email)
    try:
        who = await dal_users.create_user(
            data.name, data.email, data.password, verification=recovery.verification_mail(req)
        )
    except EmailTaken:
        await audit.settle(attempt, detail="email taken")
        raise
    await audit.settle(attempt, kind="signup", user_id=who.user.id, email=who.user.email)
    cookie = await _fresh_session(req, who, persistent=True)
    if cookie is None:  # the new account was changed already (signed out everywhere)
        raise Unauthenticated(INVALID_CREDENTIALS)
    return who.user, cookie


async def login(req: Anyone) -> tuple[UserDTO, CookieChange | PendingChange]:
    """The password step: a session (CookieChange), or, for an account with a second factor,
    a pending login (PendingChange) that the second step (auth.two_factor) completes."""
    data = parse(LoginInput, req.body)
    attempt = await throttle.login_attempt(req, data.email)
    who, reason = await dal_users.verify_credentials(data.email, data.password)
    if who is not None and (methods := await two_factor.methods(who.user.id, req.settings)):
        pending = await two_factor.begin(req, who, remember=data.remember, methods=methods)
        await audit.settle(
            attempt,
            kind="login_pending",
            user_id=who.user.id,
            email=who.user.email,
            detail="second factor awaited",
        )
        return who.user, pending
    cookie = await _fresh_session(req, who, persistent=data.remember) if who is not None else None
    if who is None or cookie is None:
        await audit.settle(attempt, detail=reason if who is None else CHANGED_DURING_CHECK)
        raise Unauthenticated(INVALID_CREDENTIALS)
    await audit.settle(attempt, kind="login", user_id=who.user.id, email=who.user.email)
    return who.user, cookie


async def logout(req: Anyone) -> CookieChange:
    if req.session is not None and req.user is not None:
        await dal_sessions.end_session(req.session.payload)
        await audit.record("logout", throttle.client(req), user_id=req.user.id)
    return CookieChange(None)


async def rename(req: SignedIn) -> UserDTO:
    return await dal_users.rename(req.user, parse(NameInput, req.body).name)


async def change_password(req: SignedIn) -> CookieChange:
    """Ends every other session (both modes) and keeps this one."""
    data = parse(PasswordChangeInput, req.body)
    attempt = await throttle.password_change_attempt(req)
    try:
        await dal_users.change_password(req.user, data.current_password, data.new_password)
    except Invalid:
        await audit.settle(attempt, detail="wrong password")
        raise
    await audit.settle(attempt, kind="password_changed")
    return CookieChange(
        await dal_sessions.renew(req.user, req.session.payload), persistent=req.session.persistent
    )


async def sign_out_everywhere_else(req: SignedIn) -> CookieChange:
    change = CookieChange(
        await dal_sessions.end_other_sessions(req.user, req.session.payload),
        persistent=req.session.persistent,
    )
    await audit.record("signed_out_everywhere", throttle.client(req), user_id=req.user.id)
    return change


async def revoke_session(req: SignedIn, session_id: int | str) -> None:
    ended = await dal_sessions.end_session_by_id(req.user, session_id)
    await audit.record(
        "session_revoked", throttle.client(req), user_id=req.user.id, detail=f"session {ended}"
    )


async def change_role(req: SignedIn, user_id: int | str, role: str) -> UserDTO:
    """The change and its audit row commit together (dal.users.set_role)."""
    return await dal_users.set_role(req.user, user_id, role, throttle.client(req))


async def delete_account(req: SignedIn) -> CookieChange:
    """The end of the account, re-authenticated (auth.reauth): the user and everything that
    is theirs go, a notice is mailed, the audit log keeps the event (dal.accounts). Returns
    the cookie change that signs this browser out. Conflict for the last admin."""
    reauth.require_recent(req)
    await accounts.delete_account(req.user, throttle.client(req), partial(mails.account_deleted, req))
    return CookieChange(None)


async def export_account(req: SignedIn) -> dict[str, Any]:
    """Everything stored about the user as one document (dal.accounts.export_account); at most
    a few an hour (auth.throttle.export_attempt), each an "account_exported" audit event."""
    attempt = await throttle.export_attempt(req)
    await audit.settle(attempt)  # a success: the event says "account_exported", no detail
    return await accounts.export_account(req.user)
