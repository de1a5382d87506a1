"""The clock of re-authentication ("sudo mode"): when a session's user last proved who they
are, and whether that is recent enough for a sensitive action.

Every time stored for it (the login, a re-authentication: dal.sessions) and every check of the
window (auth.reauth) reads `clock`, a module attribute, so tests move time forward instead of
waiting ten minutes. Times are whole epoch seconds: a stateless cookie carries them as "rat",
the sessions table as reauthenticated_at.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

clock = time.time  # seconds since the epoch


def now() -> int:
    return int(clock())


def as_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def as_epoch(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite keeps no zone: stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def is_recent(proved_at: int | None, window: int) -> bool:
    """Whether a proof made at proved_at still covers sensitive actions now."""
    # (a proof "in the future" comes from a clock a little ahead on another instance: it counts)
    return proved_at is not None and now() - proved_at < window


def until(proved_at: int | None, window: int) -> int | None:
    """When the proof stops covering (epoch seconds), or None when it does not cover now."""
    return proved_at + window if is_recent(proved_at, window) else None
