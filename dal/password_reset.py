"""Password reset: ask for a link by mail, open it (reads only), set a new password with it.

Asking answers the same whether or not the address has an account, and does the same work
in one transaction either way (the lookup and the audit row; only an account adds its token
and its mail). Setting the new password uses the token up, stores the new hash and moves
the session version on in one statement (every session of the user ends, in both modes, and a
login in flight at the old version gets none), ends the user's other reset links, queues the
"your password was changed" mail and writes the audit row: all in one transaction. A mail
that reached the address proves the address too: an unverified one becomes verified.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from core.mail import Mail
from dal import audit, db, outbox, tokens
from dal.dto import UserDTO
from dal.errors import InvalidInput
from dal.passwords import hash_password
from dal.users import to_dto
from models import Session, User
from models.types import utcnow

INVALID_LINK = "This link is invalid, used or expired. Ask for a new one."

Compose = Callable[[str, UserDTO], Mail]  # (the token, the user) -> the mail with the link
Notice = Callable[[UserDTO], Mail]


async def request_reset(email: str, compose: Compose, lifetime: timedelta, attempt: int) -> None:
    """Mail a reset link to the account with this (canonical) email, if there is one; the
    reserved attempt is settled in the same transaction."""
    async with db.serialized(f"password-reset:{email}") as session:
        user = await session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None:
            await session.execute(audit.settlement(attempt, detail="no account"))
        else:
            token = await tokens.issue(session, tokens.RESET, user.id, user.email, lifetime)
            outbox.add(session, compose(token, to_dto(user)))
            await session.execute(audit.settlement(attempt, user_id=user.id, detail="mailed"))
        await session.commit()


async def link_works(token: object) -> bool:
    """Opening the link: is it a reset token, unused and unexpired? Consumes nothing."""
    return await tokens.find(token, tokens.RESET) is not None


async def reset_password(token: object, new_password: str, notice: Notice, attempt: int) -> UserDTO:
    """Set the new password with the token (see the module's docstring); InvalidInput with
    INVALID_LINK for an unknown, used or expired token."""
    found = await tokens.find(token, tokens.RESET)
    if found is None:
        raise InvalidInput(INVALID_LINK)
    new_hash = await hash_password(new_password, db.state.bcrypt_rounds)
    async with db.serialized(f"user:{found.user_id}") as session:
        if not await tokens.consume(session, found):
            raise InvalidInput(INVALID_LINK)
        user = await session.get(User, found.user_id)
        if user is None or user.email != found.email:  # the address changed since it was mailed
            raise InvalidInput(INVALID_LINK)
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                password_hash=new_hash,
                session_version=User.session_version + 1,
                email_verified_at=func.coalesce(User.email_verified_at, utcnow()),
            )
        )
        await session.execute(delete(Session).where(Session.user_id == user.id))
        await tokens.end(session, user.id, tokens.RESET)
        await session.refresh(user)
        changed = to_dto(user)
        outbox.add(session, notice(changed))
        await session.execute(
            audit.settlement(attempt, kind="password_reset", user_id=user.id, email=user.email)
        )
        await session.commit()
    return changed
