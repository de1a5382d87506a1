"""What leaves the DAL: plain frozen dataclasses with only what a page or response needs.

password_hash, token_hash and session_version never appear here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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

    def public(self) -> dict[str, Any]:
        """The shape GET /api/me answers with."""
        return {"id": self.id, "name": self.name, "email": self.email, "role": self.role}


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
    author_avatar_url: str | None = None  # for pages; not part of the API's post

    def public(self) -> dict[str, Any]:
        """The shape the posts API answers with: the author as {id, name} only."""
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "published": self.published,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "author": {"id": self.author.id, "name": self.author.name},
        }


@dataclass(frozen=True)
class PostPage:
    posts: list[PostDTO]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def public(self) -> dict[str, Any]:
        return {
            "posts": [p.public() for p in self.posts],
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
        }
