"""Two-factor authentication with TOTP (RFC 6238, pyotp) and single-use recovery codes.

The secret is 160 random bits (32 base32 characters), stored encrypted (Fernet) with a key
derived from SECRET_KEY: a copy of the database alone does not give anyone's codes. Every key
of SECRET_KEY can open it and the newest seals it, so rotating the key keeps 2FA working: a
secret is sealed again with the newest key at each accepted code. (A secret sealed only with a
key since dropped cannot be opened: that account signs in with a recovery code, which does
not depend on the key, and sets 2FA up again.)

A code is accepted for the current 30-second step and one step either side. The step of the
last accepted code is kept (users.totp_last_step) and moved forward by one conditional UPDATE
(``... WHERE totp_last_step < :step``): of two requests with the same code, even concurrent
ones, at most one passes, and no code at or before an accepted one is accepted again.

Recovery codes: ten of 80 random bits each, shown once; only their SHA-256 is stored (a
code that random cannot be found by hashing guesses, so a slow hash would add nothing), and
one conditional UPDATE spends one, so it works once.

The clock is a module attribute (``clock``) so that tests can move time instead of waiting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dal import audit, changes, db
from dal.dto import UserDTO, iso
from dal.errors import Conflict, Invalid, NotFound
from models import RecoveryCode, User

clock = time.time  # seconds since the epoch: TOTP steps and pending logins' expiry
STEP = 30
WINDOW = 1  # steps accepted either side of the current one
ISSUER = "Tornado Pages"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: 5 bits a character
RECOVERY_LENGTH = 16  # 80 bits
TOTP_SHAPE = re.compile(r"[0-9]{6}")
RECOVERY_SHAPE = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")
TOTP, RECOVERY = "totp", "recovery_code"
WRONG_CODE = "That code is not correct. Enter the current 6-digit code from your app, or a recovery code."

_sealer: MultiFernet | None = None


def now() -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def configure(secret_keys: Sequence[str]) -> None:
    """The keys that seal TOTP secrets, derived from SECRET_KEY's keys (newest first)."""
    global _sealer
    _sealer = MultiFernet([Fernet(_derive(key)) for key in secret_keys]) if secret_keys else None


def _derive(key: str) -> bytes:
    # its own key: a signed cookie's key never doubles as an encryption key
    return base64.urlsafe_b64encode(hashlib.sha256(b"tornado-pages totp secret\x00" + key.encode()).digest())


def _seal(secret: str) -> str:
    if _sealer is None:
        raise RuntimeError("dal.two_factor.configure(...) was not called (make_app does it)")
    return _sealer.encrypt(secret.encode()).decode()


def _reseal(sealed: str) -> str:
    """The secret sealed again with the newest key (after a rotation of SECRET_KEY)."""
    assert _sealer is not None
    return _sealer.rotate(sealed.encode()).decode()


def _open(sealed: str | None) -> str | None:
    if sealed is None or _sealer is None:
        return None
    try:
        return _sealer.decrypt(sealed.encode()).decode()
    except InvalidToken:  # sealed with a key no longer listed: 2FA must be set up again
        return None


@dataclass(frozen=True)
class TwoFactorState:
    """What /account shows: whether 2FA is on (since when), the secret of a set-up waiting for
    its first code, and how many recovery codes are left."""

    enabled: bool
    enabled_at: str | None
    setup_secret: str | None
    setup_uri: str | None
    recovery_codes_left: int


@dataclass(frozen=True)
class Setup:
    secret: str  # base32, for typing into an app
    uri: str  # otpauth://totp/..., what the QR code holds


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def normalise(code: str) -> tuple[str | None, str]:
    """(TOTP, digits), (RECOVERY, the code in its stored form) or (None, "") for a string that
    cannot be either. Spaces and dashes are ignored (codes are shown grouped)."""
    compact = re.sub(r"[\s-]", "", code).lower()
    if TOTP_SHAPE.fullmatch(compact):
        return TOTP, compact
    if RECOVERY_SHAPE.fullmatch(compact):
        return RECOVERY, compact
    return None, ""


def _step_of(secret: str, code: str) -> int | None:
    """The time step (within the window around now) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    current = int(clock() // STEP)
    for step in range(current + WINDOW, current - WINDOW - 1, -1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_recovery_codes() -> list[str]:
    return [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]


def shown(code: str) -> str:
    """A recovery code as people read it: abcd-efgh-ijkl-mnop."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


async def _replace_recovery_codes(session: AsyncSession, user_id: int) -> list[str]:
    codes = _new_recovery_codes()
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    moment = now()
    await session.execute(
        insert(RecoveryCode),
        [{"user_id": user_id, "code_hash": _code_hash(c), "created_at": moment} for c in codes],
    )
    return [shown(c) for c in codes]


async def _spend(session: AsyncSession, user_id: int, code: str, client: audit.Client) -> str | None:
    """Accept code for the user (2FA on) in the caller's transaction: TOTP (moving the last
    step forward) or a recovery code (spending it, audited). The method, or None."""
    kind, value = normalise(code)
    if kind == TOTP:
        sealed = await session.scalar(
            select(User.totp_secret).where(User.id == user_id, User.totp_enabled_at.is_not(None))
        )
        secret = _open(sealed)
        step = _step_of(secret, value) if secret else None
        if step is None:
            return None
        result = await session.execute(
            update(User)
            .where(
                User.id == user_id,
                User.totp_secret == sealed,
                User.totp_enabled_at.is_not(None),
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step, totp_secret=_reseal(sealed))
        )
        return TOTP if result.rowcount == 1 else None
    if kind == RECOVERY:
        result = await session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == _code_hash(value),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now())
        )
        if result.rowcount != 1:
            return None
        session.add(audit.event("recovery_code_used", client, user_id=user_id))
        changes.announce(session, "audit")
        return RECOVERY
    return None


async def accept_code(user_id: int, code: str, client: audit.Client) -> str | None:
    """Check and use up a second-factor code of a user with 2FA on: "totp" or "recovery_code"
    when it is accepted (never twice), None otherwise. For the sign-in's second step (where
    the pending login names the user) and for re-authentication (the viewer's id)."""
    async with db.session() as session:
        method = await _spend(session, user_id, code, client)
        await session.commit()
    return method


async def is_enabled(user_id: int) -> bool:
    async with db.read() as session:
        enabled = await session.scalar(select(User.totp_enabled_at).where(User.id == user_id))
    return enabled is not None


async def state(viewer: UserDTO) -> TwoFactorState:
    async with db.read() as session:
        row = (
            await session.execute(select(User.totp_secret, User.totp_enabled_at).where(User.id == viewer.id))
        ).one_or_none()
        if row is None:
            raise NotFound("User not found")
        left = await session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == viewer.id, RecoveryCode.used_at.is_(None))
        )
    enabled = row.totp_enabled_at is not None
    secret = None if enabled else _open(row.totp_secret)
    return TwoFactorState(
        enabled=enabled,
        enabled_at=iso(row.totp_enabled_at) if enabled else None,
        setup_secret=secret,
        setup_uri=provisioning_uri(secret, viewer.email) if secret else None,
        recovery_codes_left=left or 0,
    )


ALREADY_ON = "Two-factor authentication is already on."
NOT_ON = "Two-factor authentication is not on."


async def start_setup(viewer: UserDTO) -> Setup:
    """A new secret for the viewer, kept (sealed) until a first code confirms it; starting
    again replaces it. Conflict when 2FA is already on."""
    secret = pyotp.random_base32(32)
    async with db.session() as session:
        result = await session.execute(
            update(User)
            .where(User.id == viewer.id, User.totp_enabled_at.is_(None))
            .values(totp_secret=_seal(secret), totp_last_step=None)
        )
        await session.commit()
    if result.rowcount != 1:
        raise Conflict(ALREADY_ON, field="code", field_message=ALREADY_ON)
    return Setup(secret, provisioning_uri(secret, viewer.email))


async def cancel_setup(viewer: UserDTO) -> None:
    async with db.session() as session:
        await session.execute(
            update(User).where(User.id == viewer.id, User.totp_enabled_at.is_(None)).values(totp_secret=None)
        )
        await session.commit()


async def confirm_setup(viewer: UserDTO, code: str, client: audit.Client) -> list[str]:
    """Turn 2FA on with the set-up's secret, if code is its current code: returns the ten
    recovery codes (shown once). Invalid("code") for a wrong code (nothing changes);
    Conflict when no set-up is waiting or 2FA is on already."""
    async with db.session() as session:
        row = (
            await session.execute(select(User.totp_secret, User.totp_enabled_at).where(User.id == viewer.id))
        ).one_or_none()
        if row is None:
            raise NotFound("User not found")
        if row.totp_enabled_at is not None:
            raise Conflict(ALREADY_ON, field="code", field_message=ALREADY_ON)
        secret = _open(row.totp_secret)
        if secret is None:
            message = "Start the set-up first: no two-factor set-up is waiting."
            raise Conflict(message, field="code", field_message=message)
        kind, value = normalise(code)
        step = _step_of(secret, value) if kind == TOTP else None
        if step is None:
            raise Invalid("code", "That code is not correct. Enter the 6-digit code your app shows now.")
        result = await session.execute(
            update(User)
            .where(User.id == viewer.id, User.totp_secret == row.totp_secret, User.totp_enabled_at.is_(None))
            .values(totp_enabled_at=now(), totp_last_step=step)
        )
        if result.rowcount != 1:  # a set-up started again, or finished, meanwhile
            raise Conflict("The set-up changed meanwhile: start again.", field="code")
        codes = await _replace_recovery_codes(session, viewer.id)
        session.add(audit.event("two_factor_enabled", client, user_id=viewer.id, email=viewer.email))
        changes.announce(session, "audit")
        await session.commit()
    return codes


async def disable(viewer: UserDTO, code: str, client: audit.Client, attempt: int) -> None:
    """Turn 2FA off, with a current code or a recovery code (used up either way): the secret
    and every recovery code go, and the reserved attempt (auth.throttle) is settled as
    "two_factor_disabled" in the same transaction. Invalid("code") for a wrong code (the
    caller settles the attempt as a failure); Conflict when it is off."""
    async with db.session() as session:
        if await session.scalar(select(User.totp_enabled_at).where(User.id == viewer.id)) is None:
            raise Conflict(NOT_ON, field="code", field_message=NOT_ON)
        method = await _spend(session, viewer.id, code, client)
        if method is None:
            await session.commit()
            raise Invalid("code", WRONG_CODE)
        await session.execute(
            update(User)
            .where(User.id == viewer.id)
            .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
        )
        await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == viewer.id))
        await session.execute(
            audit.settlement(
                attempt,
                kind="two_factor_disabled",
                user_id=viewer.id,
                email=viewer.email,
                detail=f"with {method}",
            )
        )
        changes.announce(session, "audit")
        await session.commit()


async def regenerate_recovery_codes(viewer: UserDTO, client: audit.Client) -> list[str]:
    """Ten new recovery codes (shown once); every older one stops working. Conflict when 2FA
    is off."""
    async with db.session() as session:
        enabled = await session.scalar(
            select(User.totp_enabled_at).where(User.id == viewer.id).with_for_update()
        )
        if enabled is None:
            raise Conflict(NOT_ON, field="code", field_message=NOT_ON)
        codes = await _replace_recovery_codes(session, viewer.id)
        session.add(audit.event("recovery_codes_regenerated", client, user_id=viewer.id, email=viewer.email))
        changes.announce(session, "audit")
        await session.commit()
    return codes
