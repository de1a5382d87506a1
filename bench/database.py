"""The benchmark's own PostgreSQL database: dropped and created fresh, then migrated with
`alembic upgrade head` exactly as a release step would; dropped again at the end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import procs
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


async def _admin(server_url: str, sql: str) -> None:
    url = make_url(server_url)
    conn = await asyncpg.connect(
        user=url.username,
        password=url.password,
        host=url.host,
        port=url.port or 5432,
        database="postgres",
        timeout=10,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def recreate(server_url: str, name: str) -> str:
    """A new empty database called name on the server; returns its SQLAlchemy URL."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def migrate(database_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed:\n{result.stderr}")


async def _backend_pid(url: str) -> int:
    parts = make_url(url)
    conn = await asyncpg.connect(
        user=parts.username,
        password=parts.password,
        host=parts.host,
        port=parts.port or 5432,
        database=parts.database or "postgres",
        timeout=10,
    )
    try:
        return await conn.fetchval("SELECT pg_backend_pid()")
    finally:
        await conn.close()


def backend_pids(url: str):  # noqa: ANN201
    """A function giving the PostgreSQL backends serving url's database (for CPU accounting:
    other databases on the same server, a test suite's say, are left out), or none when the
    server is not on this machine."""
    try:
        backend = asyncio.run(_backend_pid(url))
        with open(f"/proc/{backend}/stat") as stat:  # a backend's parent is the postmaster
            postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, asyncpg.PostgresError, ValueError, IndexError):
        return lambda: []
    parts = make_url(url)
    title = f" {parts.username} {parts.database} ".encode()  # "postgres: USER DB 127.0.0.1(port) idle"

    def pids() -> list[int]:
        found = []
        for pid in procs.children(postmaster):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if title in cmdline.read():
                        found.append(pid)
            except OSError:
                continue
        return found

    return pids


def drop(server_url: str, name: str) -> None:
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
