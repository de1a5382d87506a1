"""Database: the async engine and session factory, and the schema-revision check.

One Database per application (created in make_app, never at import), disposed on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
# errors that mean "the database cannot be reached right now": pages and the API answer 503
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
    OSError,
    TimeoutError,
)


def head_revision() -> str | None:
    """The newest migration in migrations/ (read from disk; call once at start)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    # foreign keys are off by default in SQLite; WAL lets readers run beside a writer
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Database:
    def __init__(self, url: str, *, pooled: bool = True) -> None:
        self.url = url
        options: dict = {"poolclass": NullPool} if not pooled else {}
        if url.startswith("postgresql") and pooled:
            # a pool per process sized for one event loop; stale connections are replaced
            # (pre_ping) and a dead server fails fast instead of hanging requests
            options.update(
                pool_size=10, max_overflow=10, pool_timeout=5, pool_pre_ping=True, pool_recycle=1800
            )
            options["connect_args"] = {"timeout": 5, "command_timeout": 30}
        self.engine = create_async_engine(url, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # reads need no transaction: autocommit skips BEGIN and ROLLBACK round trips (the
        # same pool, so it costs no extra connections)
        self.reads = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only (autocommit): never write through it."""
        async with self.reads() as session:
            yield session

    async def revision(self) -> str | None:
        """The revision alembic last migrated this database to, or None for an empty one."""
        async with self.engine.connect() as conn:
            try:
                row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
            except Exception:  # no alembic_version table yet
                return None
        return row[0] if row else None

    async def dispose(self) -> None:
        await self.engine.dispose()
