"""The outbox and one-time tokens: what the mail flows store.

OutboxMessage: a mail waiting to be delivered, written in the same transaction as what caused
it; the background sender (dal.sender) claims due rows, delivers them and deletes them, or
schedules a retry (next_attempt_at) and in the end gives up (failed_at). A claim is a lease:
claim names the claimer, claimed_until when another sender may take the row over.

OneTimeToken: a link sent by mail (password reset, email verification, email change). Only
the SHA-256 of the token is stored; a token is used once (used_at), until expires_at, and
names the address it was sent to (email), which must still be the user's for it to work.

AUTOINCREMENT on SQLite: an id is never handed out again (the outbox's ids name messages).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow

TOKEN_KINDS = ("reset", "verify", "email-change")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_next_attempt_at", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneTimeToken(Base):
    __tablename__ = "one_time_tokens"
    __table_args__ = (
        Index("ix_one_time_tokens_user_id_kind", "user_id", "kind"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of TOKEN_KINDS
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))  # the address the link was sent to
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
