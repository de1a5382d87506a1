"""Sessions in two modes, behind one API: create, verify (the secure check), renew, end.

The payload these functions hand out is what the session cookie carries (the cookie layer
signs it): in ``database`` mode a random 256-bit token whose SHA-256 is the row's token_hash;
in ``stateless`` mode JSON with the user id, role, expiry and session version. Either way the
user's session_version must still match, so a password change or "sign out everywhere" ends
every older session; and a session is only granted at the version its credentials were
checked at (create_session), so a login in flight never outlives a change that lands first.

"Keep me signed in" (persistent): a persistent session lives 30 days, extended when used in
the second half of its life; any other lives 12 hours past its last use (database mode:
expires_at moves with last_seen_at, so to within LAST_SEEN_RESOLUTION) or 12 hours in all
(stateless mode, where nothing is written). The clock is a module attribute (``clock``), so
that tests can move time instead of waiting.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, insert, literal, select, update

from dal import changes, db, reauth
from dal.devices import describe_all
from dal.dto import Authenticated, SessionDTO, UserDTO, Verified, iso
from dal.errors import NotFound
from dal.ids import parse_id
from dal.users import avatar_url
from models import Session, User
from models.types import UTCDateTime

clock = time.time  # seconds since the epoch
LIFETIME = timedelta(days=30)  # a persistent session ("Keep me signed in")
IDLE_LIFETIME = timedelta(hours=12)  # any other: since its last use
# last_seen_at is written at most this often, so a busy session is not a write per request
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
DATABASE, STATELESS = "database", "stateless"


def utcnow() -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _stateless_payload(
    user_id: int,
    role: str,
    version: int,
    *,
    persistent: bool,
    proved: int,
    expires: datetime | None = None,
    sid: str | None = None,
) -> str:
    # "sid": two logins in the same second are still two sessions (a logout ends its own);
    # "rat": when the user last proved who they are (epoch seconds of dal.reauth.clock);
    # "p": 0 for a browser session (payloads from before it was added are persistent)
    if expires is None:
        expires = utcnow() + (LIFETIME if persistent else IDLE_LIFETIME)
    payload = {
        "uid": user_id,
        "role": role,
        "exp": int(expires.timestamp()),
        "ver": version,
        "sid": sid or secrets.token_urlsafe(6),
        "rat": proved,
    }
    if not persistent:
        payload["p"] = 0
    return json.dumps(payload, separators=(",", ":"))


def stateless_persistent(data: dict) -> bool:
    return data.get("p", 1) != 0


def _stateless_fields(payload: str) -> dict | None:
    """A stateless payload's fields, or None for anything else (read after its signature passed)."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _proved_at(value: object) -> int | None:
    """A "rat" read from a cookie: whole epoch seconds, or None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**40:
        return None
    return value


async def create_session(
    who: Authenticated, *, user_agent: str | None, ip: str | None, persistent: bool
) -> str | None:
    """A brand-new session (never a reused one) for who, at the session version their
    credentials were checked at; returns the cookie payload, or None when that version is no
    longer the user's (the password changed, or "sign out everywhere", during the check).
    persistent: "Keep me signed in" (see the module's docstring)."""
    now = utcnow()
    proved = reauth.now()  # a login is a proof of who the user is: the window starts now
    current = (User.id == who.user.id, User.session_version == who.session_version)
    if db.state.session_mode == STATELESS:
        # the cookie carries the version read before the check: a later change ends it too
        async with db.read() as session:
            role = await session.scalar(select(User.role).where(*current))
        if role is None:
            return None
        return _stateless_payload(
            who.user.id, role, who.session_version, persistent=persistent, proved=proved
        )
    token = secrets.token_urlsafe(32)
    row = {
        "token_hash": literal(token_hash(token)),
        "user_id": User.id,
        "session_version": User.session_version,
        "created_at": literal(now, UTCDateTime),
        "expires_at": literal(now + (LIFETIME if persistent else IDLE_LIFETIME), UTCDateTime),
        "last_seen_at": literal(now, UTCDateTime),
        "persistent": literal(persistent, Session.persistent.type),
        "user_agent": literal((user_agent or "")[:512] or None, Session.user_agent.type),
        "ip": literal((ip or "")[:45] or None, Session.ip.type),
        "reauthenticated_at": literal(reauth.as_datetime(proved), UTCDateTime),
    }
    # one statement: the row exists only if the version is still the one checked
    statement = insert(Session).from_select(list(row), select(*row.values()).where(*current))
    async with db.session() as session:
        result = await session.execute(statement)
        await session.commit()
    return token if result.rowcount == 1 else None


# what the secure check reads: the session's clock and version, and the user's public fields
USER_COLUMNS = (
    User.id,
    User.name,
    User.email,
    User.role,
    User.created_at,
    User.avatar,
    User.email_verified_at,
    User.session_version,
)

# the hot path's statements, built once (SQLAlchemy caches their compiled form): the session
# joined with its user by token hash (database mode), the user by id (stateless mode)
SESSION_BY_TOKEN = (
    select(
        Session.id.label("session_id"),
        Session.expires_at,
        Session.last_seen_at,
        Session.persistent,
        Session.session_version.label("granted_version"),
        Session.reauthenticated_at,
        *USER_COLUMNS,
    )
    .join(User, Session.user_id == User.id)
    .where(Session.token_hash == bindparam("token_hash"))
)
USER_BY_ID = select(*USER_COLUMNS).where(User.id == bindparam("user_id"))


def _user_from(row) -> UserDTO:  # noqa: ANN001
    return UserDTO(
        id=row.id,
        name=row.name,
        email=row.email,
        role=row.role,
        created_at=iso(row.created_at),
        avatar_url=avatar_url(row.avatar),
        email_verified=row.email_verified_at is not None,
    )


async def verify_session(payload: str) -> Verified | None:
    """The secure check: who this cookie payload proves, or None (expired, revoked, unknown,
    or garbage). One read on the hot path; in database mode a session in the second half of
    its life is extended (a browser session's moves with last_seen_at: 12 idle hours), and
    last_seen_at moves at most every few minutes (rare writes)."""
    if db.state.session_mode == STATELESS:
        return await _verify_stateless(payload)
    if not payload or len(payload) > 128:
        return None
    now = utcnow()
    row = await db.fetch_one(SESSION_BY_TOKEN, {"token_hash": token_hash(payload)})
    if row is None:
        return None
    if row.expires_at <= now or row.granted_version != row.session_version:
        async with db.session() as session:
            await session.execute(delete(Session).where(Session.id == row.session_id))
            await session.commit()
        return None
    changes: dict = {}
    refreshed = None
    if row.persistent and row.expires_at - now < LIFETIME / 2:
        changes["expires_at"] = now + LIFETIME
        refreshed = payload  # re-sent with a fresh Max-Age (and signature)
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        changes["last_seen_at"] = now
        if not row.persistent:
            changes["expires_at"] = now + IDLE_LIFETIME
    if changes:
        async with db.session() as session:
            await session.execute(update(Session).where(Session.id == row.session_id).values(**changes))
            await session.commit()
    return Verified(
        user=_user_from(row),
        session_id=row.session_id,
        refreshed_payload=refreshed,
        persistent=row.persistent,
        reauthenticated_at=reauth.as_epoch(row.reauthenticated_at),
    )


async def _verify_stateless(payload: str) -> Verified | None:
    data = _stateless_fields(payload)
    if data is None:
        return None
    try:
        user_id, expires, version = int(data["uid"]), int(data["exp"]), int(data["ver"])
        persistent = stateless_persistent(data)
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError, AttributeError):
        return None
    if expires <= utcnow().timestamp() or not 0 < user_id < 2**31:
        return None
    row = await db.fetch_one(USER_BY_ID, {"user_id": user_id})
    if row is None or row.session_version != version:
        return None
    return Verified(
        user=_user_from(row),
        session_id=None,
        persistent=persistent,
        reauthenticated_at=_proved_at(data.get("rat")),
    )


async def mark_reauthenticated(viewer: UserDTO, current_payload: str) -> str:
    """The viewer just proved who they are again (auth.reauth.confirm): the session's
    re-authentication time moves to now. Returns the cookie payload to carry on with: the same
    token (database mode: the row changes) or a new stateless payload (same session, same
    expiry and lifetime, the new time)."""
    proved = reauth.now()
    if db.state.session_mode == STATELESS:
        data = _stateless_fields(current_payload) or {}
        expires = datetime.fromtimestamp(int(data.get("exp", 0)), UTC)
        sid = data.get("sid") if isinstance(data.get("sid"), str) else None
        async with db.read() as session:
            row = (
                await session.execute(select(User.role, User.session_version).where(User.id == viewer.id))
            ).first()
        if row is None:
            raise NotFound("User not found")
        return _stateless_payload(
            viewer.id,
            row.role,
            row.session_version,
            persistent=stateless_persistent(data),
            proved=proved,
            expires=expires,
            sid=sid,
        )
    async with db.session() as session:
        result = await session.execute(
            update(Session)
            .where(Session.token_hash == token_hash(current_payload), Session.user_id == viewer.id)
            .values(reauthenticated_at=reauth.as_datetime(proved))
        )
        await session.commit()
    if result.rowcount != 1:
        raise NotFound("Session not found")
    return current_payload


def ended_topic(payload: str) -> str:
    """What end_session announces (dal.changes): live pages opened with this session close."""
    return f"session:{token_hash(payload)}"


def sessions_topic(user_id: int) -> str:
    """What a change to a user's sessions announces: their live pages check their session."""
    return f"sessions:{user_id}"


async def end_session(payload: str) -> None:
    """Logout: the row goes, so replaying the cookie fails. (A stateless cookie cannot be
    revoked alone; the browser's copy is cleared, and "sign out everywhere" ends the rest.)
    Either way, live pages opened with this session close."""
    if not payload:
        return
    async with db.session() as session:
        if db.state.session_mode == DATABASE:
            await session.execute(delete(Session).where(Session.token_hash == token_hash(payload)))
        changes.announce(session, ended_topic(payload))
        await session.commit()


async def end_other_sessions(viewer: UserDTO, current_payload: str) -> str:
    """Sign out everywhere else: bump the session version (ends every session in both modes),
    then keep the current one alive. Returns the payload to re-issue the current cookie with."""
    async with db.session() as session:
        await session.execute(
            update(User).where(User.id == viewer.id).values(session_version=User.session_version + 1)
        )
        await session.commit()
    return await renew(viewer, current_payload)


async def renew(viewer: UserDTO, current_payload: str) -> str:
    """After the session version moved on: carry the current session over to it and drop the
    user's other rows. Returns the new payload (stateless) or the same token (database)."""
    async with db.session() as session:
        user = await session.get(User, viewer.id)
        if user is None:
            raise NotFound("User not found")
        changes.announce(session, sessions_topic(user.id))
        if db.state.session_mode == STATELESS:
            await session.commit()  # announces it: the live pages of older payloads close
            # the current session carries its lifetime and last proof of who the user is over
            data = _stateless_fields(current_payload) or {}
            proved = _proved_at(data.get("rat")) or 0
            return _stateless_payload(
                user.id, user.role, user.session_version, persistent=stateless_persistent(data), proved=proved
            )
        current_hash = token_hash(current_payload)
        await session.execute(
            delete(Session).where(Session.user_id == user.id, Session.token_hash != current_hash)
        )
        await session.execute(
            update(Session)
            .where(Session.token_hash == current_hash)
            .values(session_version=user.session_version)
        )
        await session.commit()
        return current_payload


SESSION_COLUMNS = (
    Session.id, Session.created_at, Session.last_seen_at, Session.expires_at, Session.user_agent, Session.ip,
)  # fmt: skip


async def list_sessions(viewer: UserDTO, current_session_id: int | None) -> list[SessionDTO]:
    """The viewer's active sessions (database mode), most recently used first, each with its
    device as a person reads it."""
    async with db.read() as session:
        result = await session.execute(
            select(*SESSION_COLUMNS)
            .where(Session.user_id == viewer.id, Session.expires_at > utcnow())
            .order_by(Session.last_seen_at.desc(), Session.id.desc())
        )
        rows = result.all()
    await db.give_back_reads()  # the devices are read off the user agents next, in their own thread
    devices = await describe_all([r.user_agent for r in rows])
    return [
        SessionDTO(
            id=r.id,
            created_at=iso(r.created_at),
            last_seen_at=iso(r.last_seen_at),
            expires_at=iso(r.expires_at),
            user_agent=r.user_agent,
            ip=r.ip,
            current=r.id == current_session_id,
            device=device,
        )
        for r, device in zip(rows, devices, strict=True)
    ]


async def end_session_by_id(viewer: UserDTO, session_id: int | str) -> int:
    """Sign out one of the viewer's own sessions (returns its id); someone else's is NotFound."""
    session_id = parse_id(session_id, "Session not found")
    async with db.session() as session:
        result = await session.execute(
            delete(Session).where(Session.id == session_id, Session.user_id == viewer.id)
        )
        if result.rowcount == 1:
            changes.announce(session, sessions_topic(viewer.id))
        await session.commit()
    if result.rowcount == 0:
        raise NotFound("Session not found")
    return session_id
