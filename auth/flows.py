"""Sign-up, login, logout and the account changes: one implementation, used by the pages'
form actions and by the JSON API alike. Each returns what changed, including the session
cookie to set (CookieChange), and raises ApiErrors (400 validation, 401, 409) otherwise."""

from __future__ import annotations

from typing import Any

from auth.forms import LoginInput, NameInput, PasswordChangeInput, SignupInput, parse
from auth.sessions import CookieChange
from core.errors import ApiError
from dal import sessions as dal_sessions
from dal import users as dal_users
from dal.access import require_user
from dal.dto import UserDTO

INVALID_CREDENTIALS = "Invalid credentials."


def _client(req: Any) -> dict[str, Any]:
    return {"user_agent": req.headers.get("User-Agent"), "ip": req.remote_ip}


async def _fresh_session(req: Any, user: UserDTO) -> CookieChange:
    """End whatever session the request carried, then start a new one (no fixation)."""
    if req.current_session is not None:
        await dal_sessions.end_session(req.current_session.payload)
    return CookieChange(await dal_sessions.create_session(user.id, **_client(req)))


async def signup(req: Any) -> tuple[UserDTO, CookieChange]:
    data = parse(SignupInput, req.body)
    user = await dal_users.create_user(data.name, data.email, data.password)
    return user, await _fresh_session(req, user)


async def login(req: Any) -> tuple[UserDTO, CookieChange]:
    data = parse(LoginInput, req.body)
    user = await dal_users.verify_credentials(data.email, data.password)
    if user is None:
        raise ApiError(401, INVALID_CREDENTIALS)
    return user, await _fresh_session(req, user)


async def logout(req: Any) -> CookieChange:
    if req.current_session is not None:
        await dal_sessions.end_session(req.current_session.payload)
    return CookieChange(None)


async def rename(req: Any) -> UserDTO:
    viewer = require_user(req)
    return await dal_users.rename(viewer, parse(NameInput, req.body).name)


async def change_password(req: Any) -> CookieChange:
    """Ends every other session (both modes) and keeps this one."""
    viewer = require_user(req)
    data = parse(PasswordChangeInput, req.body)
    await dal_users.change_password(viewer, data.current_password, data.new_password)
    return CookieChange(await dal_sessions.renew(viewer, req.current_session.payload))


async def sign_out_everywhere_else(req: Any) -> CookieChange:
    viewer = require_user(req)
    return CookieChange(await dal_sessions.end_other_sessions(viewer, req.current_session.payload))
