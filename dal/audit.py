"""The audit log: record authentication events, reserve throttled attempts, list the latest
for admins. Never stores a password; the reason of a failure is a short fixed phrase.

Throttles count the log's own rows in a sliding window. An attempt is reserved before any
bcrypt work: under the lock of each key it counts (dal.db.serialized), the count is read and
the attempt written as a failure in one transaction, so concurrent attempts can never pass a
limit. Once checked, settle() records the outcome (a success stops counting as a failure); a
crash in between leaves a failure, the safe side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dal import changes, db
from dal.access import check_role
from dal.dto import UserDTO, iso
from models import AuthEvent, User
from models.types import utcnow


@dataclass(frozen=True)
class Client:
    """Who is on the other end: the client's address (its throttle key) and user agent."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class Limit:
    """At most `most` events of `kinds` for one key (the value of the `email` or `ip` column)
    in the last `window` seconds; 0 turns it off. A refusal is logged as a `throttled` event
    with `refusal` as its detail, once per key and window."""

    kinds: tuple[str, ...]
    column: str  # "email", "ip" or "user_id"
    value: str | int | None
    most: int
    window: int
    refusal: str


@dataclass(frozen=True)
class Reservation:
    """The attempt's row (to settle), or None and the seconds until the first limit that
    refused it lets attempts through again."""

    attempt: int | None
    retry_after: int = 0


@dataclass(frozen=True)
class EventDTO:
    kind: str
    created_at: str
    user_name: str | None
    email: str | None
    ip: str | None
    user_agent: str | None
    detail: str | None


def _fit(column: str, value: str | int | None) -> str | int | None:
    """value cut to the column's length (every text column of the log is bounded)."""
    if not value:
        return None
    if isinstance(value, int):  # user_id
        return value
    return value[: AuthEvent.__table__.c[column].type.length]


def event(
    kind: str,
    client: Client,
    *,
    user_id: int | None = None,
    email: str | None = None,
    detail: str | None = None,
) -> AuthEvent:
    """An event row, every field cut to fit, to add to a transaction of the caller's."""
    return AuthEvent(
        kind=kind,
        user_id=user_id,
        email=_fit("email", email),
        ip=_fit("ip", client.ip),
        user_agent=_fit("user_agent", client.user_agent),
        detail=_fit("detail", detail),
    )


async def record(
    kind: str,
    client: Client,
    *,
    user_id: int | None = None,
    email: str | None = None,
    detail: str | None = None,
) -> None:
    async with db.session() as session:
        session.add(event(kind, client, user_id=user_id, email=email, detail=detail))
        changes.announce(session, "audit")
        await session.commit()


def _where(limit: Limit, kinds: Sequence[str], since: datetime):  # noqa: ANN202
    column = AuthEvent.__table__.c[limit.column]
    return (
        AuthEvent.kind.in_(kinds),
        column == _fit(limit.column, limit.value),
        AuthEvent.created_at > since,
    )


async def _retry_after(session: AsyncSession, limit: Limit, count: int, since: datetime) -> int:
    """Seconds until the count falls below the limit: until the row that must leave the window
    for that (the (count - most + 1)th oldest) leaves it."""
    leaving = await session.scalar(
        select(AuthEvent.created_at)
        .where(*_where(limit, limit.kinds, since))
        .order_by(AuthEvent.created_at)
        .offset(count - limit.most)
        .limit(1)
    )
    if leaving is None:
        return 1
    if leaving.tzinfo is None:  # SQLite keeps no zone
        leaving = leaving.replace(tzinfo=UTC)
    left = (leaving + timedelta(seconds=limit.window) - utcnow()).total_seconds()
    return max(1, math.ceil(left))


async def _refuse(session: AsyncSession, limit: Limit, client: Client, since: datetime) -> None:
    """Log the refusal, unless this key's refusal was already logged in this window."""
    already = await session.scalar(
        select(AuthEvent.id)
        .where(*_where(limit, ("throttled",), since), AuthEvent.detail == limit.refusal)
        .limit(1)
    )
    if already is None:
        email = limit.value if limit.column == "email" else None
        user_id = limit.value if limit.column == "user_id" else None
        session.add(event("throttled", client, user_id=user_id, email=email, detail=limit.refusal))


async def reserve(
    kind: str,
    client: Client,
    limits: Sequence[Limit],
    *,
    user_id: int | None = None,
    email: str | None = None,
) -> Reservation:
    """Write an attempt of `kind` (counted as a failure until settled) unless a limit is
    reached, atomically with the counting: see the module's docstring."""
    active = [limit for limit in limits if limit.most > 0]
    keys = [f"{'|'.join(limit.kinds)}:{limit.column}:{_fit(limit.column, limit.value)}" for limit in active]
    async with db.serialized(*keys) as session:
        now = utcnow()
        retry_after = 0
        for limit in active:
            since = now - timedelta(seconds=limit.window)
            count = await session.scalar(
                select(func.count()).select_from(AuthEvent).where(*_where(limit, limit.kinds, since))
            )
            if count >= limit.most:
                await _refuse(session, limit, client, since)
                retry_after = max(retry_after, await _retry_after(session, limit, count, since))
        changes.announce(session, "audit")
        if retry_after:
            await session.commit()
            return Reservation(None, retry_after)
        attempt = event(kind, client, user_id=user_id, email=email, detail="pending")
        session.add(attempt)
        await session.commit()
        return Reservation(attempt.id)


def settlement(
    attempt: int,
    *,
    kind: str | None = None,
    user_id: int | None = None,
    email: str | None = None,
    detail: str | None = None,
):  # noqa: ANN201
    """The statement that records how a reserved attempt ended, for a transaction of the
    caller's (so the outcome commits with what it describes)."""
    values: dict = {"detail": _fit("detail", detail)}
    if kind is not None:
        values["kind"] = kind
    if user_id is not None:
        values["user_id"] = user_id
    if email is not None:
        values["email"] = _fit("email", email)
    return update(AuthEvent).where(AuthEvent.id == attempt).values(**values)


async def settle(
    attempt: int,
    *,
    kind: str | None = None,
    user_id: int | None = None,
    email: str | None = None,
    detail: str | None = None,
) -> None:
    """Record how a reserved attempt ended: a failure's reason (detail), or a success's kind
    (and who), which stops it counting as a failure."""
    async with db.session() as session:
        await session.execute(settlement(attempt, kind=kind, user_id=user_id, email=email, detail=detail))
        changes.announce(session, "audit")
        await session.commit()


async def latest(viewer: UserDTO, limit: int = 50) -> list[EventDTO]:
    check_role(viewer, "admin")
    async with db.read() as session:
        rows = await session.execute(
            select(AuthEvent, User.name)
            .outerjoin(User, AuthEvent.user_id == User.id)
            .order_by(AuthEvent.created_at.desc(), AuthEvent.id.desc())
            .limit(limit)
        )
        return [
            EventDTO(
                kind=row.kind,
                created_at=iso(row.created_at),
                user_name=name,
                email=row.email,
                ip=row.ip,
                user_agent=row.user_agent,
                detail=row.detail,
            )
            for row, name in rows
        ]
