"""The end of an account: its export (everything stored about the user, as one JSON-ready
document) and its deletion.

Export: the document is a dict of sections, each built by one function of SECTIONS from the
same read, in order; a feature that stores more about a user adds its section there
(an async function (session, viewer) -> JSON-ready data, as ``_passkeys``).
Nothing secret goes in: no password or token hashes.

Deletion: one transaction removes the user and everything that is theirs (posts, sessions,
one-time links, mail still waiting for them), writes the "account_deleted" audit event and
queues the notice mail; audit events keep the user's id (auth_events.user_id has no foreign
key). The admins' rows are locked first, as role changes do (dal.users.set_role), so the
last admin cannot delete themselves, even when two admins delete themselves at once. The
avatar file goes after the commit; live pages hear that the posts and the sessions are gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.mail import Mail
from dal import audit, changes, db, outbox
from dal.avatars import folder
from dal.devices import describe_all
from dal.dto import UserDTO, iso
from dal.errors import Conflict, NotFound
from dal.sessions import sessions_topic
from dal.users import to_dto, topics
from models import (
    AuthEvent,
    OneTimeToken,
    OutboxMessage,
    Passkey,
    PendingLogin,
    Post,
    RecoveryCode,
    Session,
    User,
    WebAuthnChallenge,
)
from models.types import utcnow

EXPORT_FORMAT = "tornado-pages-account-export"
EXPORT_VERSION = 1
LAST_ADMIN = "You are the only admin: make someone else an admin before deleting your account."

Section = Callable[[AsyncSession, UserDTO], Awaitable[Any]]


# --- export ------------------------------------------------------------------------------------


async def _profile(session: AsyncSession, viewer: UserDTO) -> dict[str, Any]:
    user = await session.get(User, viewer.id)
    if user is None:
        raise NotFound("User not found")
    dto = to_dto(user)
    return {
        "id": dto.id,
        "name": dto.name,
        "email": dto.email,
        "email_verified": dto.email_verified,
        "role": dto.role,
        "created_at": dto.created_at,
        "avatar_url": dto.avatar_url,
    }


async def _posts(session: AsyncSession, viewer: UserDTO) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Post).where(Post.author_id == viewer.id).order_by(Post.id))
    return [
        {
            "id": post.id,
            "title": post.title,
            "body": post.body,
            "published": post.published,
            "created_at": iso(post.created_at),
            "updated_at": iso(post.updated_at),
        }
        for post in rows
    ]


async def _sessions(session: AsyncSession, viewer: UserDTO) -> list[dict[str, Any]]:
    """Database mode's session rows (stateless sessions are stored nowhere: an empty list)."""
    rows = (
        await session.execute(
            select(
                Session.id,
                Session.created_at,
                Session.last_seen_at,
                Session.expires_at,
                Session.user_agent,
                Session.ip,
            )
            .where(Session.user_id == viewer.id)
            .order_by(Session.id)
        )
    ).all()
    devices = await describe_all([row.user_agent for row in rows])
    return [
        {
            "id": row.id,
            "device": device,
            "user_agent": row.user_agent,
            "ip": row.ip,
            "created_at": iso(row.created_at),
            "last_seen_at": iso(row.last_seen_at),
            "expires_at": iso(row.expires_at),
        }
        for row, device in zip(rows, devices, strict=True)
    ]


async def _audit_events(session: AsyncSession, viewer: UserDTO) -> list[dict[str, Any]]:
    """The audit log's events about this user (by id: failed logins typed by others at the
    user's address are not the user's data)."""
    rows = await session.scalars(
        select(AuthEvent).where(AuthEvent.user_id == viewer.id).order_by(AuthEvent.created_at, AuthEvent.id)
    )
    return [
        {
            "kind": row.kind,
            "created_at": iso(row.created_at),
            "ip": row.ip,
            "user_agent": row.user_agent,
            "detail": row.detail,
        }
        for row in rows
    ]


async def _two_factor(session: AsyncSession, viewer: UserDTO) -> dict[str, Any]:
    """Whether two-factor authentication is on, since when, and how many recovery codes are
    left (never the secret or the codes)."""
    enabled_at = await session.scalar(select(User.totp_enabled_at).where(User.id == viewer.id))
    left = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == viewer.id, RecoveryCode.used_at.is_(None))
    )
    return {
        "enabled": enabled_at is not None,
        "enabled_at": iso(enabled_at) if enabled_at is not None else None,
        "recovery_codes_left": left if enabled_at is not None else 0,
    }


async def _passkeys(session: AsyncSession, viewer: UserDTO) -> list[dict[str, Any]]:
    """The user's passkeys by name and dates (never the keys or credential ids)."""
    rows = await session.scalars(select(Passkey).where(Passkey.user_id == viewer.id).order_by(Passkey.id))
    return [
        {
            "name": row.name,
            "created_at": iso(row.created_at),
            "last_used_at": iso(row.last_used_at) if row.last_used_at is not None else None,
        }
        for row in rows
    ]


SECTIONS: dict[str, Section] = {
    "profile": _profile,
    "posts": _posts,
    "sessions": _sessions,
    "two_factor": _two_factor,
    "passkeys": _passkeys,
    "audit_events": _audit_events,
}


async def export_account(viewer: UserDTO) -> dict[str, Any]:
    """Everything stored about the viewer, as a JSON-ready dict: a header, then one key per
    section of SECTIONS. Only ever the viewer's own data."""
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": iso(utcnow()),
    }
    async with db.read() as session:
        for name, build in SECTIONS.items():
            document[name] = await build(session, viewer)
    return document


# --- deletion ----------------------------------------------------------------------------------


def _remove_file(name: str) -> None:
    (folder() / name).unlink(missing_ok=True)


async def delete_account(viewer: UserDTO, client: audit.Client, notice: Callable[[UserDTO], Mail]) -> UserDTO:
    """Delete the viewer's account and everything that is theirs (see the module's docstring);
    notice(user) is the mail to their address, queued in the same transaction. Conflict when
    the viewer is the last admin. Returns the account as it was."""
    async with db.serialized("admins") as session:
        admins = set(
            await session.scalars(
                select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
            )
        )
        user = await session.get(User, viewer.id, with_for_update=True)
        if user is None:
            raise NotFound("User not found")
        if user.id in admins and not admins - {user.id}:
            raise Conflict(LAST_ADMIN)
        gone = to_dto(user)
        avatar = user.avatar
        post_ids = list(await session.scalars(select(Post.id).where(Post.author_id == user.id)))
        # mail still waiting for the user (their address, or an address they were moving to)
        # goes too: it names them, and its links die with the account
        pending = select(OneTimeToken.email).where(OneTimeToken.user_id == user.id).scalar_subquery()
        await session.execute(
            delete(OutboxMessage)
            .where(
                or_(
                    func.lower(OutboxMessage.recipient) == user.email.lower(),
                    OutboxMessage.recipient.in_(pending),
                )
            )
            .execution_options(synchronize_session=False)
        )
        # ON DELETE CASCADE would remove these too; explicit, so nothing depends on the pragma
        for statement in (
            delete(Post).where(Post.author_id == user.id),
            delete(Session).where(Session.user_id == user.id),
            delete(OneTimeToken).where(OneTimeToken.user_id == user.id),
            delete(Passkey).where(Passkey.user_id == user.id),
            delete(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user.id),
            delete(RecoveryCode).where(RecoveryCode.user_id == user.id),
            delete(PendingLogin).where(PendingLogin.user_id == user.id),
            delete(User).where(User.id == user.id),
        ):
            await session.execute(statement.execution_options(synchronize_session=False))
        session.add(
            audit.event(
                "account_deleted",
                client,
                user_id=gone.id,
                email=gone.email,
                detail=f"{len(post_ids)} posts; by the user",
            )
        )
        outbox.add(session, notice(gone))
        changes.announce(
            session,
            "posts",
            f"author:{gone.id}",
            *(f"post:{post_id}" for post_id in post_ids),
            *topics(gone.id),
            sessions_topic(gone.id),
            "audit",
        )
        await session.commit()
    if avatar:
        await asyncio.get_running_loop().run_in_executor(None, _remove_file, avatar)
    return gone
