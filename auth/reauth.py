"""Re-authentication ("sudo mode"): sensitive actions need the session's user to have proved
who they are within the last REAUTH_WINDOW_SECONDS. The login itself is a proof; so is
confirm() (POST /api/auth/reauth, the /reauth page).

For routes, one call: ``reauth.require_recent(req)`` raises dal.errors.ReauthRequired, which
app.py answers with 403 {"error": ..., "reauth_required": true} on the API and, on pages, a
redirect to /reauth?next=<the page> that comes back once the person has confirmed.

Verifiers (confirm's keyword arguments): each proves the user in its own way, then _proved()
records it (the session's time, the audit event). ``password`` is checked here, reserved in the
signed-in failed-password throttle before bcrypt (auth.throttle.reauth_attempt). ``code`` (a TOTP
or recovery code, for accounts with two-factor authentication) is _verify_code, counted in the
account's login throttle like a sign-in's codes; a passkey is confirm_with_passkey (the assertion
answering passkey_options(), its challenge bound to this session).
Times come from dal.reauth.clock, which tests move.
"""

from __future__ import annotations

from auth import throttle
from auth.forms import ReauthInput
from auth.requests import SignedIn
from auth.sessions import CookieChange
from core.validation import parse
from dal import audit
from dal import passkeys as dal_passkeys
from dal import reauth as dal_reauth
from dal import sessions as dal_sessions
from dal import two_factor as dal_two_factor
from dal import users as dal_users
from dal.dto import iso
from dal.errors import Invalid, InvalidInput, ReauthRequired

WRONG_PASSWORD = "The password is not correct."
WRONG_CODE = "The code is not correct."
CODES_NOT_AVAILABLE = "Two-factor authentication is off for this account: confirm with your password."


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


async def verifiers(req: SignedIn) -> tuple[str, ...]:
    """What this user can confirm with: "password", and "code" (two-factor authentication on)
    and "passkey" (they have one, and APP_URL allows passkeys) when they can."""
    from auth import passkeys  # here, not above: auth.passkeys asks this module to gate deletes

    found = ["password"]
    if await dal_two_factor.is_enabled(req.user.id):
        found.append("code")
    if passkeys.available(req.settings) and await dal_passkeys.credentials_of(req.user.id):
        found.append("passkey")
    return tuple(found)


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
        return await _proved(req, "code", await _verify_code(req, code))
    if not password:
        raise Invalid("password", "Enter your password.")
    attempt = await throttle.reauth_attempt(req)
    if not await dal_users.password_matches(req.user, password):
        await audit.settle(attempt, detail="wrong password")
        raise Invalid("password", WRONG_PASSWORD)
    return await _proved(req, "password", attempt)


# --- the other verifiers ------------------------------------------------------------------------


async def _verify_code(req: SignedIn, code: str) -> int:
    """A current TOTP code (never one accepted before) or an unused recovery code of req.user,
    reserved in the account's login throttle as a sign-in's second step is (a session holder
    must not guess codes faster than a stranger): returns the reservation, to settle as the
    proof. Raises Invalid on "code" when it does not match; InvalidInput when the account has
    no two-factor authentication."""
    if not await dal_two_factor.is_enabled(req.user.id):
        raise InvalidInput(CODES_NOT_AVAILABLE)
    attempt = await throttle.login_attempt(req, req.user.email)
    if await dal_two_factor.accept_code(req.user.id, code, throttle.client(req)) is None:
        await audit.settle(attempt, user_id=req.user.id, detail="wrong code to re-authenticate")
        raise Invalid("code", WRONG_CODE)
    return attempt


async def passkey_options(req: SignedIn) -> dict:
    """The options for navigator.credentials.get() to re-authenticate with one of the user's
    passkeys (a challenge bound to this session). InvalidInput when they have none."""
    from auth import passkeys  # here, not above: auth.passkeys asks this module to gate deletes

    return await passkeys.authentication_options(
        req, req.user.id, passkeys.REAUTH, passkeys.session_binding(req)
    )


async def confirm_with_passkey(req: SignedIn) -> CookieChange | None:
    """Re-authenticate with a passkey: the assertion answering passkey_options(); then as
    confirm(). User verification is required, as for a sign-in without a password."""
    from auth import passkeys  # here, not above: auth.passkeys asks this module to gate deletes

    parse(passkeys.PasskeyAssertionInput, req.body)  # 400 naming the field when it is missing
    await passkeys.verify_for(
        req,
        req.user.id,
        passkeys.REAUTH,
        passkeys.session_binding(req),
        req.body.get("credential"),
        require_user_verification=True,
    )
    return await _proved(req, "passkey")


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
