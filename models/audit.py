"""AuthEvent: the audit log of authentication (sign-up, logins, logouts, password and role
changes, revoked sessions, throttling, password resets, email verification and changes,
re-authentication, account exports and deletions). Its
rows are also what throttling counts: an attempt is written as a failure (detail "pending")
before it is checked, then settled. AUTOINCREMENT on SQLite: an event's id is never reused,
even after old events are removed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow

KINDS = (
    "signup",
    "signup_failed",
    "login",
    "login_failed",
    "logout",
    "password_changed",
    "password_change_failed",
    "role_changed",
    "session_revoked",
    "signed_out_everywhere",
    "throttled",
    "password_reset_requested",
    "password_reset",
    "password_reset_failed",
    "verification_resent",
    "email_verified",
    "email_verification_failed",
    "email_change_requested",
    "email_change_failed",
    "email_changed",
    "passkey_added",
    "passkey_renamed",
    "passkey_removed",
    "passkey_used",
    "passkey_failed",
    "login_pending",  # the password was right; the second factor is awaited
    "two_factor_enabled",
    "two_factor_disabled",
    "recovery_codes_regenerated",
    "recovery_code_used",
    "reauthenticated",
    "reauth_failed",
    "account_exported",
    "account_deleted",
)


class AuthEvent(Base):
    __tablename__ = "auth_events"
    __table_args__ = (
        Index("ix_auth_events_kind_email_created_at", "kind", "email", "created_at"),
        Index("ix_auth_events_kind_ip_created_at", "kind", "ip", "created_at"),
        Index("ix_auth_events_created_at", "created_at"),
        Index("ix_auth_events_user_id", "user_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # no foreign key: an event keeps the id of the user it was about after the account is
    # deleted (the audit log outlives the account: migration 0010)
    user_id: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str | None] = mapped_column(String(254))  # as typed, normalised; never a password
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateCounter(Base):
    """Requests per key in a fixed time window (the general API rate limit), shared by workers."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True)  # epoch seconds
    count: Mapped[int]
