"""What the DAL works on: the database and the settings it needs (set once by make_app()), and
the request's one connection.

A request scope (request_scope(), opened by core around the ACCESS check and the route code)
lends every read of the request the same autocommit connection: checked out lazily at the first
read, used by one DAL call at a time from the request's own task (a call from another task, or
while it is busy, gets a connection of its own), and given back, awaited, when the scope ends.
A write gives the read connection back first and uses a transaction of its own, so a request
never holds two connections (no pool deadlock under load). serialized() is the write
transaction that makes "count, then write" atomic (throttles, the last admin).
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable

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


def _database() -> Database:
    if state.database is None:
        raise RuntimeError("dal.db.configure(...) was not called (make_app does it)")
    return state.database


# --- the request's connection --------------------------------------------------------------------


@dataclass(eq=False)  # each scope is itself (kept in a set)
class Scope:
    task: asyncio.Task | None = field(default_factory=asyncio.current_task)
    connection: AsyncConnection | None = None
    busy: bool = False

    async def release(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.close()


_scope: ContextVar[Scope | None] = ContextVar("dal_request_scope", default=None)
_open: set[Scope] = set()  # every scope not yet ended, for drained()
_drained: list[asyncio.Event] = []  # set when the last open scope ends


@asynccontextmanager
async def request_scope() -> AsyncIterator[Scope]:
    """One request's use of the database: at most one connection, returned at the end."""
    scope = Scope()
    token = _scope.set(scope)
    _open.add(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
        try:
            await scope.release()
        finally:
            _open.discard(scope)
            if not _open:
                for waiting in _drained:
                    waiting.set()


async def drained() -> None:
    """Return once every request scope has ended and given its connection back (a request
    whose client went away still runs to its end). Shutting down awaits it, bounded, before
    the pool is disposed."""
    if not _open:
        return
    event = asyncio.Event()
    _drained.append(event)
    try:
        await event.wait()
    finally:
        _drained.remove(event)


def open_scopes() -> int:
    return len(_open)


def _lendable(scope: Scope | None) -> bool:
    return scope is not None and not scope.busy and scope.task is asyncio.current_task()


@asynccontextmanager
async def read_connection() -> AsyncIterator[AsyncConnection]:
    """An autocommit connection for reads: the request's own when it can be lent, else a new one."""
    scope = _scope.get()
    if not _lendable(scope):
        async with _database().connect_for_reads() as connection:
            yield connection
        return
    assert scope is not None
    if scope.connection is None:
        scope.connection = await _database().connect_for_reads()
    scope.busy = True
    try:
        yield scope.connection
    except BaseException:
        if scope.connection is not None and scope.connection.invalidated:
            await scope.release()  # dead: the next read checks out a fresh one
        raise
    finally:
        scope.busy = False


async def give_back_reads() -> None:
    """Before a write, or slow work that needs no database (bcrypt, rendering): the request's
    read connection goes back to the pool (the next read checks one out again)."""
    scope = _scope.get()
    if _lendable(scope):
        assert scope is not None
        await scope.release()


# --- reading -------------------------------------------------------------------------------------


async def fetch(statement: Executable, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Run a read statement (prebuilt, with bindparams) and return its rows. A read that fails
    because its connection died (the server restarted, the backend was terminated) is retried
    once on a fresh connection; nothing else is retried."""
    for attempt in (1, 2):
        try:
            async with read_connection() as connection:
                return list((await connection.execute(statement, params or {})).all())
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


async def fetch_one(statement: Executable, params: Mapping[str, Any] | None = None) -> Row | None:
    rows = await fetch(statement, params)
    return rows[0] if rows else None


@asynccontextmanager
async def read() -> AsyncIterator[AsyncSession]:
    """An ORM session for reading only (autocommit, on the request's connection): never write
    through it."""
    async with read_connection() as connection:
        async with AsyncSession(bind=connection, expire_on_commit=False) as session:
            yield session


# --- writing -------------------------------------------------------------------------------------


@asynccontextmanager
async def session() -> AsyncIterator[AsyncSession]:
    """An ORM session in a transaction of its own, for writes (commit it yourself). Never
    retried: a write that fails is reported, not repeated."""
    await give_back_reads()
    async with _database().session() as db:
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
    Rows a transaction must hold without a key are locked with FOR UPDATE (SQLite omits it).

    Within a process, transactions on the same keys first wait for each other on asyncio locks,
    holding no pooled connection: sixteen logins to one account queue here, not on ten
    connections that every other request needs too."""
    async with AsyncExitStack() as waiting:
        for key in sorted(set(keys)):
            await waiting.enter_async_context(_local_lock(key))
        async with session() as db:
            if db.bind.dialect.name == "sqlite":
                await db.execute(text("BEGIN IMMEDIATE"))
            else:
                for lock in sorted({lock_id(key) for key in keys}):
                    await db.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})
            yield db


# the locks of the keys some task holds or waits for; a lock nobody refers to goes away
_local_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _local_lock(key: str) -> asyncio.Lock:
    lock = _local_locks.get(key)
    if lock is None:
        lock = _local_locks[key] = asyncio.Lock()
    return lock
