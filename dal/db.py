"""What the DAL works on: the database and the settings it needs, set once by make_app()."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

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
