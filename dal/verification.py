"""Email verification and email changes: links mailed to an address prove it is the user's.

A verification link (sign-up, or "send again") marks the address verified, if it is still
the user's address. An email change is asked for with the current password: a link goes to
the new address and a notice to the old one, and the address changes only when the link is
followed, and only if no account has taken the address meanwhile (Conflict: the unique
index decides, so of an email change and a sign-up racing for one address exactly one wins).
A change ends the user's outstanding links (the old address can no longer reset the
password). Each step writes its mail and its audit row in its own single transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.mail import Mail
from dal import audit, db, outbox, tokens
from dal.dto import UserDTO
from dal.errors import Conflict, EmailTaken, Invalid, InvalidInput, NotFound
from dal.password_reset import INVALID_LINK
from dal.passwords import verify_password
from dal.users import queue_verification, to_dto
from models import OneTimeToken, User
from models.types import utcnow

Compose = Callable[[str, UserDTO], Mail]  # (the token, the user) -> the mail with the link
Notice = Callable[[UserDTO], Mail]


@dataclass(frozen=True)
class Link:
    """What a verification link does: "verify" (the address) or "email-change" (to email)."""

    kind: str
    email: str


@dataclass(frozen=True)
class Confirmed:
    kind: str
    user: UserDTO


async def resend(viewer: UserDTO, compose: Compose, attempt: int) -> None:
    async with db.serialized(f"user:{viewer.id}") as session:
        user = await session.get(User, viewer.id)
        if user is None:
            raise NotFound("User not found")
        if user.email_verified_at is not None:
            raise InvalidInput("Your email address is verified already.")
        await queue_verification(session, user, compose)
        await session.execute(audit.settlement(attempt, user_id=user.id, detail="mailed"))
        await session.commit()


async def link(token: object) -> Link | None:
    """Opening the link: what it would do, if it still works. Consumes nothing."""
    found = await tokens.find(token, tokens.VERIFY, tokens.EMAIL_CHANGE)
    return Link(found.kind, found.email) if found is not None else None


async def confirm(token: object, attempt: int) -> Confirmed:
    """Follow the link: verify the address, or change it (Conflict if no longer free)."""
    found = await tokens.find(token, tokens.VERIFY, tokens.EMAIL_CHANGE)
    if found is None:
        raise InvalidInput(INVALID_LINK)
    async with db.serialized(f"user:{found.user_id}") as session:
        if not await tokens.consume(session, found):
            raise InvalidInput(INVALID_LINK)
        user = await session.get(User, found.user_id)
        if user is None:
            raise InvalidInput(INVALID_LINK)
        if found.kind == tokens.VERIFY:
            if user.email != found.email:  # the address changed since the link was mailed
                raise InvalidInput(INVALID_LINK)
            user.email_verified_at = user.email_verified_at or utcnow()
            settled = audit.settlement(attempt, kind="email_verified", user_id=user.id, email=user.email)
        else:
            previous = user.email
            user.email = found.email
            user.email_verified_at = utcnow()
            try:
                await session.flush()  # the unique index on lower(email) decides
            except IntegrityError:
                raise Conflict(EmailTaken().message) from None  # no form field here
            await tokens.end(session, user.id, tokens.RESET, tokens.VERIFY, tokens.EMAIL_CHANGE)
            settled = audit.settlement(
                attempt, kind="email_changed", user_id=user.id, email=user.email, detail=f"from {previous}"
            )
        await session.execute(settled)
        await session.commit()
        return Confirmed(found.kind, to_dto(user))


async def request_change(
    viewer: UserDTO,
    current_password: str | None,
    new_email: str,
    compose: Compose,
    notice: Notice,
    attempt: int,
) -> None:
    """Check the current password (None: the caller checked that the user re-authenticated
    recently instead, auth.reauth), then mail a link to the new address and a notice to the
    old one. Invalid (current_password, email) or EmailTaken when the address has an account."""
    async with db.read() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == viewer.id))
    if stored is None:
        raise NotFound("User not found")
    if current_password is not None and not await verify_password(
        current_password, stored, db.state.bcrypt_rounds
    ):
        raise Invalid("current_password", "The current password is not correct")
    if new_email == viewer.email:
        raise Invalid("email", "This is your email address already")
    async with db.serialized(f"user:{viewer.id}", f"email:{new_email}") as session:
        user = await session.get(User, viewer.id)
        if user is None:
            raise NotFound("User not found")
        taken = await session.scalar(select(User.id).where(func.lower(User.email) == new_email.lower()))
        if taken is not None:
            raise EmailTaken()
        token = await tokens.issue(
            session, tokens.EMAIL_CHANGE, user.id, new_email, tokens.EMAIL_CHANGE_LIFETIME
        )
        current = to_dto(user)
        outbox.add(session, compose(token, current))
        outbox.add(session, notice(current))
        await session.execute(audit.settlement(attempt, kind="email_change_requested", user_id=user.id))
        await session.commit()


async def pending_change(viewer: UserDTO) -> str | None:
    """The new address the viewer asked for, while its link still works."""
    async with db.read() as session:
        return await session.scalar(
            select(OneTimeToken.email)
            .where(
                OneTimeToken.user_id == viewer.id,
                OneTimeToken.kind == tokens.EMAIL_CHANGE,
                OneTimeToken.used_at.is_(None),
                OneTimeToken.expires_at > utcnow(),
            )
            .order_by(OneTimeToken.id.desc())
            .limit(1)
        )
