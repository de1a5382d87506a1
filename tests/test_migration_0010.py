"""Migration 0010 (re-authentication, audit ids that outlive accounts) on a database that
already holds users, sessions and events: existing sessions start without a proof (their next
sensitive action asks for one), an event keeps its user's id once the account is deleted, and
going down puts the old foreign key back (orphaned ids becoming NULL, as it would have made
them). Both databases."""

import pytest

from tests.dbutil import BACKENDS, alembic, fresh_database, run_async
from tests.test_migration_0005 import NOW, execute, query
from tests.test_migration_0007 import columns

FOREIGN_KEYS = "PRAGMA foreign_keys=ON"  # SQLite enforces them only when asked, as the app does


@pytest.mark.parametrize("backend", BACKENDS)
def test_0010_keeps_audit_ids_of_deleted_accounts_and_goes_down_cleanly(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "0009").returncode == 0
        statements = [
            "INSERT INTO users (id, name, email, password_hash, created_at, updated_at) "
            f"VALUES (1, 'Ada', 'ada@example.com', 'x', {NOW}, {NOW}), (2, 'Bob', 'bob@example.com', 'x', {NOW}, {NOW})",
            "INSERT INTO sessions (token_hash, user_id, session_version, created_at, expires_at, last_seen_at) "
            f"VALUES ('h1', 1, 1, {NOW}, {NOW}, {NOW})",
            f"INSERT INTO auth_events (kind, user_id, created_at) VALUES ('signup', 1, {NOW}), ('signup', 2, {NOW})",
        ]
        run_async(lambda: execute(url, *statements))
        up = alembic(url, "upgrade", "0010")
        assert up.returncode == 0, up.stderr
        assert "reauthenticated_at" in columns(url, "sessions")
        assert run_async(lambda: query(url, "SELECT reauthenticated_at FROM sessions")) == [(None,)]

        pragma = [FOREIGN_KEYS] if backend == "sqlite" else []
        run_async(lambda: execute(url, *pragma, "DELETE FROM users WHERE id = 1"))
        assert run_async(lambda: query(url, "SELECT count(*) FROM sessions")) == [(0,)]  # still cascades
        assert run_async(lambda: query(url, "SELECT user_id FROM auth_events ORDER BY id")) == [(1,), (2,)]

        down = alembic(url, "downgrade", "0009")
        assert down.returncode == 0, down.stderr
        assert "reauthenticated_at" not in columns(url, "sessions")
        assert run_async(lambda: query(url, "SELECT user_id FROM auth_events ORDER BY id")) == [(None,), (2,)]
        if backend == "sqlite":
            schema = dict(run_async(lambda: query(url, "SELECT name, sql FROM sqlite_master")))
            assert "AUTOINCREMENT" in schema["auth_events"] and "AUTOINCREMENT" in schema["sessions"]
            assert "fk_auth_events_user_id_users" in schema["auth_events"]
        assert alembic(url, "upgrade", "head").returncode == 0
