"""The shapes the API answers with, as pydantic models: the one description of each answer.
Handlers build their answers from them (from the DAL's DTOs: from_attributes), the OpenAPI
document is generated from them (core.openapi), and the schemathesis tests check real
answers against it."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Issue(_Out):
    path: list[str | int]
    message: str


class ValidationErrorBody(_Out):
    error: Literal["Validation error"]
    issues: list[Issue]


class Error(_Out):
    error: str


class ConflictBody(_Out):
    """A 409; a form field's clash (an address already registered) also names the field."""

    error: str
    issues: list[Issue] | None = None


class BadRequest(RootModel[ValidationErrorBody | Error]):
    """A 400 that is either invalid fields (issues) or one message (a link that does not work)."""


class PublicUser(_Out):
    id: int
    name: str
    email: str
    role: Literal["user", "admin"]


class AccountUser(PublicUser):
    """The signed-in user (GET /api/me, sign-up): also whether their address is verified."""

    email_verified: bool


class UserEnvelope(_Out):
    user: AccountUser


class Success(_Out):
    success: Literal[True]


class CsrfToken(_Out):
    csrfToken: str


class ListedUser(PublicUser):
    created_at: str


class UserList(_Out):
    users: list[ListedUser]


class Author(_Out):
    id: int
    name: str


class PostBody(_Out):
    id: int
    title: str = Field(max_length=200)
    body: str
    published: bool
    created_at: str
    updated_at: str
    author: Author


class PostList(_Out):
    posts: list[PostBody]
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=100)
    total: int = Field(ge=0)


class AvatarBody(_Out):
    avatar_url: str


class ApiInfo(_Out):
    name: str
    status: str


class PasskeyBody(_Out):
    """One of your passkeys: its name, when it was added and last used (ISO 8601, UTC)."""

    id: int
    name: str
    created_at: str
    last_used_at: str | None
    transports: list[str]


class PasskeyList(_Out):
    passkeys: list[PasskeyBody]


class PasskeyEnvelope(_Out):
    passkey: PasskeyBody


class WebAuthnOptions(_Out):
    """The options for navigator.credentials.create() (registration) or .get() (an
    assertion), in their JSON form: byte values (challenge, user.id, credential ids) are
    base64url text, to be turned into ArrayBuffers (static/passkeys.js does)."""

    options: dict[str, Any]


class SecondFactorRequired(_Out):
    """The password was right; the account has a second factor: POST /api/auth/login/verify
    next, with the pending_login cookie this answer set."""

    mfa_required: Literal[True]
    methods: list[str]


class TwoFactorStatus(_Out):
    enabled: bool
    enabled_at: str | None
    setup_pending: bool
    recovery_codes_left: int


class TwoFactorSetup(_Out):
    """A new TOTP secret, to enter into an authenticator app (base32 text, the otpauth URI,
    or the URI's QR code as SVG); 2FA is on once POST /api/me/two-factor/confirm accepts a
    code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodes(_Out):
    """Ten single-use recovery codes: shown this once, stored only hashed."""

    recovery_codes: list[str]


class LoginAnswer(RootModel[Success | SecondFactorRequired]):
    """A session started ({"success": true}), or the second step is needed."""


class ReauthRequiredBody(_Out):
    """A 403 for a sensitive action: confirm who you are (POST /api/auth/reauth), then retry."""

    error: str
    reauth_required: Literal[True]


class ForbiddenBody(RootModel[ReauthRequiredBody | Error]):
    """A 403: re-authenticate first (reauth_required), or another refusal (an unverified
    address, a cross-site request)."""


class Reauthenticated(_Out):
    success: Literal[True]
    reauthenticated_until: str  # ISO 8601, UTC: sensitive actions need no new proof until then


class ExportProfile(_Out):
    id: int
    name: str
    email: str
    email_verified: bool
    role: Literal["user", "admin"]
    created_at: str
    avatar_url: str | None


class ExportPost(_Out):
    id: int
    title: str
    body: str
    published: bool
    created_at: str
    updated_at: str


class ExportSession(_Out):
    id: int
    device: str
    user_agent: str | None
    ip: str | None
    created_at: str
    last_seen_at: str
    expires_at: str


class ExportEvent(_Out):
    kind: str
    created_at: str
    ip: str | None
    user_agent: str | None
    detail: str | None


class ExportTwoFactor(_Out):
    enabled: bool
    enabled_at: str | None
    recovery_codes_left: int


class ExportPasskey(_Out):
    name: str
    created_at: str
    last_used_at: str | None


class AccountExport(_Out):
    """GET /api/me/export: everything stored about you (dal.accounts.SECTIONS, one field per
    section). No password or token hashes."""

    format: Literal["tornado-pages-account-export"]
    version: int
    exported_at: str
    profile: ExportProfile
    posts: list[ExportPost]
    sessions: list[ExportSession]
    two_factor: ExportTwoFactor
    passkeys: list[ExportPasskey]
    audit_events: list[ExportEvent]
