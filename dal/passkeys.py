"""Passkeys (WebAuthn credentials) and the challenges their ceremonies sign.

Row rules: a user sees, renames and deletes only their own passkeys; another user's passkey
id is NotFound, like one that does not exist. Each change writes its audit row in its own
transaction.

Challenges: 32 random bytes (only their SHA-256 is stored), for one purpose (models.PURPOSES)
and bound to one thing (a session cookie, a pending login, a sign-in cookie; the caller names
it as a string and the table keeps its SHA-256) and, except for passwordless sign-in, one user.
consume_challenge() is one DELETE ... RETURNING that matches the challenge, its purpose, its
binding, its user and its expiry at once: of two concurrent uses exactly one gets the row, and
a challenge is never used twice. Expired rows are pruned whenever a challenge is issued.

The clock (module attribute `clock`) is what challenges expire by, so that tests can move it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from dal import audit, db
from dal.dto import Authenticated, UserDTO, iso
from dal.errors import Conflict, NotFound
from dal.ids import parse_id
from dal.users import to_dto
from models import PURPOSES, Passkey, User, WebAuthnChallenge
from models.types import utcnow

clock: Callable[[], datetime] = utcnow
CHALLENGE_LIFETIME = timedelta(minutes=5)
CHALLENGE_BYTES = 32
MAX_PASSKEYS = 20  # per user: a list a person can still read, and a bounded allowCredentials
NOT_FOUND = "Passkey not found"


@dataclass(frozen=True)
class PasskeyDTO:
    id: int
    name: str
    created_at: str  # ISO 8601, UTC
    last_used_at: str | None
    transports: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredPasskey:
    """What verifying an assertion needs (auth.passkeys only; never leaves the server)."""

    id: int
    user_id: int
    credential_id: bytes
    public_key: bytes
    sign_count: int
    user_handle: bytes
    name: str


@dataclass(frozen=True)
class Credential:
    """A credential as an allow or exclude list names it."""

    credential_id: bytes
    transports: tuple[str, ...]


@dataclass(frozen=True)
class ConsumedChallenge:
    user_id: int | None
    user_handle: bytes | None


def _hash(value: bytes | str) -> str:
    return hashlib.sha256(value if isinstance(value, bytes) else value.encode()).hexdigest()


def _dto(row: Passkey) -> PasskeyDTO:
    return PasskeyDTO(
        id=row.id,
        name=row.name,
        created_at=iso(row.created_at),
        last_used_at=iso(row.last_used_at) if row.last_used_at is not None else None,
        transports=tuple(row.transports.split()),
    )


# --- challenges ----------------------------------------------------------------------------------


async def issue_challenge(
    purpose: str, binding: str, *, user_id: int | None = None, user_handle: bytes | None = None
) -> bytes:
    """A new challenge for purpose, bound to binding (and to user_id); returns its bytes."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown challenge purpose {purpose!r}")
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    now = clock()
    async with db.session() as session:
        await session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now))
        session.add(
            WebAuthnChallenge(
                challenge_hash=_hash(challenge),
                purpose=purpose,
                binding=_hash(binding),
                user_id=user_id,
                user_handle=user_handle,
                created_at=now,
                expires_at=now + CHALLENGE_LIFETIME,
            )
        )
        await session.commit()
    return challenge


async def consume_challenge(
    challenge: bytes, purpose: str, binding: str, *, user_id: int | None = None
) -> ConsumedChallenge | None:
    """Use the challenge up if it was issued for this purpose, binding (and user_id, when
    given) and has not expired; None otherwise (unknown, used, expired, or bound elsewhere)."""
    conditions = [
        WebAuthnChallenge.challenge_hash == _hash(challenge),
        WebAuthnChallenge.purpose == purpose,
        WebAuthnChallenge.binding == _hash(binding),
        WebAuthnChallenge.expires_at > clock(),
    ]
    if user_id is not None:
        conditions.append(WebAuthnChallenge.user_id == user_id)
    async with db.session() as session:
        result = await session.execute(
            delete(WebAuthnChallenge)
            .where(*conditions)
            .returning(WebAuthnChallenge.user_id, WebAuthnChallenge.user_handle)
        )
        row = result.first()
        await session.commit()
    return ConsumedChallenge(row.user_id, row.user_handle) if row is not None else None


# --- the user's passkeys -------------------------------------------------------------------------


def _own(viewer: UserDTO, passkey_id: int):  # noqa: ANN202
    """The row rule: the passkey, if it is the viewer's."""
    return select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == viewer.id)


async def list_passkeys(viewer: UserDTO) -> list[PasskeyDTO]:
    """The viewer's passkeys, oldest first."""
    async with db.read() as session:
        rows = await session.scalars(
            select(Passkey).where(Passkey.user_id == viewer.id).order_by(Passkey.created_at, Passkey.id)
        )
        return [_dto(row) for row in rows]


async def credentials_of(user_id: int) -> list[Credential]:
    """The user's credentials, for allowCredentials (an assertion) or excludeCredentials (a
    registration)."""
    rows = await db.fetch(
        select(Passkey.credential_id, Passkey.transports)
        .where(Passkey.user_id == user_id)
        .order_by(Passkey.id)
    )
    return [Credential(bytes(row.credential_id), tuple(row.transports.split())) for row in rows]


async def user_handle_of(viewer: UserDTO) -> bytes | None:
    """The WebAuthn user handle the viewer's passkeys carry (None: they have none yet)."""
    row = await db.fetch_one(
        select(Passkey.user_handle).where(Passkey.user_id == viewer.id).order_by(Passkey.id).limit(1)
    )
    return bytes(row.user_handle) if row is not None else None


async def add_passkey(
    viewer: UserDTO,
    *,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    transports: tuple[str, ...],
    user_handle: bytes,
    name: str,
    client: audit.Client,
) -> PasskeyDTO:
    """Store a verified new credential of the viewer's (Conflict: it is registered already, or
    the viewer has MAX_PASSKEYS)."""
    async with db.serialized(f"passkeys:{viewer.id}") as session:
        count = len((await session.scalars(select(Passkey.id).where(Passkey.user_id == viewer.id))).all())
        if count >= MAX_PASSKEYS:
            raise Conflict(f"You have {MAX_PASSKEYS} passkeys: delete one before adding another.")
        row = Passkey(
            user_id=viewer.id,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            transports=" ".join(transports),
            user_handle=user_handle,
            name=name,
            created_at=utcnow(),
        )
        session.add(row)
        session.add(audit.event("passkey_added", client, user_id=viewer.id, detail=f"passkey {name}"))
        try:
            await session.commit()
        except IntegrityError:
            raise Conflict("This passkey is registered already.") from None
        return _dto(row)


async def rename_passkey(
    viewer: UserDTO, passkey_id: int | str, name: str, client: audit.Client
) -> PasskeyDTO:
    """Rename one of the viewer's passkeys; anyone else's is NotFound."""
    passkey_id = parse_id(passkey_id, NOT_FOUND)
    async with db.session() as session:
        row = await session.scalar(_own(viewer, passkey_id))
        if row is None:
            raise NotFound(NOT_FOUND)
        old, row.name = row.name, name
        session.add(
            audit.event("passkey_renamed", client, user_id=viewer.id, detail=f"passkey {old} -> {name}")
        )
        await session.commit()
        return _dto(row)


async def delete_passkey(viewer: UserDTO, passkey_id: int | str, client: audit.Client) -> PasskeyDTO:
    """Delete one of the viewer's passkeys (returns what it was); anyone else's is NotFound."""
    passkey_id = parse_id(passkey_id, NOT_FOUND)
    async with db.session() as session:
        row = await session.scalar(_own(viewer, passkey_id))
        if row is None:
            raise NotFound(NOT_FOUND)
        gone = _dto(row)
        await session.execute(delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == viewer.id))
        session.add(audit.event("passkey_removed", client, user_id=viewer.id, detail=f"passkey {gone.name}"))
        await session.commit()
        return gone


# --- using a passkey -----------------------------------------------------------------------------


STORED = select(
    Passkey.id,
    Passkey.user_id,
    Passkey.credential_id,
    Passkey.public_key,
    Passkey.sign_count,
    Passkey.user_handle,
    Passkey.name,
)


async def find_by_credential(credential_id: bytes) -> StoredPasskey | None:
    row = await db.fetch_one(STORED.where(Passkey.credential_id == credential_id))
    if row is None:
        return None
    return StoredPasskey(
        id=row.id,
        user_id=row.user_id,
        credential_id=bytes(row.credential_id),
        public_key=bytes(row.public_key),
        sign_count=row.sign_count,
        user_handle=bytes(row.user_handle),
        name=row.name,
    )


@dataclass(frozen=True)
class Use:
    """A passkey just used: its owner (at their current session version) and the passkey."""

    who: Authenticated
    passkey: PasskeyDTO


async def record_use(stored: StoredPasskey, new_sign_count: int) -> Use | None:
    """After a verified assertion: store the new counter and the time of use, only if the
    counter is still the one the assertion was checked against (of two concurrent uses that
    both passed the check, one wins); returns the owner, at their current session version,
    or None (lost the race, or the passkey is gone)."""
    async with db.session() as session:
        result = await session.execute(
            update(Passkey)
            .where(Passkey.id == stored.id, Passkey.sign_count == stored.sign_count)
            .values(sign_count=new_sign_count, last_used_at=utcnow())
        )
        if result.rowcount != 1:
            await session.rollback()
            return None
        user = await session.get(User, stored.user_id)
        passkey = await session.get(Passkey, stored.id)
        await session.commit()
    if user is None or passkey is None:
        return None
    return Use(Authenticated(to_dto(user), user.session_version), _dto(passkey))
