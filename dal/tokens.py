"""One-time tokens, the secret in a link sent by mail (password reset, email verification,
email change).

A token is 256 random bits (43 URL-safe characters); only its SHA-256 is stored. It works
once, until it expires, and only while the address it was mailed to is still the user's
(the flows check that). A new token of a kind ends the user's older ones of that kind.
find() only reads (opening a link consumes nothing); consume() is the one conditional UPDATE
that uses a token up, so of two concurrent uses exactly one wins.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dal import db
from models import OneTimeToken
from models.types import UTCDateTime, utcnow

RESET, VERIFY, EMAIL_CHANGE = "reset", "verify", "email-change"
VERIFY_LIFETIME = EMAIL_CHANGE_LIFETIME = timedelta(hours=24)
SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

# opening a link: the token by its hash, if unused and unexpired (prebuilt)
VALID_BY_HASH = select(OneTimeToken.id, OneTimeToken.kind, OneTimeToken.user_id, OneTimeToken.email).where(
    OneTimeToken.token_hash == bindparam("token_hash"),
    OneTimeToken.used_at.is_(None),
    OneTimeToken.expires_at > bindparam("now", type_=UTCDateTime),
)


@dataclass(frozen=True)
class Token:
    id: int
    kind: str
    user_id: int
    email: str  # the address the link was sent to


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, kind: str, user_id: int, email: str, lifetime: timedelta) -> str:
    """A new token of kind for the user (added to the caller's transaction); the user's
    older unused tokens of that kind end with it. Returns the token itself, for the link."""
    await end(session, user_id, kind)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        OneTimeToken(
            kind=kind,
            user_id=user_id,
            token_hash=digest(token),
            email=email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


async def end(session: AsyncSession, user_id: int, *kinds: str) -> None:
    """Use up the user's unused tokens of these kinds (in the caller's transaction)."""
    await session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.user_id == user_id, OneTimeToken.kind.in_(kinds), OneTimeToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


async def find(token: object, *kinds: str) -> Token | None:
    """The token, if it is one of these kinds, unused and unexpired; reads only."""
    if not isinstance(token, str) or not SHAPE.fullmatch(token):
        return None
    row = await db.fetch_one(VALID_BY_HASH, {"token_hash": digest(token), "now": utcnow()})
    if row is None or row.kind not in kinds:
        return None
    return Token(row.id, row.kind, row.user_id, row.email)


async def consume(session: AsyncSession, token: Token) -> bool:
    """Use the token up, in the caller's transaction; False if it was used (or expired) since
    it was found: of two concurrent uses, exactly one gets True."""
    result = await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.id == token.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
    )
    return result.rowcount == 1
