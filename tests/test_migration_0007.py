"""Migration 0007 (mail) on a database that already holds users: they stay unverified, the
outbox and one-time tokens appear, and going down removes them and the column again without
touching the users (on SQLite the users table keeps AUTOINCREMENT and its lower(email) index,
which batch mode could not have rebuilt). Both databases."""

import pytest

from tests.dbutil import BACKENDS, alembic, fresh_database, run_async
from tests.test_migration_0005 import NOW, execute, query

USERS = [{"id": 1, "email": "ada@example.com"}, {"id": 2, "email": "bob@example.com"}]


def columns(url: str, table: str) -> set[str]:
    if url.startswith("sqlite"):
        sql = f"SELECT name FROM pragma_table_info('{table}')"
    else:
        sql = f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'"
    return {row[0] for row in run_async(lambda: query(url, sql))}


@pytest.mark.parametrize("backend", BACKENDS)
def test_0007_keeps_existing_users_unverified_and_goes_down_cleanly(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "0006").returncode == 0
        run_async(
            lambda: execute(
                url,
                "INSERT INTO users (id, name, email, password_hash, created_at, updated_at) "
                f"VALUES (:id, 'x', :email, 'x', {NOW}, {NOW})",
                params=USERS,
            )
        )
        up = alembic(url, "upgrade", "0007")
        assert up.returncode == 0, up.stderr
        assert run_async(lambda: query(url, "SELECT id, email_verified_at FROM users ORDER BY id")) == [
            (1, None),
            (2, None),
        ]
        assert {"recipient", "next_attempt_at", "claim", "claimed_until", "failed_at"} <= columns(
            url, "outbox"
        )
        assert {"kind", "token_hash", "email", "expires_at", "used_at"} <= columns(url, "one_time_tokens")
        assert "token" not in columns(url, "one_time_tokens")  # only the hash is stored

        down = alembic(url, "downgrade", "0006")
        assert down.returncode == 0, down.stderr
        assert "email_verified_at" not in columns(url, "users")
        assert columns(url, "outbox") == set() and columns(url, "one_time_tokens") == set()
        assert run_async(lambda: query(url, "SELECT id, email FROM users ORDER BY id")) == [
            (1, "ada@example.com"),
            (2, "bob@example.com"),
        ]
        if backend == "sqlite":
            schema = dict(run_async(lambda: query(url, "SELECT name, sql FROM sqlite_master")))
            assert "AUTOINCREMENT" in schema["users"] and "uq_users_email_lower" in schema
        assert alembic(url, "upgrade", "head").returncode == 0
