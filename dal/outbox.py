"""The outbox: mails waiting to be delivered, written in the same transaction as what caused
them (add), delivered by the background sender (dal.sender), so that a slow or absent mail
server never slows or fails a request, and a mail is sent if and only if its cause committed.

A sender claims due rows for a while (a lease): on PostgreSQL the rows are picked with
FOR UPDATE SKIP LOCKED, so concurrent senders (workers, instances) take different rows
without waiting on each other; on SQLite the claim is one UPDATE in a transaction that runs
alone (BEGIN IMMEDIATE). Only rows unclaimed, or whose lease has run out (a sender died), are
taken: every mail goes to one sender. A delivered mail's row is deleted (its text held a
live link); a failed one waits longer each time and is in the end given up (failed_at).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.mail import Mail
from dal import db
from models import OutboxMessage
from models.types import utcnow

# called after a transaction that added mail commits (the senders of this process wake up)
listeners: set[Callable[[], None]] = set()


@dataclass(frozen=True)
class Queued:
    id: int
    claim: str
    mail: Mail
    created_at: datetime
    attempts: int


def _wake(_session: object) -> None:
    for listener in list(listeners):
        listener()


def add(session: AsyncSession, mail: Mail) -> None:
    """Queue mail in the caller's transaction: it goes out only if that transaction commits."""
    session.add(
        OutboxMessage(
            recipient=mail.to,
            subject=mail.subject[:255],
            text=mail.text,
            html=mail.html,
            next_attempt_at=utcnow(),
        )
    )
    if not session.info.get("outbox_wakes"):
        session.info["outbox_wakes"] = True
        event.listen(session.sync_session, "after_commit", _wake, once=True)


def _available(now: datetime) -> tuple:
    return (
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


async def claim(limit: int, lease: timedelta) -> list[Queued]:
    """Take up to limit due mails, oldest first, for lease (see the module's docstring)."""
    claim_id = secrets.token_hex(16)
    now = utcnow()
    async with db.serialized() as session:  # SQLite: BEGIN IMMEDIATE; PostgreSQL: no lock
        due = select(OutboxMessage.id).where(*_available(now)).order_by(OutboxMessage.id).limit(limit)
        if session.bind.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        taken = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()), *_available(now))
            .values(claim=claim_id, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        rows = []
        if taken.rowcount:
            rows = list(
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.claim == claim_id).order_by(OutboxMessage.id)
                )
            )
        await session.commit()
    return [
        Queued(
            id=row.id,
            claim=claim_id,
            mail=Mail(to=row.recipient, subject=row.subject, text=row.text, html=row.html),
            created_at=row.created_at,
            attempts=row.attempts,
        )
        for row in rows
    ]


async def delivered(queued: Queued) -> None:
    async with db.session() as session:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id == queued.id))
        await session.commit()


async def failed(queued: Queued, error: str, retry_in: timedelta | None) -> None:
    """A failed delivery: try again after retry_in, or (None) give up for good."""
    now = utcnow()
    values: dict = {"attempts": OutboxMessage.attempts + 1, "last_error": error[:200], "claim": None}
    values["claimed_until"] = None
    if retry_in is None:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + retry_in
    async with db.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == queued.id, OutboxMessage.claim == queued.claim)
            .values(**values)
        )
        await session.commit()
