"""Pending logins: a password that was right for an account with a second factor, waiting
(5 minutes at most) for that factor. A pending login is not a session and opens nothing; its
token (what the ``pending_login`` cookie carries) is 256 random bits, stored as its SHA-256.

Each code tried is counted before it is checked (one conditional UPDATE), so at most
MAX_FAILURES codes are ever checked against one pending login, however many requests race;
the last failure ends it. Completing it deletes the row (one conditional DELETE: of two
concurrent completions exactly one wins) and grants the session at the session version read at
the password check (dal.sessions.create_session), so a password change or "sign out everywhere"
that landed in between wins. Times come from dal.two_factor's clock.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from dal import db
from dal import sessions as dal_sessions
from dal.dto import Authenticated, UserDTO
from dal.two_factor import now
from dal.users import to_dto
from models import PendingLogin, User

LIFETIME = timedelta(minutes=5)
MAX_FAILURES = 5
SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Pending:
    """A pending login as found by its token: who it is for, and what was chosen and read at
    the password step."""

    id: int
    user: UserDTO
    session_version: int
    remember: bool
    failures: int

    @property
    def attempts_left(self) -> int:
        return max(0, MAX_FAILURES - self.failures)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(who: Authenticated, *, remember: bool) -> str:
    """A new pending login for who (their password was just checked); returns its token.
    Expired pending logins (anyone's) are cleared on the way."""
    token = secrets.token_urlsafe(32)
    moment = now()
    async with db.session() as session:
        await session.execute(delete(PendingLogin).where(PendingLogin.expires_at <= moment))
        session.add(
            PendingLogin(
                token_hash=_digest(token),
                user_id=who.user.id,
                session_version=who.session_version,
                remember=remember,
                failures=0,
                created_at=moment,
                expires_at=moment + LIFETIME,
            )
        )
        await session.commit()
    return token


async def find(token: object) -> Pending | None:
    """The pending login this token names, if it has not expired or failed too often."""
    if not isinstance(token, str) or not SHAPE.fullmatch(token):
        return None
    async with db.read() as session:
        row = (
            await session.execute(
                select(PendingLogin, User)
                .join(User, PendingLogin.user_id == User.id)
                .where(
                    PendingLogin.token_hash == _digest(token),
                    PendingLogin.expires_at > now(),
                    PendingLogin.failures < MAX_FAILURES,
                )
            )
        ).one_or_none()
    if row is None:
        return None
    pending, user = row
    return Pending(pending.id, to_dto(user), pending.session_version, pending.remember, pending.failures)


async def count_attempt(pending: Pending) -> bool:
    """Count a code about to be checked, before checking it; False when the pending login
    has ended (expired, completed, or out of attempts): then no code may be checked."""
    async with db.session() as session:
        result = await session.execute(
            update(PendingLogin)
            .where(
                PendingLogin.id == pending.id,
                PendingLogin.failures < MAX_FAILURES,
                PendingLogin.expires_at > now(),
            )
            .values(failures=PendingLogin.failures + 1)
        )
        await session.commit()
    return result.rowcount == 1


async def after_failure(pending: Pending) -> int:
    """A counted code was wrong: how many attempts are left (0: the pending login is gone)."""
    async with db.session() as session:
        failures = await session.scalar(select(PendingLogin.failures).where(PendingLogin.id == pending.id))
        if failures is None or failures >= MAX_FAILURES:
            await session.execute(delete(PendingLogin).where(PendingLogin.id == pending.id))
            await session.commit()
            return 0
    return MAX_FAILURES - failures


async def end(token: object) -> None:
    """Forget a pending login (the person went back to the password step)."""
    if isinstance(token, str) and SHAPE.fullmatch(token):
        async with db.session() as session:
            await session.execute(delete(PendingLogin).where(PendingLogin.token_hash == _digest(token)))
            await session.commit()


async def complete(pending: Pending, *, user_agent: str | None, ip: str | None) -> str | None:
    """The second factor was accepted: use the pending login up and start the session.
    Returns the session cookie's payload, or None when the pending login was used or had
    expired meanwhile, or the user's credentials changed since the password check."""
    async with db.session() as session:
        result = await session.execute(
            delete(PendingLogin).where(PendingLogin.id == pending.id, PendingLogin.expires_at > now())
        )
        await session.commit()
    if result.rowcount != 1:
        return None
    return await dal_sessions.create_session(
        Authenticated(pending.user, pending.session_version),
        user_agent=user_agent,
        ip=ip,
        persistent=pending.remember,
    )
