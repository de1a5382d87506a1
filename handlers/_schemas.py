"""The shapes the API answers with, as pydantic models: the one description of each answer.
Handlers build their answers from them (from the DAL's DTOs: from_attributes), the OpenAPI
document is generated from them (core.openapi), and the schemathesis tests check real
answers against it."""

from typing import Literal

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


class AccountExport(_Out):
    """GET /api/me/export: everything stored about you (dal.accounts.SECTIONS, one field per
    section). No password or token hashes."""

    format: Literal["tornado-pages-account-export"]
    version: int
    exported_at: str
    profile: ExportProfile
    posts: list[ExportPost]
    sessions: list[ExportSession]
    audit_events: list[ExportEvent]
