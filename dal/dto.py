"""What leaves the DAL: plain frozen dataclasses with only what a page or response needs.

password_hash, token_hash and session_version never appear here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> dict[str, Any]:
        """The shape GET /api/me answers with."""
        return {"id": self.id, "name": self.name, "email": self.email, "role": self.role}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
