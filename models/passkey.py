"""Passkey and WebAuthnChallenge: the WebAuthn credentials of users, and the challenges the
ceremonies sign.

Passkey: one credential registered by a user (its id as the authenticator knows it, its COSE
public key, the last signature counter seen, the transports the browser reported, a name the
user chose, and the user handle the authenticator stores with it). It goes with its user.

WebAuthnChallenge: 32 random bytes handed to one ceremony, stored by their SHA-256, used at
most once (the row is deleted when used: dal.passkeys.consume_challenge), until expires_at. It
names its purpose and what it is bound to (binding: the SHA-256 of a session cookie, a pending
login, or a sign-in cookie), and, except for passwordless sign-in, the user.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime, utcnow

PURPOSES = ("register", "sign-in", "second-factor", "reauth")


class Passkey(Base):
    __tablename__ = "passkeys"
    __table_args__ = (
        Index("ix_passkeys_user_id", "user_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))  # COSE_Key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # 32-bit unsigned
    transports: Mapped[str] = mapped_column(String(100), default="", server_default="")  # space-separated
    # the WebAuthn user.id the authenticator keeps with the credential (random, not the user's id)
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebAuthnChallenge(Base):
    __tablename__ = "webauthn_challenges"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('register', 'sign-in', 'second-factor', 'reauth')", name="purpose"
        ),
        Index("ix_webauthn_challenges_expires_at", "expires_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    binding: Mapped[str] = mapped_column(String(64))  # SHA-256 (hex) of what it is bound to
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # registration: the user handle the new credential is created with
    user_handle: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
