"""Session: one signed-in browser in database mode. Only the token's SHA-256 is stored.
AUTOINCREMENT on SQLite: an ended session's id is never given to another session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow


class Session(Base):
    __tablename__ = "sessions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the user's session_version when this session began; it must still match to verify
    session_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "Keep me signed in": True, a 30-day cookie and sliding expiry; False, a browser-session
    # cookie and a server-side life of 12 idle hours
    persistent: Mapped[bool] = mapped_column(default=True, server_default=true())
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip: Mapped[str | None] = mapped_column(String(45))
    # when the user last proved who they are in this session (the login, or a
    # re-authentication: auth.reauth); sensitive actions need it within REAUTH_WINDOW_SECONDS
    reauthenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
