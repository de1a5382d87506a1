"""Re-authentication ("sudo mode"): sensitive actions need the session's user to have proved
who they are within the last REAUTH_WINDOW_SECONDS. The login itself is a proof; so is
confirm() (POST /api/auth/reauth, the /reauth page).

For routes, one call: ``reauth.require_recent(req)`` raises dal.errors.ReauthRequired, which
app.py answers with 403 {"error": ..., "reauth_required": true} on the API and, on pages, a
redirect to /reauth?next=<the page> that comes back once the person has confirmed.

Verifiers (confirm's keyword arguments): each proves the user in its own way, then _proved()
records it (the session's time, the audit event). ``password`` is checked here, reserved in the
signed-in failed-password throttle before bcrypt (auth.throttle.reauth_attempt). ``code`` (a TOTP
or recovery code) is _verify_code, to fill in when two-factor authentication lands; a passkey
assertion is a verifier of the same shape (verify it, then ``await _proved(req, "passkey")``).
Times come from dal.reauth.clock, which tests move.
"""

from __future__ import annotations

from auth import throttle
from auth.forms import ReauthInput
from auth.requests import SignedIn
from auth.sessions import CookieChange
from core.validation import parse
from dal import audit
from dal import reauth as dal_reauth
from dal import sessions as dal_sessions
from dal import users as dal_users
from dal.dto import iso
from dal.errors import Invalid, InvalidInput, ReauthRequired

WRONG_PASSWORD = "The password is not correct."
CODES_NOT_AVAILABLE = "Two-factor codes are not available for this account: confirm with your password."


def window(req: SignedIn) -> int:
    return req.settings.reauth_window_seconds


def proved_at(req: SignedIn) -> int | None:
    """When this session's user last proved who they are (epoch seconds), if known."""
    session = req.session
    return getattr(session, "reauthenticated_at", None) if session is not None else None


def is_recent(req: SignedIn) -> bool:
    return dal_reauth.is_recent(proved_at(req), window(req))


def until(req: SignedIn) -> str | None:
    """Until when the last proof covers sensitive actions (ISO 8601, UTC), or None."""
    moment = dal_reauth.until(proved_at(req), window(req))
    return iso(dal_reauth.as_datetime(moment)) if moment is not None else None


def until_from_now(seconds: int) -> str:
    """The end of a window starting now (ISO 8601, UTC): what a proof just made covers."""
    return iso(dal_reauth.as_datetime(dal_reauth.now() + seconds))


def require_recent(req: SignedIn) -> None:
    """The one call a sensitive route makes before acting (and a page that leads to one, on
    GET): raises ReauthRequired unless the user proved who they are within the window."""
    if not is_recent(req):
        raise ReauthRequired()


async def confirm_request(req: SignedIn) -> CookieChange | None:
    """confirm() with the verifier the request's body carries ({"password"} or {"code"})."""
    data = parse(ReauthInput, req.body)
    return await confirm(req, password=data.password, code=data.code)


async def confirm(
    req: SignedIn, *, password: str | None = None, code: str | None = None
) -> CookieChange | None:
    """The user proves who they are again with exactly one verifier. Raises Invalid naming the
    field (wrong or missing), TooManyAttempts, or InvalidInput (a verifier the account has
    not). Returns the cookie to set (stateless mode: the payload carries the time), or None
    (database mode: the session's row holds it)."""
    if password and code:
        raise Invalid("password", "Send either a password or a code, not both.")
    if code:
        await _verify_code(req, code)
        return await _proved(req, "code")
    if not password:
        raise Invalid("password", "Enter your password.")
    attempt = await throttle.reauth_attempt(req)
    if not await dal_users.password_matches(req.user, password):
        await audit.settle(attempt, detail="wrong password")
        raise Invalid("password", WRONG_PASSWORD)
    return await _proved(req, "password", attempt)


# --- verifiers to add --------------------------------------------------------------------------


async def _verify_code(req: SignedIn, code: str) -> None:
    """TO FILL IN with two-factor authentication: accept a current TOTP code (not replayed) or
    an unused recovery code of req.user, counting failures in the account's throttle, and
    raise Invalid("code", ...) when it does not match. Until then no account has codes: a
    clear 400."""
    raise InvalidInput(CODES_NOT_AVAILABLE)


# --- a proof, whatever the verifier ------------------------------------------------------------


async def _proved(req: SignedIn, method: str, attempt: int | None = None) -> CookieChange | None:
    """The user proved who they are with method ("password", "code", "passkey"): the session's
    time moves to now, and the audit log says so."""
    payload = await dal_sessions.mark_reauthenticated(req.user, req.session.payload)
    detail = f"with {method}"
    if attempt is not None:
        await audit.settle(attempt, kind="reauthenticated", detail=detail)
    else:
        await audit.record("reauthenticated", throttle.client(req), user_id=req.user.id, detail=detail)
    if payload == req.session.payload:
        return None
    return CookieChange(payload, persistent=req.session.persistent, new_session=False)
