"""What two-factor sign-in stores besides the users' columns (totp_secret, totp_enabled_at,
totp_last_step: see models.user).

RecoveryCode: one of a user's ten single-use recovery codes. Only its SHA-256 is stored: a
code is 80 random bits, so a fast unsalted hash cannot be reversed by trying codes (unlike a
password, nothing about it is guessable), and one indexed lookup finds it. used_at marks it
spent.

PendingLogin: a sign-in whose password was right and whose second factor is still awaited.
Only the SHA-256 of its token (what the ``pending_login`` cookie carries) is stored. It keeps
the user's session_version read at the password check: the session it finally becomes is
granted only while that version is still the user's (dal.sessions.create_session), so a
password change or "sign out everywhere" that lands in between wins. failures counts the
codes tried (each is counted before it is checked), remember the "Keep me signed in" choice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingLogin(Base):
    __tablename__ = "pending_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_version: Mapped[int]
    remember: Mapped[bool] = mapped_column(default=False)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
