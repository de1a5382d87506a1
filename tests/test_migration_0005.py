"""Migration 0005 on a database that already holds data: every post gets its rendered HTML
and excerpt (batch by batch), every row survives the SQLite table rebuilds (AUTOINCREMENT),
emails take their canonical form unless another account already has it (then the row is kept
as it is and logged), and downgrading keeps every row. Both databases."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.dbutil import BACKENDS, alembic, fresh_database, run_async

NOW = "'2026-01-01 00:00:00'"
USERS = [
    "ada@exämple.com",  # takes the canonical form ada@xn--exmple-cua.com
    "ada@exa\u0308mple.com",  # the same mailbox, decomposed: left as it is, and logged
    "bob@ｅxample.com",  # fullwidth e: becomes bob@example.com
    "carol@example.org",  # already canonical
]
POSTS = 450  # more than one batch of the migration's 200


async def execute(url: str, *statements: str, params: list | None = None) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement), params)
    await engine.dispose()


async def query(url: str, sql: str) -> list:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text(sql))).all()
    await engine.dispose()
    return [tuple(row) for row in rows]


def seed(url: str) -> None:
    users = [{"id": i, "email": email} for i, email in enumerate(USERS, 1)]
    run_async(
        lambda: execute(
            url,
            "INSERT INTO users (id, name, email, password_hash, created_at, updated_at) "
            f"VALUES (:id, 'x', :email, 'x', {NOW}, {NOW})",
            params=users,
        )
    )
    posts = [
        {"id": i, "body": f"# Post {i}\n\nSome *text* <script>alert({i})</script>"}
        for i in range(1, POSTS + 1)
    ]
    run_async(
        lambda: execute(
            url,
            "INSERT INTO posts (id, author_id, title, body, published, created_at, updated_at) "
            f"VALUES (:id, 1, 't', :body, TRUE, {NOW}, {NOW})",
            params=posts,
        )
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_0005_renders_existing_posts_keeps_every_row_and_normalises_emails(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "0004").returncode == 0
        seed(url)
        up = alembic(url, "upgrade", "head")
        assert up.returncode == 0, up.stderr
        assert run_async(lambda: query(url, "SELECT id, email FROM users ORDER BY id")) == [
            (1, "ada@xn--exmple-cua.com"),
            (2, "ada@exa\u0308mple.com"),
            (3, "bob@example.com"),
            (4, "carol@example.org"),
        ]
        assert "user 2: email" in up.stderr and "belongs to another account" in up.stderr
        posts = run_async(lambda: query(url, "SELECT id, html, excerpt FROM posts ORDER BY id"))
        assert len(posts) == POSTS
        for post_id, html, excerpt in posts:
            assert html == (
                f"<h2>Post {post_id}</h2>\n<p>Some <em>text</em> &lt;script&gt;alert({post_id})&lt;/script&gt;</p>\n"
            )
            assert excerpt == f"Post {post_id} Some text <script>alert({post_id})</script>"
        if backend == "sqlite":
            tables = run_async(lambda: query(url, "SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            rebuilt = {name for name, sql in tables if "AUTOINCREMENT" in sql}
            found = {"users", "posts", "sessions", "auth_events", "rate_counters"}  # the tables 0005 met
            assert rebuilt & found == {"users", "posts", "sessions", "auth_events"}
        # down and up again: no row is lost either way
        assert alembic(url, "downgrade", "0004").returncode == 0
        assert run_async(lambda: query(url, "SELECT count(*) FROM posts")) == [(POSTS,)]
        assert run_async(lambda: query(url, "SELECT count(*) FROM users")) == [(len(USERS),)]
        again = alembic(url, "upgrade", "head")
        assert again.returncode == 0, again.stderr
        assert run_async(lambda: query(url, "SELECT count(*) FROM posts WHERE html LIKE '<h2>%'")) == [
            (POSTS,)
        ]
