"""User: an account. The email is stored in one canonical form (dal.emails) and is unique
case-insensitively. AUTOINCREMENT on SQLite: a deleted account's id is never reused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow

ROLES = ("user", "admin")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'admin')", name="role"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16), default="user", server_default="user")
    # bumped by "sign out everywhere" and password changes: older sessions stop verifying
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # file name of the avatar in the upload folder (random, so its URL can be cached forever)
    avatar: Mapped[str | None] = mapped_column(String(64))
    # when the owner of the address proved it (a link mailed to it was followed); None: not yet
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # two-factor sign-in (dal.two_factor): the TOTP secret, encrypted with a key derived from
    # SECRET_KEY (a copy of the database alone does not give it); set but not enabled while
    # set-up waits for its first code; the last time step whose code was accepted (replay guard)
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# one account per address, whatever its case (emails are also stored in their canonical form)
Index("uq_users_email_lower", func.lower(User.email), unique=True)
