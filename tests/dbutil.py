"""Real databases for tests: a SQLite file, or a fresh database on the PostgreSQL server.

TEST_DATABASES (default "sqlite,postgresql") picks the backends; TEST_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/test) names the server. An unreachable server
is a failure, not a skip. Database work runs in its own thread with its own event loop, so
it never touches the loop pytest-tornado gives each test.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = [b.strip() for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]


def run_async(coro_factory) -> Any:
    """Run a coroutine to completion in a separate thread (and event loop)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro_factory())
        except BaseException as exc:  # re-raised in the caller
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_URL)
    conn = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port or 5432, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the given backend; yields its async SQLAlchemy URL."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = "t_" + uuid.uuid4().hex[:16]
    _create_pg(name)
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        run_async(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def alembic(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """Run the alembic CLI against database_url, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


class TemplateDatabases:
    """Migrate once per backend, then hand each test a copy: a file copy for SQLite,
    CREATE DATABASE ... TEMPLATE for PostgreSQL (both far faster than migrating again)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.urls: dict[str, str] = {}
        self.pg_template: str | None = None

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{self.folder / 'template.db'}"
            else:
                self.pg_template = "tmpl_" + uuid.uuid4().hex[:12]
                _create_pg(self.pg_template)
                url = make_url(PG_URL).set(database=self.pg_template).render_as_string(hide_password=False)
            result = alembic(url, "upgrade", "head")
            assert result.returncode == 0, result.stderr
            self.urls[backend] = url
        return self.urls[backend]

    @contextmanager
    def copy(self, backend: str, tmp_path: Path) -> Iterator[str]:
        template = self.url(backend)
        if backend == "sqlite":
            import shutil

            target = tmp_path / "app.db"
            shutil.copy(make_url(template).database, target)
            yield f"sqlite+aiosqlite:///{target}"
            return
        name = "t_" + uuid.uuid4().hex[:16]
        run_async(lambda: _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_template}"'))
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            run_async(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.pg_template:
            run_async(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_template}" WITH (FORCE)'))


def _create_pg(name: str) -> None:
    try:
        run_async(lambda: _pg_admin(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {PG_URL} ({exc}). Start it (scripts/postgres.sh does), "
            "or run only SQLite with TEST_DATABASES=sqlite."
        ) from exc
