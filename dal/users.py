"""Users: create, check credentials, rename, change password, list and change roles.

Every function that acts for someone takes the viewer (a UserDTO from verify_session) and
checks they may; passwords are checked and hashed here so hashes never leave the DAL. A role
change and its audit row commit together, with the admins locked: there is always an admin.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.mail import Mail
from dal import audit, changes, db, emails, outbox, tokens
from dal.access import check_role
from dal.dto import Authenticated, UserDTO, iso
from dal.errors import EmailTaken, Forbidden, Invalid, NotFound
from dal.ids import parse_id
from dal.passwords import hash_password, verify_password
from models import ROLES, User


def avatar_url(file_name: str | None) -> str | None:
    return f"/media/avatars/{file_name}" if file_name else None


def topics(user_id: int) -> tuple[str, ...]:
    """What a change to a user's name, picture or role touches (dal.changes)."""
    return ("users", f"user:{user_id}")


def to_dto(user: User) -> UserDTO:
    return UserDTO(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        created_at=iso(user.created_at),
        avatar_url=avatar_url(user.avatar),
        email_verified=user.email_verified_at is not None,
    )


async def create_user(
    name: str, email: str, password: str, verification: Callable[[str, UserDTO], Mail] | None = None
) -> Authenticated:
    """A new account; EmailTaken if the address (in any spelling) is registered. With
    verification, a verification link is mailed in the same transaction."""
    email = emails.canonical(email)  # the stored form; the unique index compares that
    password_hash = await hash_password(password, db.state.bcrypt_rounds)
    async with db.session() as session:
        user = User(name=name, email=email, password_hash=password_hash)
        session.add(user)
        changes.announce(session, "users")
        try:
            # no read before the insert: the unique index decides, even under concurrent sign-ups
            await session.flush()
        except IntegrityError:
            await session.rollback()
            raise EmailTaken() from None
        if verification is not None:
            await queue_verification(session, user, verification)
        await session.commit()
        return Authenticated(to_dto(user), user.session_version)


async def queue_verification(
    session: AsyncSession, user: User, compose: Callable[[str, UserDTO], Mail]
) -> None:
    """A new verification link for the user's address and its mail, in the caller's
    transaction (sign-up, "send again": see dal.verification)."""
    token = await tokens.issue(session, tokens.VERIFY, user.id, user.email, tokens.VERIFY_LIFETIME)
    outbox.add(session, compose(token, to_dto(user)))


async def verify_credentials(email: str, password: str) -> tuple[Authenticated | None, str]:
    """(who, "ok") when email and password match, with the session version read before the
    check (see Authenticated); else (None, the reason: "unknown email" or "wrong password",
    for the audit log only). Costs one bcrypt verification either way."""
    async with db.read() as session:
        user = await session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    await db.give_back_reads()  # bcrypt next: the connection waits in the pool meanwhile
    ok = await verify_password(password, user.password_hash if user else None, db.state.bcrypt_rounds)
    if user is None:
        return None, "unknown email"
    return (Authenticated(to_dto(user), user.session_version), "ok") if ok else (None, "wrong password")


async def rename(viewer: UserDTO, name: str) -> UserDTO:
    async with db.session() as session:
        user = await session.get(User, viewer.id)
        if user is None:
            raise NotFound("User not found")
        user.name = name
        changes.announce(session, *topics(user.id))
        await session.commit()
        return to_dto(user)


async def password_matches(viewer: UserDTO, password: str) -> bool:
    """Whether password is the viewer's (a re-authentication): one bcrypt check, off the loop."""
    async with db.read() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == viewer.id))
    await db.give_back_reads()  # bcrypt next: the connection waits in the pool meanwhile
    if stored is None:
        raise NotFound("User not found")
    return await verify_password(password, stored, db.state.bcrypt_rounds)


async def change_password(viewer: UserDTO, current: str, new: str) -> None:
    """Check the current password, store the new one and bump the session version, which ends
    every session (the caller re-issues the current one: dal.sessions.renew)."""
    async with db.session() as session:
        user = await session.get(User, viewer.id)
        if user is None:
            raise NotFound("User not found")
        stored = user.password_hash
    if not await verify_password(current, stored, db.state.bcrypt_rounds):
        raise Invalid("current_password", "The current password is not correct.")
    new_hash = await hash_password(new, db.state.bcrypt_rounds)
    async with db.session() as session:
        await session.execute(
            update(User)
            .where(User.id == viewer.id)
            .values(password_hash=new_hash, session_version=User.session_version + 1)
        )
        await session.commit()


async def list_users(viewer: UserDTO) -> list[UserDTO]:
    check_role(viewer, "admin")
    async with db.read() as session:
        users = await session.scalars(select(User).order_by(User.created_at, User.id))
        return [to_dto(u) for u in users]


async def set_role(viewer: UserDTO, user_id: int | str, role: str, client: audit.Client) -> UserDTO:
    """An admin changes someone else's role (not their own), and the change is audited in the
    same transaction. The admins' rows are locked first, so two admins demoting each other at
    once run one after the other: the second finds it would leave no admin, or that it is no
    longer an admin itself."""
    check_role(viewer, "admin")
    user_id = parse_id(user_id, "User not found")
    if role not in ROLES:
        raise Invalid("role", f"Role must be one of {', '.join(ROLES)}.")
    if user_id == viewer.id:
        raise Invalid("role", "You cannot change your own role: ask another admin.")
    async with db.serialized() as session:
        admins = set(
            await session.scalars(
                select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
            )
        )
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound("User not found")
        if role != "admin" and not admins - {user.id}:
            raise Invalid("role", "There must be at least one admin.")
        if viewer.id not in admins:
            raise Forbidden("This needs the admin role.")
        user.role = role
        # the actor by id: an email could overflow the detail's column
        session.add(
            audit.event(
                "role_changed",
                client,
                user_id=user.id,
                email=user.email,
                detail=f"to {role} by user {viewer.id}",
            )
        )
        changes.announce(session, *topics(user.id), "audit")
        await session.commit()
        return to_dto(user)


COMMAND_LINE = audit.Client(ip=None, user_agent=None)  # who acts from `python app.py ...`


async def promote(email: str) -> UserDTO:
    """Make the user with this email an admin (the command line's `python app.py promote`).
    The change is audited in the same transaction, as set_role's are; promoting an admin
    again changes nothing and records nothing."""
    async with db.session() as session:
        user = await session.scalar(select(User).where(func.lower(User.email) == emails.lookup_form(email)))
        if user is None:
            raise NotFound(f"No user with the email {email.strip()!r}")
        if user.role != "admin":
            user.role = "admin"
            session.add(
                audit.event(
                    "role_changed",
                    COMMAND_LINE,
                    user_id=user.id,
                    email=user.email,
                    detail="to admin by the command line",
                )
            )
            changes.announce(session, *topics(user.id))
        await session.commit()
        return to_dto(user)
