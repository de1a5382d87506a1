"""Sign-up, login, logout and the account changes: one implementation, used by the pages'
form actions and by the JSON API alike. Each checks the throttles, writes the audit log,
and returns what changed, including the session cookie to set (CookieChange); it raises
ApiErrors (400 validation, 401, 409, 429) otherwise."""

from __future__ import annotations

from typing import Any

from auth import throttle
from auth.forms import LoginInput, NameInput, PasswordChangeInput, SignupInput, parse
from auth.sessions import CookieChange
from core.errors import ApiError
from dal import audit
from dal import sessions as dal_sessions
from dal import users as dal_users
from dal.access import require_user
from dal.dto import UserDTO

INVALID_CREDENTIALS = "Invalid credentials."


async def _fresh_session(req: Any, user: UserDTO) -> CookieChange:
    """End whatever session the request carried, then start a new one (no fixation)."""
    if req.current_session is not None:
        await dal_sessions.end_session(req.current_session.payload)
    payload = await dal_sessions.create_session(
        user.id, user_agent=req.headers.get("User-Agent"), ip=req.client_ip
    )
    return CookieChange(payload)


async def signup(req: Any) -> tuple[UserDTO, CookieChange]:
    data = parse(SignupInput, req.body)
    await throttle.check_signup(req)
    user = await dal_users.create_user(data.name, data.email, data.password)
    await audit.record("signup", throttle.client(req), user_id=user.id, email=user.email)
    return user, await _fresh_session(req, user)


async def login(req: Any) -> tuple[UserDTO, CookieChange]:
    data = parse(LoginInput, req.body)
    await throttle.check_login(req, data.email)
    user, reason = await dal_users.verify_credentials(data.email, data.password)
    if user is None:
        await audit.record("login_failed", throttle.client(req), email=data.email, detail=reason)
        raise ApiError(401, INVALID_CREDENTIALS)
    await audit.record("login", throttle.client(req), user_id=user.id, email=user.email)
    return user, await _fresh_session(req, user)


async def logout(req: Any) -> CookieChange:
    if req.current_session is not None:
        await dal_sessions.end_session(req.current_session.payload)
        await audit.record("logout", throttle.client(req), user_id=req.current_user.id)
    return CookieChange(None)


async def rename(req: Any) -> UserDTO:
    viewer = require_user(req)
    return await dal_users.rename(viewer, parse(NameInput, req.body).name)


async def change_password(req: Any) -> CookieChange:
    """Ends every other session (both modes) and keeps this one."""
    viewer = require_user(req)
    data = parse(PasswordChangeInput, req.body)
    await throttle.check_password_change(req)
    try:
        await dal_users.change_password(viewer, data.current_password, data.new_password)
    except ApiError:
        await audit.record(
            "password_change_failed", throttle.client(req), user_id=viewer.id, detail="wrong password"
        )
        raise
    await audit.record("password_changed", throttle.client(req), user_id=viewer.id)
    return CookieChange(await dal_sessions.renew(viewer, req.current_session.payload))


async def sign_out_everywhere_else(req: Any) -> CookieChange:
    viewer = require_user(req)
    change = CookieChange(await dal_sessions.end_other_sessions(viewer, req.current_session.payload))
    await audit.record("signed_out_everywhere", throttle.client(req), user_id=viewer.id)
    return change


async def revoke_session(req: Any, session_id: int) -> None:
    viewer = require_user(req)
    await dal_sessions.end_session_by_id(viewer, session_id)
    await audit.record(
        "session_revoked", throttle.client(req), user_id=viewer.id, detail=f"session {session_id}"
    )


async def change_role(req: Any, user_id: int, role: str) -> UserDTO:
    viewer = require_user(req)
    changed = await dal_users.set_role(viewer, user_id, role)
    await audit.record(
        "role_changed",
        throttle.client(req),
        user_id=changed.id,
        email=changed.email,
        detail=f"to {role} by {viewer.email}",
    )
    return changed
