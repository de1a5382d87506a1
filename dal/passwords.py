"""bcrypt, run in a small dedicated thread pool so hashing never blocks the event loop.

pyca/bcrypt releases the GIL, so one thread per core hashes in parallel without starving
other work. bcrypt only reads 72 bytes: longer passwords are refused at sign-up and never
match at login (they are checked against a dummy hash so they cost the same time).
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import bcrypt

from dal import db

MAX_BYTES = 72


def _lower_priority() -> None:
    """Hashing threads run at a lower CPU priority (nice 10) than the event loop, so a login
    storm slows other logins before it slows pages (Linux: per-thread priority)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


_pool = ThreadPoolExecutor(
    max_workers=os.cpu_count() or 2, thread_name_prefix="bcrypt", initializer=_lower_priority
)


async def _run(function, *args):  # noqa: ANN001, ANN202
    # bcrypt takes a quarter of a second: the request's database connection waits in the pool
    await db.give_back_reads()
    return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)


async def hash_password(password: str, rounds: int) -> str:
    encoded = password.encode()
    if len(encoded) > MAX_BYTES:
        raise ValueError(f"password is longer than {MAX_BYTES} bytes")
    hashed = await _run(bcrypt.hashpw, encoded, bcrypt.gensalt(rounds))
    return hashed.decode()


@lru_cache(maxsize=8)
def dummy_hash(rounds: int) -> bytes:
    """A fixed hash to verify against when there is no account, so "no such user" takes as
    long as "wrong password"."""
    return bcrypt.hashpw(b"no account has this password", bcrypt.gensalt(rounds))


async def verify_password(password: str, password_hash: str | None, rounds: int) -> bool:
    """True when password matches; with no hash (unknown account) or a password over 72 bytes,
    spend one verification on the dummy hash and answer False."""
    encoded = password.encode()
    if password_hash is None or len(encoded) > MAX_BYTES:
        dummy = await _run(dummy_hash, rounds)
        await _run(bcrypt.checkpw, encoded[:MAX_BYTES], dummy)
        return False
    try:
        return await _run(bcrypt.checkpw, encoded, password_hash.encode())
    except ValueError:  # a malformed stored hash: never a match, never a crash
        return False
