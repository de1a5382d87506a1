"""Database: the async engine and session factory, and the schema-revision check.

One Database per application (created in make_app, never at import), disposed on shutdown.

No ping per request: a connection is pinged when it is checked out only if it sat idle in the
pool longer than IDLE_PING_SECONDS (a pool event); a dead one is replaced before anyone uses
it. A connection that dies while in use fails its statement: reads in autocommit may then be
retried once on a fresh connection (dal.db.fetch does), writes never are.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event, exc, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker, create_async_engine
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
IDLE_PING_SECONDS = 5.0
# one event loop per process: requests hold a connection only while their loader or handler
# runs, so a pool this size serves many more concurrent requests; it never grows (no overflow
# connections opened and closed under load) and a request waits at most POOL_TIMEOUT for one
POOL_SIZE = 10
POOL_TIMEOUT = 10
LISTENER_NAME = "tornado-pages-live"


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


def _remember_checkin(_dbapi_connection, record) -> None:  # noqa: ANN001
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:  # noqa: ANN001
    """Ping a connection that sat idle for a while; a dead one is replaced (the pool retries
    the check-out when this raises DisconnectionError)."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    except Exception as error:
        raise exc.DisconnectionError(f"stale connection: {error}") from error


class Database:
    def __init__(self, url: str, *, pooled: bool = True) -> None:
        self.url = url
        options: dict = {"poolclass": NullPool} if not pooled else {}
        if url.startswith("postgresql") and pooled:
            options.update(pool_size=POOL_SIZE, max_overflow=0, pool_timeout=POOL_TIMEOUT, pool_recycle=1800)
            # a dead server fails fast instead of hanging requests
            options["connect_args"] = {"timeout": 5, "command_timeout": 30}
        self.engine = create_async_engine(url, **options)
        sync_engine = self.engine.sync_engine
        if self.engine.dialect.name == "sqlite":
            event.listen(sync_engine, "connect", _sqlite_pragmas)
        if pooled:
            event.listen(sync_engine.pool, "checkin", _remember_checkin)
            event.listen(sync_engine.pool, "checkout", _ping_if_idle)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # reads need no transaction: autocommit skips BEGIN and ROLLBACK round trips (the
        # same pool, so it costs no extra connections)
        self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    def connect_for_reads(self) -> AsyncConnection:
        """A new autocommit connection (use as `async with`, or close it yourself)."""
        return self.autocommit.connect()

    async def listener_connection(self) -> Any:
        """A PostgreSQL connection of its own, outside the pool, for LISTEN (the live pages'
        listener, dal.changes); the server shows it as application_name LISTENER_NAME."""
        import asyncpg

        url = make_url(self.url)
        return await asyncpg.connect(
            user=url.username,
            password=url.password,
            host=url.host or "localhost",
            port=url.port or 5432,
            database=url.database,
            timeout=5,
            server_settings={"application_name": LISTENER_NAME},
        )

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
