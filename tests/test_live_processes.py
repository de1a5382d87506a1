"""Live pages across processes, with real `python app.py` servers: a change made through one
instance reaches a page served by another (PostgreSQL LISTEN/NOTIFY; on SQLite the change
log), a dropped listener connection comes back and refreshes every live page, and SIGTERM
closes every socket with "going away" before the drain."""

from __future__ import annotations

import asyncio
import json
import signal
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from models.db import LISTENER_NAME
from tests.dbutil import BACKENDS, alembic, fresh_database, run_async
from tests.harness import app_environment, free_port, run_app
from tests.live_helpers import WAIT, open_live
from tests.test_faults import call, sign_up

postgresql_only = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="TEST_DATABASES leaves out postgresql"
)


def environment(url: str, mode: str = "database") -> dict[str, str]:
    return app_environment(url, SESSION_MODE=mode)


def cookies_of(header: str) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)


def publish(base: str, cookie: str, title: str, published: bool = True) -> dict:
    body = json.dumps({"title": title, "body": "Some *text*", "published": published}).encode()
    headers = {"Content-Type": "application/json", "Cookie": cookie, "X-XSRFToken": "t"}
    status, _, answer = call(base + "/api/posts", data=body, headers=headers)
    assert status == 201, answer
    return json.loads(answer)


def two_instances_see_each_others_changes(url: str, mode: str, logs: Path) -> None:
    env = environment(url, mode)
    a_port, b_port = free_port(), free_port()
    a, b = f"http://127.0.0.1:{a_port}", f"http://127.0.0.1:{b_port}"
    with ExitStack() as stack:
        stack.enter_context(run_app(env, log=logs / "a.log", port=a_port))
        stack.enter_context(run_app(env, log=logs / "b.log", port=b_port))
        ada = sign_up(a)  # a session made on A, used on B

        async def scenario() -> None:
            on_b = await open_live(b, {}, "/posts")
            hers_on_b = await open_live(b, cookies_of(ada), "/dashboard")
            for page in (on_b, hers_on_b):
                assert (await page.next())["status"] == 200  # the first run (no digest was sent)
            await asyncio.to_thread(publish, a, ada, "Published through A")
            await on_b.until("Published through A")
            await hers_on_b.until("Published through A")
            await asyncio.to_thread(publish, a, ada, "A draft through A", False)
            await hers_on_b.until("A draft through A")
            await asyncio.to_thread(
                call,
                a + "/api/auth/logout",
                data=b"{}",
                headers={"Content-Type": "application/json", "Cookie": ada, "X-XSRFToken": "t"},
            )
            assert (await hers_on_b.closed())[0] == 4401  # the logout on A closes her page on B
            assert "A draft through A" not in on_b.mains()
            on_b.close()
            await on_b.closed()

        run_async(scenario)


@postgresql_only
@pytest.mark.parametrize("mode", ["database", "stateless"])
def test_a_change_through_one_instance_reaches_a_page_served_by_another_on_postgresql(tmp_path, mode):
    with fresh_database("postgresql", tmp_path) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        two_instances_see_each_others_changes(url, mode, tmp_path)


def test_processes_sharing_a_sqlite_database_hear_each_other_through_the_change_log(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    assert alembic(url, "upgrade", "head").returncode == 0
    two_instances_see_each_others_changes(url, "database", tmp_path)


@postgresql_only
def test_a_dropped_listener_reconnects_and_refreshes_every_live_page(tmp_path):
    """A post written behind the app's back (no announcement at all) shows on an open page
    only because the listener, once back, runs every live page again."""
    with fresh_database("postgresql", tmp_path) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with run_app(environment(url), log=tmp_path / "app.log", port=port):
            sign_up(base)

            async def listeners(conn) -> list[int]:  # noqa: ANN001
                rows = await conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE application_name = :name AND datname = current_database()"
                    ),
                    {"name": LISTENER_NAME},
                )
                return [row.pid for row in rows]

            async def scenario() -> None:
                page = await open_live(base, {}, "/posts")
                assert (await page.next())["status"] == 200
                engine = create_async_engine(url, poolclass=NullPool)
                try:
                    async with engine.connect() as conn:
                        deadline = asyncio.get_running_loop().time() + WAIT
                        while not (before := await listeners(conn)):  # one per worker
                            assert asyncio.get_running_loop().time() < deadline, "no listener"
                            await asyncio.sleep(0.05)
                        assert len(before) == 1
                    async with engine.begin() as conn:
                        now = datetime.now(UTC)
                        await conn.execute(
                            text(
                                "INSERT INTO posts (author_id, title, body, html, excerpt, published, "
                                "created_at, updated_at) VALUES (1, 'Written behind its back', 'b', "
                                "'<p>b</p>', 'b', true, :now, :now)"
                            ),
                            {"now": now},
                        )
                    async with engine.connect() as conn:
                        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before[0]})
                    await page.until("Written behind its back")
                    async with engine.connect() as conn:
                        after = await listeners(conn)
                    assert len(after) == 1 and after != before  # a new connection listens
                finally:
                    await engine.dispose()
                    page.close()
                    await page.closed()

            run_async(scenario)


def test_sigterm_closes_every_socket_with_going_away_before_the_drain(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    assert alembic(url, "upgrade", "head").returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with run_app(environment(url), log=tmp_path / "app.log", port=port) as app:
        process = app.process
        ada = sign_up(base)

        async def scenario() -> list[tuple[int | None, str | None]]:
            pages = [
                await open_live(base, {}, "/posts"),
                await open_live(base, cookies_of(ada), "/dashboard"),
            ]
            for page in pages:
                assert (await page.next())["status"] == 200
            process.send_signal(signal.SIGTERM)
            return [await page.closed() for page in pages]

        assert run_async(scenario) == [(1001, "going away")] * 2
        assert process.wait(timeout=30) == 0
        log = app.log_text()
    assert 0 < log.index("closing 2 live socket(s): going away") < log.index("shutting down")
    assert "Traceback" not in log
