"""Two-factor authentication: the sign-in's second step and the account's set-up, one
implementation for the pages and the API.

Sign-in: when the password is right and the account has a second factor, auth.flows.login
calls begin() instead of starting a session: a pending login (dal.pending_logins) whose token
travels in its own signed, HttpOnly cookie ``pending_login`` (Max-Age 300), which opens
nothing. The second step (verify(): the page /login/verify and POST /api/auth/login/verify)
checks a code and then calls complete_pending_login(), which is also what any other second
factor (a passkey) calls once it has checked its own proof: it uses the pending login up and
starts the session, with the "Keep me signed in" choice made at the password step, at the
session version read then.

Every code tried is a login attempt for the account's throttle (auth.throttle.login_attempt:
reserved before it is checked, a failure unless it is accepted), and counts against the
pending login's MAX_FAILURES; the last failure ends it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import segno

from auth import reauth, throttle
from auth.forms import CodeInput
from auth.requests import Anyone, SignedIn
from auth.sessions import CookieChange
from core.requests import Request
from core.responses import Response
from core.validation import parse
from dal import audit, pending_logins
from dal import passkeys as dal_passkeys
from dal import sessions as dal_sessions
from dal import two_factor as dal_two_factor
from dal.dto import Authenticated
from dal.errors import Conflict, Invalid, InvalidInput, Unauthenticated
from dal.pending_logins import Pending
from dal.two_factor import TwoFactorState

PENDING_COOKIE = "pending_login"
PENDING_MAX_AGE = int(pending_logins.LIFETIME.total_seconds())  # 300
TOTP, RECOVERY_CODE = dal_two_factor.TOTP, dal_two_factor.RECOVERY
PASSKEY = "passkey"
SIGN_IN_AGAIN = "Your sign-in has expired. Log in again."
WRONG_CODE = "Invalid code."


class CodeRefused(Unauthenticated):
    """A wrong second-factor code (401); attempts_left 0: the pending login has ended."""

    def __init__(self, attempts_left: int) -> None:
        if attempts_left:
            plural = "s" if attempts_left != 1 else ""
            message = f"{WRONG_CODE} {attempts_left} attempt{plural} left."
        else:
            message = f"{WRONG_CODE} Too many wrong codes: log in again."
        super().__init__(message)
        self.attempts_left = attempts_left


class PendingEnded(Unauthenticated):
    """No pending login (none, expired, used, or out of attempts): back to the password step."""

    default = SIGN_IN_AGAIN


@dataclass(frozen=True)
class PendingChange:
    """The answer to a right password on an account with a second factor: the pending_login
    cookie (no session yet) and the methods the second step accepts."""

    token: str
    methods: tuple[str, ...]

    def apply(self, target: Request | Response) -> None:
        target.set_cookie(PENDING_COOKIE, self.token, signed=True, expires_days=None, max_age=PENDING_MAX_AGE)


async def methods(user_id: int, settings: object) -> tuple[str, ...]:
    """The second factors this account can finish a sign-in with (empty: none, the password
    alone signs in). Two-factor authentication is on once a TOTP app is set up; then the
    account's passkeys (where APP_URL allows passkeys) are offered beside the codes."""
    from auth import passkeys  # here, not above: auth.passkeys imports auth.flows, which imports us

    if not await dal_two_factor.is_enabled(user_id):
        return ()
    if passkeys.available(settings) and await dal_passkeys.credentials_of(user_id):
        return (TOTP, RECOVERY_CODE, PASSKEY)
    return (TOTP, RECOVERY_CODE)


async def begin(
    req: Anyone, who: Authenticated, *, remember: bool, methods: tuple[str, ...]
) -> PendingChange:
    """The password step passed for an account with a second factor: a pending login."""
    token = await pending_logins.create(who, remember=remember)
    return PendingChange(token, methods)


def _pending_token(req: Anyone) -> str | None:
    return req.signed_cookie(PENDING_COOKIE, max_age_days=PENDING_MAX_AGE / 86400)


async def current_pending(req: Anyone) -> Pending | None:
    """The request's pending login (its cookie, still valid in the database), or None."""
    return await pending_logins.find(_pending_token(req))


async def forget_pending(req: Anyone) -> None:
    """End the request's pending login, if any (the person went back to the password step)."""
    await pending_logins.end(_pending_token(req))


async def complete_pending_login(
    req: Anyone, pending: Pending, *, method: str, attempt: int | None = None
) -> CookieChange:
    """A second factor (method: "totp", "recovery_code", "passkey"...) was verified for this
    pending login: use it up and start the session (ending any session the request carried).
    attempt, when given, is the throttle's reservation to settle as the login. PendingEnded
    when the pending login was used meanwhile or the credentials changed since the password."""
    if req.session is not None:
        await dal_sessions.end_session(req.session.payload)
    payload = await pending_logins.complete(
        pending, user_agent=req.headers.get("User-Agent"), ip=req.client_ip
    )
    user = pending.user
    if payload is None:
        if attempt is not None:
            await audit.settle(attempt, user_id=user.id, detail="sign-in ended during the check")
        raise PendingEnded()
    detail = f"with {method.replace('_', ' ')}"
    if attempt is not None:
        await audit.settle(attempt, kind="login", user_id=user.id, email=user.email, detail=detail)
    else:
        await audit.record("login", throttle.client(req), user_id=user.id, email=user.email, detail=detail)
    return CookieChange(payload, persistent=pending.remember, clear=(PENDING_COOKIE,))


async def verify(req: Anyone) -> CookieChange:
    """The second step with a code (TOTP or recovery code): the session, or a refusal:
    ValidationFailed (400, nothing counted), PendingEnded (401), CodeRefused (401),
    TooManyAttempts (429: the account's login throttle)."""
    data = parse(CodeInput, req.body)
    pending = await current_pending(req)
    if pending is None:
        raise PendingEnded()
    attempt = await throttle.login_attempt(req, pending.user.email)
    if not await pending_logins.count_attempt(pending):
        await audit.settle(attempt, user_id=pending.user.id, detail="sign-in ended")
        raise PendingEnded()
    method = await dal_two_factor.accept_code(pending.user.id, data.code, throttle.client(req))
    if method is None:
        left = await pending_logins.after_failure(pending)
        await audit.settle(attempt, user_id=pending.user.id, detail="wrong second-factor code")
        raise CodeRefused(left)
    return await complete_pending_login(req, pending, method=method, attempt=attempt)


async def passkey_options(req: Anyone) -> dict:
    """The options for navigator.credentials.get() to finish the request's pending login with
    one of the account's passkeys (a challenge bound to that pending login)."""
    from auth import passkeys  # here, not above: auth.passkeys imports auth.flows, which imports us

    pending = await current_pending(req)
    if pending is None:
        raise PendingEnded()
    return await passkeys.authentication_options(
        req, pending.user.id, passkeys.SECOND_FACTOR, passkeys.pending_binding(pending.id)
    )


async def verify_passkey(req: Anyone) -> CookieChange:
    """The second step with a passkey (the assertion answering passkey_options()): the
    session, or a refusal as verify()'s, plus passkeys.verify_for's (400 malformed or a
    challenge unknown, used, expired or another pending login's; 401 not verified)."""
    from auth import passkeys  # here, not above: auth.passkeys imports auth.flows, which imports us

    parse(passkeys.PasskeyAssertionInput, req.body)  # 400 naming the field when it is missing
    pending = await current_pending(req)
    if pending is None:
        raise PendingEnded()
    if not await pending_logins.count_attempt(pending):
        raise PendingEnded()
    try:
        await passkeys.verify_for(
            req,
            pending.user.id,
            passkeys.SECOND_FACTOR,
            passkeys.pending_binding(pending.id),
            req.body.get("credential"),
        )
    except (InvalidInput, Unauthenticated):
        await pending_logins.after_failure(pending)
        raise
    return await complete_pending_login(req, pending, method=PASSKEY)


# --- the account's set-up ----------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    qr = segno.make(uri, error="m")
    # a viewBox and no fixed size (omitsize), so that the CSS scales the whole code
    title = "QR code for your authenticator app"
    svg = qr.svg_inline(scale=5, dark="#111", light="#fff", omitsize=True, svgclass="qr", title=title)
    # an image with a name for assistive technology; no script, no style attribute (CSP)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


async def qr_svg(uri: str) -> str:
    """The QR code of an otpauth:// URI as inline SVG, drawn in a worker thread."""
    return await asyncio.get_running_loop().run_in_executor(None, _qr_svg, uri)


@dataclass(frozen=True)
class SetupView:
    secret: str
    uri: str
    svg: str


async def state(req: SignedIn) -> tuple[TwoFactorState, str | None]:
    """The account's 2FA state, and the QR code of a set-up waiting for its first code."""
    current = await dal_two_factor.state(req.user)
    svg = await qr_svg(current.setup_uri) if current.setup_uri else None
    return current, svg


async def start_setup(req: SignedIn) -> SetupView:
    setup = await dal_two_factor.start_setup(req.user)
    return SetupView(setup.secret, setup.uri, await qr_svg(setup.uri))


async def cancel_setup(req: SignedIn) -> None:
    await dal_two_factor.cancel_setup(req.user)


async def confirm_setup(req: SignedIn) -> list[str]:
    """Turn 2FA on with a first correct code: the ten recovery codes, to show once."""
    data = parse(CodeInput, req.body)
    return await dal_two_factor.confirm_setup(req.user, data.code, throttle.client(req))


async def disable(req: SignedIn) -> None:
    """Turn 2FA off with a current code or a recovery code, within the re-authentication
    window (auth.reauth). A wrong code is a failed login attempt for the account's throttle
    (someone holding a session must not guess at it)."""
    reauth.require_recent(req)
    data = parse(CodeInput, req.body)
    if not await dal_two_factor.is_enabled(req.user.id):
        raise Conflict(dal_two_factor.NOT_ON, field="code", field_message=dal_two_factor.NOT_ON)
    attempt = await throttle.login_attempt(req, req.user.email)
    try:
        await dal_two_factor.disable(req.user, data.code, throttle.client(req), attempt)
    except (Invalid, Conflict):
        await audit.settle(attempt, user_id=req.user.id, detail="wrong code to turn 2FA off")
        raise


async def regenerate_recovery_codes(req: SignedIn) -> list[str]:
    """Ten new recovery codes, the old ones void; within the re-authentication window."""
    reauth.require_recent(req)
    return await dal_two_factor.regenerate_recovery_codes(req.user, throttle.client(req))
