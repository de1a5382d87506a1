"""Sign-up, login, logout and the account changes: one implementation, used by the pages'
form actions and by the JSON API alike. Each validates the input, checks the throttles,
writes the audit log, and returns what changed, including the session cookie to set
(CookieChange); refusals are ValidationFailed or dal.errors (mapped to answers in app.py)."""

from __future__ import annotations

from auth import throttle
from auth.forms import LoginInput, NameInput, PasswordChangeInput, SignupInput
from auth.requests import Anyone, SignedIn
from auth.sessions import CookieChange
from core.validation import parse
from dal import audit
from dal import sessions as dal_sessions
from dal import users as dal_users
from dal.dto import UserDTO
from dal.errors import Invalid, Unauthenticated

INVALID_CREDENTIALS = "Invalid credentials."


async def _fresh_session(req: Anyone, user: UserDTO) -> CookieChange:
    """End whatever session the request carried, then start a new one (no fixation)."""
    if req.session is not None:
        await dal_sessions.end_session(req.session.payload)
    payload = await dal_sessions.create_session(
        user.id, user_agent=req.headers.get("User-Agent"), ip=req.client_ip
    )
    return CookieChange(payload)


async def signup(req: Anyone) -> tuple[UserDTO, CookieChange]:
    data = parse(SignupInput, req.body)
    await throttle.check_signup(req)
    user = await dal_users.create_user(data.name, data.email, data.password)
    await audit.record("signup", throttle.client(req), user_id=user.id, email=user.email)
    return user, await _fresh_session(req, user)


async def login(req: Anyone) -> tuple[UserDTO, CookieChange]:
    data = parse(LoginInput, req.body)
    await throttle.check_login(req, data.email)
    user, reason = await dal_users.verify_credentials(data.email, data.password)
    if user is None:
        await audit.record("login_failed", throttle.client(req), email=data.email, detail=reason)
        raise Unauthenticated(INVALID_CREDENTIALS)
    await audit.record("login", throttle.client(req), user_id=user.id, email=user.email)
    return user, await _fresh_session(req, user)


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
    await throttle.check_password_change(req)
    try:
        await dal_users.change_password(req.user, data.current_password, data.new_password)
    except Invalid:
        await audit.record(
            "password_change_failed", throttle.client(req), user_id=req.user.id, detail="wrong password"
        )
        raise
    await audit.record("password_changed", throttle.client(req), user_id=req.user.id)
    return CookieChange(await dal_sessions.renew(req.user, req.session.payload))


async def sign_out_everywhere_else(req: SignedIn) -> CookieChange:
    change = CookieChange(await dal_sessions.end_other_sessions(req.user, req.session.payload))
    await audit.record("signed_out_everywhere", throttle.client(req), user_id=req.user.id)
    return change


async def revoke_session(req: SignedIn, session_id: int | str) -> None:
    ended = await dal_sessions.end_session_by_id(req.user, session_id)
    await audit.record(
        "session_revoked", throttle.client(req), user_id=req.user.id, detail=f"session {ended}"
    )


async def change_role(req: SignedIn, user_id: int | str, role: str) -> UserDTO:
    changed = await dal_users.set_role(req.user, user_id, role)
    await audit.record(
        "role_changed",
        throttle.client(req),
        user_id=changed.id,
        email=changed.email,
        detail=f"to {role} by {req.user.email}",
    )
    return changed
