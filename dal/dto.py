"""What leaves the DAL: plain frozen dataclasses with only what a page or response needs.

password_hash and token_hash never appear here; session_version only inside Authenticated,
which goes back to dal.sessions.create_session. The JSON shapes of API
answers are not the DTOs' business: handlers/_schemas.py holds them (and feeds OpenAPI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class UserDTO:
    id: int
    name: str
    email: str
    role: str
    created_at: str  # ISO 8601, UTC
    avatar_url: str | None = None
    email_verified: bool = False  # the owner of the address followed a link mailed to it

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Authenticated:
    """Who just proved their credentials (a password check, or a sign-up), and the session
    version that proof was read at. Every credential change (a password change, "sign out
    everywhere") moves the version on in the same statement, so create_session grants a
    session only while the version is unchanged: a change that lands during the check wins."""

    user: UserDTO
    session_version: int


@dataclass(frozen=True)
class SessionDTO:
    id: int
    created_at: str
    last_seen_at: str
    expires_at: str
    user_agent: str | None
    ip: str | None
    current: bool
    device: str = ""  # the user agent as a person reads it: "Chrome on Linux" (dal.devices)


@dataclass(frozen=True)
class Verified:
    """A session cookie that passed the secure check: who it proves, and the cookie's new
    payload when the session was extended (sliding expiry) or re-issued."""

    user: UserDTO
    session_id: int | None
    refreshed_payload: str | None = None
    persistent: bool = True  # "Keep me signed in": a cookie with Max-Age; else a browser session
    # when the user last proved who they are in this session (epoch seconds; None: unknown,
    # e.g. a session from before re-authentication existed): see auth.reauth
    reauthenticated_at: int | None = None


@dataclass(frozen=True)
class AuthorDTO:
    id: int
    name: str


@dataclass(frozen=True)
class PostDTO:
    id: int
    title: str
    body: str  # Markdown source
    published: bool
    created_at: str
    updated_at: str
    author: AuthorDTO
    # for pages, not part of the API's post: the avatar, the plain-text excerpt, and the
    # rendered body (safe HTML, rendered when the post was written; only get_post loads it)
    author_avatar_url: str | None = None
    excerpt: str = ""
    html: str | None = None


@dataclass(frozen=True)
class PostPage:
    posts: list[PostDTO]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
