"""Migration 0011 (passkeys) on a database that already holds users: the two tables appear,
a passkey goes with its user (ON DELETE CASCADE), one credential id is registered once, a
challenge's purpose is one of four, and going down removes both tables without touching the
users. Both databases."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.dbutil import BACKENDS, alembic, fresh_database, run_async
from tests.test_migration_0005 import NOW, execute, query
from tests.test_migration_0007 import columns

PASSKEY = (
    "INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, transports, user_handle, name, "
    f"created_at) VALUES (:user_id, :credential_id, :key, 4294967295, '', :handle, 'k', {NOW})"
)


async def refused(url: str, sql: str, params: dict | None = None) -> bool:
    """Whether the database refuses the statement (an integrity error), the engine closed either way."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params or {})
        return False
    except IntegrityError:
        return True
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0011_adds_passkeys_and_challenges_and_goes_down_cleanly(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "0010").returncode == 0
        run_async(
            lambda: execute(
                url,
                "INSERT INTO users (id, name, email, password_hash, created_at, updated_at) "
                f"VALUES (:id, 'x', :email, 'x', {NOW}, {NOW})",
                params=[{"id": 1, "email": "ada@example.com"}, {"id": 2, "email": "bob@example.com"}],
            )
        )
        up = alembic(url, "upgrade", "0011")
        assert up.returncode == 0, up.stderr
        assert {"credential_id", "public_key", "sign_count", "transports", "name", "created_at",
                "last_used_at", "user_handle"} <= columns(url, "passkeys")  # fmt: skip
        assert {"challenge_hash", "purpose", "binding", "user_id", "expires_at"} <= columns(
            url, "webauthn_challenges"
        )
        row = {"credential_id": b"cred-1", "key": b"key", "handle": b"h" * 32}
        # the largest 32-bit unsigned counter fits
        run_async(lambda: execute(url, PASSKEY, params=[{"user_id": 1, **row}]))
        assert run_async(lambda: refused(url, PASSKEY, {"user_id": 2, **row}))  # registered once
        assert run_async(
            lambda: refused(
                url,
                "INSERT INTO webauthn_challenges (challenge_hash, purpose, binding, created_at, expires_at) "
                f"VALUES ('x', 'login', 'b', {NOW}, {NOW})",
            )
        )
        # the app turns SQLite's foreign keys on for each connection (models.db): so does this one
        pragma = ["PRAGMA foreign_keys=ON"] if backend == "sqlite" else []
        run_async(
            lambda: execute(
                url,
                *pragma,
                "INSERT INTO webauthn_challenges (challenge_hash, purpose, binding, user_id, created_at, "
                f"expires_at) VALUES ('y', 'reauth', 'b', 1, {NOW}, {NOW})",
                "DELETE FROM users WHERE id = 1",
            )
        )
        assert run_async(lambda: query(url, "SELECT count(*) FROM passkeys")) == [(0,)]
        assert run_async(lambda: query(url, "SELECT count(*) FROM webauthn_challenges")) == [(0,)]

        down = alembic(url, "downgrade", "0010")
        assert down.returncode == 0, down.stderr
        assert columns(url, "passkeys") == set() and columns(url, "webauthn_challenges") == set()
        assert run_async(lambda: query(url, "SELECT id FROM users")) == [(2,)]
        assert alembic(url, "upgrade", "head").returncode == 0
