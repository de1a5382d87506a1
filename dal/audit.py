"""The audit log: record authentication events, count them for throttling, list the latest
for admins. Never stores a password; the reason of a failure is a short fixed phrase."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import func, select

from dal import db
from dal.access import check_role
from dal.dto import UserDTO, iso
from models import AuthEvent, User
from models.types import utcnow


@dataclass(frozen=True)
class Client:
    """Who is on the other end: the client's address and user agent."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class EventDTO:
    kind: str
    created_at: str
    user_name: str | None
    email: str | None
    ip: str | None
    user_agent: str | None
    detail: str | None


async def record(
    kind: str,
    client: Client,
    *,
    user_id: int | None = None,
    email: str | None = None,
    detail: str | None = None,
) -> None:
    async with db.session() as session:
        session.add(
            AuthEvent(
                kind=kind,
                user_id=user_id,
                email=(email or None) and email[:254],
                ip=client.ip,
                user_agent=(client.user_agent or "")[:512] or None,
                detail=detail,
            )
        )
        await session.commit()


async def recent_count(
    kind: str, window_seconds: int, *, email: str | None = None, ip: str | None = None
) -> tuple[int, int]:
    """How many `kind` events for this email (or address) in the last window, and the whole
    seconds until the oldest of them leaves the window (0 when there are none)."""
    since = utcnow() - timedelta(seconds=window_seconds)
    condition = AuthEvent.email == email if email is not None else AuthEvent.ip == ip
    async with db.read() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(AuthEvent.created_at)).where(
                    AuthEvent.kind == kind, condition, AuthEvent.created_at > since
                )
            )
        ).one()
    if not count or oldest is None:
        return 0, 0
    if oldest.tzinfo is None:  # SQLite aggregates may come back without the zone
        oldest = oldest.replace(tzinfo=UTC)
    left = (oldest + timedelta(seconds=window_seconds) - utcnow()).total_seconds()
    return count, max(1, math.ceil(left))


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
                kind=event.kind,
                created_at=iso(event.created_at),
                user_name=name,
                email=event.email,
                ip=event.ip,
                user_agent=event.user_agent,
                detail=event.detail,
            )
            for event, name in rows
        ]
