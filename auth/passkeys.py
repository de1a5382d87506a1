"""Passkeys (WebAuthn, with py_webauthn): adding one to your account, signing in with one
(no password), and verifying one for a given user and purpose (a second factor, a
re-authentication), for the pages' actions and the JSON API alike.

The relying party is APP_URL: its host is the RP id, its scheme, host and port the only origin
accepted (never the request's Host header). WebAuthn refuses an IP address as RP id, so an
APP_URL naming one (the development default, http://127.0.0.1:PORT) leaves passkeys
unavailable (503, and the buttons are not shown): use http://localhost:PORT.

Every ceremony signs a challenge of dal.passkeys: 32 random bytes for one purpose, bound to
what asked for it (binding), single use, 5 minutes:
- "register" and "reauth": the signed-in session (session_binding(req)) and its user;
- "second-factor": the pending login (pending_binding(pending_id)) and its user;
- "sign-in": a random value in the browser's passkey_signin cookie (browser_binding), no user.
The challenge is taken from the response's clientDataJSON and used up (deleted) before the
signature is checked, so a failed attempt burns it too.

Registration: attestation "none", a discoverable credential (resident key required), user
verification preferred. Sign-in without a password requires user verification (the passkey
is then two factors in one) and the user handle the authenticator returns must be the one
stored with the credential. Sign counts: a counter that does not move forward is refused,
unless both it and the stored one are 0 (synced passkeys keep 0); the new counter is stored
only if the stored one did not change meanwhile.

Verification runs on the event loop: one ECDSA or RSA signature check and a little CBOR, tens
of microseconds, on a body of at most 64 KB (the routes' BODY_LIMIT); nothing like bcrypt.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

import webauthn
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator
from webauthn.helpers import parse_authenticator_data
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from auth import flows, reauth, throttle
from auth.requests import Anyone, SignedIn
from core.validation import has_control_characters, parse
from dal import audit
from dal import passkeys as dal_passkeys
from dal.dto import UserDTO
from dal.errors import InvalidInput, NotAvailable, Unauthenticated
from dal.passkeys import PasskeyDTO

__all__ = [
    "REAUTH",
    "REGISTER",
    "SECOND_FACTOR",
    "SIGN_IN",
    "PasskeyDTO",
    "authentication_options",
    "pending_binding",
    "session_binding",
    "verify_for",
]

REGISTER, SIGN_IN, SECOND_FACTOR, REAUTH = "register", "sign-in", "second-factor", "reauth"
RP_NAME = "Tornado Pages"
SIGN_IN_COOKIE = "passkey_signin"
SIGN_IN_COOKIE_PATH = "/api/auth/passkey"
TIMEOUT_MS = 300_000  # the browser's prompt lasts as long as the challenge
MAX_NAME = 100
DEFAULT_PORTS = {"http": 80, "https": 443}
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}

EXPIRED = "This passkey request expired or was already used. Try again."
MALFORMED = "The passkey's answer is malformed."
NOT_REGISTERED = "This passkey is not registered here (it may have been deleted)."
NOT_ACCEPTED = "This passkey was not accepted."
NOT_YOURS = "This passkey belongs to another account."
COUNTER = (
    "This passkey's signature counter went backwards, a sign that it may have been copied. "
    "Use another passkey or your password."
)
NO_USER_VERIFICATION = (
    "Your device did not verify you (PIN, fingerprint or face): signing in with a passkey needs it."
)
UNAVAILABLE = (
    "Passkeys are not available: APP_URL must name the site by a host name (WebAuthn does not "
    "accept an IP address), for example http://localhost:8000 in development."
)


# --- what the browser sends ----------------------------------------------------------------------

# base64url text of bounded size: what navigator.credentials answers, as JSON
B64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]*={0,2}$", max_length=8192)]
ShortText = Annotated[str, StringConstraints(max_length=32)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class AssertionResponse(_Strict):
    clientDataJSON: B64
    authenticatorData: B64
    signature: B64
    userHandle: B64 | None = None


class _Credential(_Strict):
    """What both navigator.credentials calls give, in JSON form (base64url for bytes)."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=1400)]
    rawId: B64
    type: Literal["public-key"]
    authenticatorAttachment: ShortText | None = None


class AssertionCredential(_Credential):
    """What navigator.credentials.get() gave."""

    response: AssertionResponse


class AttestationResponse(_Strict):
    clientDataJSON: B64
    attestationObject: B64
    transports: list[ShortText] = Field(default_factory=list, max_length=10)


class RegistrationCredential(_Credential):
    """What navigator.credentials.create() gave."""

    response: AttestationResponse


def check_passkey_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise ValueError("Name your passkey (for example, the device it is on).")
    if has_control_characters(name):
        raise ValueError("The name must not contain control characters.")
    if len(name) > MAX_NAME:
        raise ValueError(f"The name must be at most {MAX_NAME} characters.")
    return name


class PasskeyName(BaseModel):
    """PATCH /api/me/passkeys/{id}: {name}."""

    model_config = ConfigDict(extra="ignore")
    MISSING: ClassVar[dict[str, str]] = {"name": "Name your passkey (for example, the device it is on)."}
    name: str

    _name = field_validator("name")(check_passkey_name)


class PasskeyAddInput(PasskeyName):
    """POST /api/me/passkeys: {name, credential} (the answer to the registration options)."""

    MISSING: ClassVar[dict[str, str]] = {
        **PasskeyName.MISSING,
        "credential": "Send the passkey's credential.",
    }
    credential: RegistrationCredential


class PasskeyAssertionInput(BaseModel):
    """POST /api/auth/passkey (and a second factor, a re-authentication): {credential};
    signing in, also "remember" ("Keep me signed in", as for a password login)."""

    model_config = ConfigDict(extra="ignore")
    MISSING: ClassVar[dict[str, str]] = {"credential": "Send the passkey's credential."}
    credential: AssertionCredential
    remember: StrictBool = False


# --- the relying party and the bindings ----------------------------------------------------------


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host of APP_URL
    origin: str  # scheme://host[:port] of APP_URL


def relying_party(settings: Any) -> RelyingParty:
    """From APP_URL (settings.base_url); NotAvailable when it names an IP address."""
    parts = urlsplit(settings.base_url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host:
            # the origin as a browser writes it: no default port, no user info
            port = parts.port if parts.port not in (None, DEFAULT_PORTS.get(parts.scheme)) else None
            origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
            return RelyingParty(id=host, origin=origin)
    raise NotAvailable(UNAVAILABLE)


def available(settings: Any) -> bool:
    try:
        relying_party(settings)
    except NotAvailable:
        return False
    return True


def session_binding(req: SignedIn) -> str:
    """What "register" and "reauth" challenges are bound to: this very session cookie (in
    either mode), so another session of the same user cannot answer them."""
    return "session:" + req.session.payload


def pending_binding(pending_id: str | int) -> str:
    """What a "second-factor" challenge is bound to: the pending login (issue 15's two-step
    sign-in) that asked for it."""
    return f"pending:{pending_id}"


def browser_binding(value: str) -> str:
    """What a "sign-in" challenge is bound to: the random value of the browser's cookie."""
    return "browser:" + value


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def challenge_of(client_data_json: str) -> bytes:
    """The challenge the browser signed, read from clientDataJSON (InvalidInput if malformed)."""
    try:
        client_data = json.loads(_b64decode(client_data_json))
        challenge = _b64decode(client_data["challenge"])
    except (ValueError, TypeError, KeyError, binascii.Error, RecursionError):
        raise InvalidInput(MALFORMED) from None
    if len(challenge) != dal_passkeys.CHALLENGE_BYTES:
        raise InvalidInput(EXPIRED)
    return challenge


def _descriptors(credentials: list[dal_passkeys.Credential]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=c.credential_id,
            transports=[AuthenticatorTransport(t) for t in c.transports if t in KNOWN_TRANSPORTS] or None,
        )
        for c in credentials
    ]


def _options_json(options: Any) -> dict:
    return json.loads(webauthn.options_to_json(options))


# --- adding a passkey ----------------------------------------------------------------------------


async def registration_options(req: SignedIn) -> dict:
    """PublicKeyCredentialCreationOptions (JSON) for navigator.credentials.create(): a new
    "register" challenge bound to this session, the user's existing passkeys excluded."""
    rp = relying_party(req.settings)
    handle = await dal_passkeys.user_handle_of(req.user) or secrets.token_bytes(32)
    existing = await dal_passkeys.credentials_of(req.user.id)
    challenge = await dal_passkeys.issue_challenge(
        REGISTER, session_binding(req), user_id=req.user.id, user_handle=handle
    )
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_id=handle,
        user_name=req.user.email,
        user_display_name=req.user.name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return _options_json(options)


async def add(req: SignedIn) -> PasskeyDTO:
    """Verify the answer to registration_options() and store the new passkey, named."""
    data = parse(PasskeyAddInput, req.body)
    rp = relying_party(req.settings)
    credential = data.credential
    challenge = challenge_of(credential.response.clientDataJSON)
    consumed = await dal_passkeys.consume_challenge(
        challenge, REGISTER, session_binding(req), user_id=req.user.id
    )
    if consumed is None or consumed.user_handle is None:
        await _failed(req, req.user.id, "register: challenge unknown, used or expired")
        raise InvalidInput(EXPIRED)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential.model_dump(exclude_none=True),
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    # the library parses what the browser sent (JSON, CBOR, COSE keys): whatever it raises on
    # hostile bytes, the answer is the same refusal, never a 500
    except Exception as exc:
        await _failed(req, req.user.id, f"register: {exc}")
        raise InvalidInput(f"The passkey could not be added: {exc}") from None
    transports = tuple(t for t in dict.fromkeys(credential.response.transports) if t in KNOWN_TRANSPORTS)
    return await dal_passkeys.add_passkey(
        req.user,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        user_handle=consumed.user_handle,
        name=data.name,
        client=throttle.client(req),
    )


async def list_passkeys(req: SignedIn) -> list[PasskeyDTO]:
    return await dal_passkeys.list_passkeys(req.user)


async def rename(req: SignedIn, passkey_id: int | str) -> PasskeyDTO:
    name = parse(PasskeyName, req.body).name
    return await dal_passkeys.rename_passkey(req.user, passkey_id, name, throttle.client(req))


async def delete(req: SignedIn, passkey_id: int | str) -> PasskeyDTO:
    """Delete one of the user's passkeys, within the re-authentication window (auth.reauth):
    pages and the API both call it."""
    reauth.require_recent(req)
    return await dal_passkeys.delete_passkey(req.user, passkey_id, throttle.client(req))


# --- using a passkey -----------------------------------------------------------------------------


async def _failed(req: Anyone, user_id: int | None, detail: str) -> None:
    await audit.record("passkey_failed", throttle.client(req), user_id=user_id, detail=detail)


def _check_assertion(
    rp: RelyingParty,
    credential: AssertionCredential,
    challenge: bytes,
    stored: dal_passkeys.StoredPasskey,
    require_user_verification: bool,
) -> int:
    """The new sign count, once the signature, origin, RP id, flags and counter check out;
    else Unauthenticated saying why (as a person can act on it)."""
    try:
        flags_and_count = parse_authenticator_data(_b64decode(credential.response.authenticatorData))
    except Exception:  # hostile bytes: see add()
        raise Unauthenticated(MALFORMED) from None
    new_count = flags_and_count.sign_count
    if (new_count > 0 or stored.sign_count > 0) and new_count <= stored.sign_count:
        raise Unauthenticated(COUNTER)
    if require_user_verification and not flags_and_count.flags.uv:
        raise Unauthenticated(NO_USER_VERIFICATION)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential.model_dump(exclude_none=True),
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
            require_user_verification=require_user_verification,
        )
    except Exception as exc:  # see add()
        raise Unauthenticated(f"{NOT_ACCEPTED} ({exc})") from None
    return verified.new_sign_count


async def _assert(
    req: Anyone,
    credential: AssertionCredential,
    purpose: str,
    binding: str,
    user_id: int | None,
    require_user_verification: bool,
) -> dal_passkeys.Use:
    """The whole check of an assertion; raises InvalidInput or Unauthenticated."""
    rp = relying_party(req.settings)
    challenge = challenge_of(credential.response.clientDataJSON)
    if await dal_passkeys.consume_challenge(challenge, purpose, binding, user_id=user_id) is None:
        raise InvalidInput(EXPIRED)
    try:
        raw_id = _b64decode(credential.rawId)
    except (ValueError, binascii.Error):
        raise InvalidInput(MALFORMED) from None
    stored = await dal_passkeys.find_by_credential(raw_id)
    if stored is None:
        raise Unauthenticated(NOT_REGISTERED)
    if user_id is not None and stored.user_id != user_id:
        raise Unauthenticated(NOT_YOURS)
    handle = credential.response.userHandle
    if user_id is None and handle is None:
        raise Unauthenticated(f"{NOT_ACCEPTED} (the passkey did not say whose it is)")
    if handle is not None and _b64decode(handle) != stored.user_handle:
        raise Unauthenticated(NOT_YOURS)
    new_count = _check_assertion(rp, credential, challenge, stored, require_user_verification)
    use = await dal_passkeys.record_use(stored, new_count)
    if use is None:  # another use moved the counter on meanwhile, or the passkey was deleted
        raise Unauthenticated(NOT_ACCEPTED)
    return use


@dataclass(frozen=True)
class SignInCookie:
    """The passkey_signin cookie (None: clear it), for the Request or an API Response."""

    value: str | None

    def apply(self, target: Any) -> None:
        if self.value is None:
            target.clear_cookie(SIGN_IN_COOKIE, path=SIGN_IN_COOKIE_PATH)
        else:
            max_age = int(dal_passkeys.CHALLENGE_LIFETIME.total_seconds())
            target.set_cookie(SIGN_IN_COOKIE, self.value, path=SIGN_IN_COOKIE_PATH, max_age=max_age)


def _cookie_value(req: Anyone) -> str | None:
    value = req.cookies.get(SIGN_IN_COOKIE)
    if value and len(value) == 43 and all(c.isalnum() or c in "-_" for c in value):
        return value
    return None


async def sign_in_options(req: Anyone) -> tuple[dict, SignInCookie]:
    """PublicKeyCredentialRequestOptions (JSON) for a passwordless sign-in: no allowCredentials
    (a discoverable credential says whose it is), user verification required, the challenge
    bound to this browser's passkey_signin cookie (set, or kept if it has one)."""
    rp = relying_party(req.settings)
    value = _cookie_value(req) or secrets.token_urlsafe(32)
    challenge = await dal_passkeys.issue_challenge(SIGN_IN, browser_binding(value))
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return _options_json(options), SignInCookie(value)


async def sign_in(req: Anyone) -> tuple[UserDTO, flows.CookieChange, SignInCookie]:
    """Sign in with a passkey, no password: the session is created as a password login's is
    (auth.flows.start_session). Failures count against the address like failed logins."""
    data = parse(PasskeyAssertionInput, req.body)
    relying_party(req.settings)
    attempt = await throttle.passkey_attempt(req)
    value = _cookie_value(req)
    try:
        if value is None:
            raise InvalidInput(EXPIRED)
        use = await _assert(req, data.credential, SIGN_IN, browser_binding(value), None, True)
    except (InvalidInput, Unauthenticated) as exc:
        await audit.settle(attempt, detail=f"sign-in: {exc.message}")
        raise
    cookie = await flows.start_session(req, use.who, persistent=data.remember)
    if cookie is None:  # the account's credentials changed during the check
        await audit.settle(attempt, user_id=use.who.user.id, detail=f"sign-in: {flows.CHANGED_DURING_CHECK}")
        raise Unauthenticated(NOT_ACCEPTED)
    await audit.settle(
        attempt,
        kind="passkey_used",
        user_id=use.who.user.id,
        email=use.who.user.email,
        detail=f"sign-in: passkey {use.passkey.name}",
    )
    return use.who.user, cookie, SignInCookie(None)


# --- for a second factor and re-authentication ---------------------------------------------------


async def authentication_options(req: Anyone, user_id: int, purpose: str, binding: str) -> dict:
    """PublicKeyCredentialRequestOptions (JSON) for one user (allowCredentials: their
    passkeys), with a challenge for purpose ("second-factor" or "reauth") bound to binding
    (pending_binding(...) or session_binding(req)). NotAvailable when passkeys are off;
    InvalidInput when the user has no passkey."""
    if purpose not in (SECOND_FACTOR, REAUTH):
        raise ValueError(f"authentication_options is for {SECOND_FACTOR!r} or {REAUTH!r}, not {purpose!r}")
    rp = relying_party(req.settings)
    credentials = await dal_passkeys.credentials_of(user_id)
    if not credentials:
        raise InvalidInput("This account has no passkey.")
    challenge = await dal_passkeys.issue_challenge(purpose, binding, user_id=user_id)
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(credentials),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return _options_json(options)


async def verify_for(
    req: Anyone,
    user_id: int,
    purpose: str,
    binding: str,
    credential: object,
    *,
    require_user_verification: bool = False,
) -> PasskeyDTO:
    """Verify an assertion (credential: the JSON the browser sent, unparsed) by one of user_id's
    passkeys, answering a challenge of authentication_options(req, user_id, purpose, binding).
    Returns the passkey used (its counter and last use stored; the audit log says
    passkey_used). Raises ValidationFailed (a malformed credential, 400), InvalidInput (the
    challenge is unknown, used, expired or bound elsewhere, 400), Unauthenticated (not this
    user's passkey, a bad signature, a counter that went backwards, 401), TooManyAttempts
    (the address failed too often, 429). Each failure is audited as passkey_failed."""
    if purpose not in (SECOND_FACTOR, REAUTH):
        raise ValueError(f"verify_for is for {SECOND_FACTOR!r} or {REAUTH!r}, not {purpose!r}")
    data = parse(PasskeyAssertionInput, {"credential": credential})
    attempt = await throttle.passkey_attempt(req, user_id=user_id)
    try:
        use = await _assert(req, data.credential, purpose, binding, user_id, require_user_verification)
    except (InvalidInput, Unauthenticated) as exc:
        await audit.settle(attempt, detail=f"{purpose}: {exc.message}")
        raise
    await audit.settle(attempt, kind="passkey_used", detail=f"{purpose}: passkey {use.passkey.name}")
    return use.passkey
