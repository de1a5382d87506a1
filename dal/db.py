"""What the DAL works on: the database and the settings it needs, set once by make_app(), and
the serialised write transaction that makes "count, then write" atomic."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database


@dataclass
class _State:
    database: Database | None = None
    bcrypt_rounds: int = 12
    session_mode: str = "database"
    upload_dir: Path = Path("uploads")


state = _State()


def configure(database: Database, *, bcrypt_rounds: int, session_mode: str, upload_dir: Path) -> None:
    state.database = database
    state.bcrypt_rounds = bcrypt_rounds
    state.session_mode = session_mode
    state.upload_dir = upload_dir


@asynccontextmanager
async def session() -> AsyncIterator[AsyncSession]:
    if state.database is None:
        raise RuntimeError("dal.db.configure(...) was not called (make_app does it)")
    async with state.database.session() as db:
        yield db


@asynccontextmanager
async def read() -> AsyncIterator[AsyncSession]:
    """For queries that only read: no transaction round trips."""
    if state.database is None:
        raise RuntimeError("dal.db.configure(...) was not called (make_app does it)")
    async with state.database.read() as db:
        yield db


def lock_id(key: str) -> int:
    """A signed 64-bit number for key (what PostgreSQL's advisory locks take)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@asynccontextmanager
async def serialized(*keys: str) -> AsyncIterator[AsyncSession]:
    """A write transaction that runs alone among the transactions naming one of the same keys,
    in any worker or instance: what it counts is still true when it writes. The caller commits;
    leaving without a commit rolls back; either way the locks end with the transaction.

    PostgreSQL: a transaction-scoped advisory lock per key (pg_advisory_xact_lock), taken in
    one fixed order so that two transactions cannot deadlock. SQLite runs one writer
    at a time: BEGIN IMMEDIATE takes the database's write lock at the start instead of at the
    first write, so the whole transaction runs alone (keys are not needed). The sqlite3 driver
    sees the open transaction and adds no BEGIN of its own; its commit and rollback end it.
    Rows a transaction must hold without a key are locked with FOR UPDATE (SQLite omits it)."""
    async with session() as db:
        if db.bind.dialect.name == "sqlite":
            await db.execute(text("BEGIN IMMEDIATE"))
        else:
            for lock in sorted({lock_id(key) for key in keys}):
                await db.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})
        yield db
