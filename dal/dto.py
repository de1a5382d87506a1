"""What leaves the DAL: plain frozen dataclasses with only what a page or response needs.

password_hash, token_hash and session_version never appear here. The JSON shapes of API
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

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class SessionDTO:
    id: int
    created_at: str
    last_seen_at: str
    expires_at: str
    user_agent: str | None
    ip: str | None
    current: bool


@dataclass(frozen=True)
class Verified:
    """A session cookie that passed the secure check: who it proves, and the cookie's new
    payload when the session was extended (sliding expiry) or re-issued."""

    user: UserDTO
    session_id: int | None
    refreshed_payload: str | None = None


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
