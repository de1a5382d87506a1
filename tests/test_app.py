"""The commands a user runs: settings checked at start, alembic on SQLite and PostgreSQL,
`python app.py` refusing a schema that is behind, serving, and shutting down cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from config import SettingsError, load_settings
from tests.dbutil import BACKENDS, ROOT, alembic, fresh_database, run_async
from tests.harness import SECRET, app_environment, run_app


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    return app_environment(database_url, **extra)


def run_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`python app.py *args` to its end (for how it refuses to start)."""
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PORT": "abc"}, "PORT='abc' is not a whole number"),
        ({"PORT": "70000"}, "PORT=70000 must be between 1 and 65535"),
        ({"SESSION_MODE": "cookie"}, "SESSION_MODE='cookie' must be 'database' or 'stateless'"),
        ({"APP_ENV": "prod"}, "APP_ENV='prod' must be one of development, production, test"),
        ({"DATABASE_URL": "sqlite:///app.db"}, "DATABASE_URL='sqlite:///app.db' must be an async"),
        ({"LOGIN_MAX_FAILURES": "-1"}, "LOGIN_MAX_FAILURES=-1 must be between 0"),
        ({"APP_ENV": "production", "SECRET_KEY": ""}, "SECRET_KEY is required when APP_ENV=production"),
        ({"APP_ENV": "production", "SECRET_KEY": "short"}, "each key must be at least 32 characters"),
        ({"CORS_ORIGINS": "null"}, "CORS_ORIGINS: 'null' is not an origin"),
        ({"CORS_ORIGINS": "https://a.example/path"}, "is not an origin like https://app.example.com"),
        ({"TRUSTED_PROXIES": "10.0.0.300"}, "TRUSTED_PROXIES: '10.0.0.300' is not an IP address"),
        ({"API_RATE_LIMIT": "many"}, "API_RATE_LIMIT='many' is not a whole number"),
    ],
)
def test_each_bad_setting_has_a_clear_message(env, message):
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {"DATABASE_URL": "sqlite+aiosqlite:///x.db", "APP_ENV": "test", "SECRET_KEY": SECRET, **env}
        )
    assert message in str(caught.value)


def test_bad_settings_stop_the_app_with_their_message_and_no_traceback(tmp_path):
    env = app_env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", PORT="abc", SESSION_MODE="cookie")
    result = run_command(env)
    assert result.returncode == 2
    assert "PORT='abc' is not a whole number" in result.stderr
    assert "SESSION_MODE='cookie' must be 'database' or 'stateless'" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_list_every_problem_at_once():
    with pytest.raises(SettingsError) as caught:
        load_settings({"PORT": "x", "SESSION_MODE": "y", "SECRET_KEY": "k"})
    assert "PORT" in str(caught.value) and "SESSION_MODE" in str(caught.value)


def test_settings_defaults_and_lists():
    settings = load_settings({"SECRET_KEY": "new-key, old-key", "CORS_ORIGINS": "https://a.example"})
    assert settings.database_url == "sqlite+aiosqlite:///app.db"
    assert settings.secret_keys == ("new-key", "old-key")
    assert settings.session_mode == "database" and settings.app_env == "development"
    assert (settings.login_max_failures, settings.login_window_seconds) == (10, 900)
    assert (settings.address_max_failures, settings.signup_max_per_address, settings.api_rate_limit) == (
        50,
        20,
        600,
    )
    assert settings.cors_origins == ("https://a.example",)


def table_names(url: str) -> set[str]:
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    async def names() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return found

    return run_async(names)


def index_names(url: str) -> set[str]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if url.startswith("sqlite")
        else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    )

    async def names() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            found = {row[0] for row in await conn.execute(text(sql))}
        await engine.dispose()
        return found

    return run_async(names)


@pytest.mark.parametrize("backend", BACKENDS)
def test_alembic_upgrades_and_downgrades(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        up = alembic(url, "upgrade", "head")
        assert up.returncode == 0, up.stderr
        current = alembic(url, "current")
        assert "(head)" in current.stdout, current.stdout + current.stderr
        assert {"users", "sessions", "posts"} <= table_names(url)
        # stepping back one revision keeps what the earlier revision made (the case-insensitive
        # email index must survive the posts migration going down), and up again works
        assert alembic(url, "downgrade", "0002").returncode == 0
        assert "uq_users_email_lower" in index_names(url)
        assert "posts" not in table_names(url)
        assert alembic(url, "upgrade", "head").returncode == 0
        # the models and the migrations describe the same schema
        check = alembic(url, "check")
        assert check.returncode == 0 and "No new upgrade operations detected" in check.stdout, check.stderr
        down = alembic(url, "downgrade", "base")
        assert down.returncode == 0, down.stderr
        assert "(head)" not in alembic(url, "current").stdout
        assert table_names(url) <= {"alembic_version"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_app_refuses_a_schema_that_is_behind(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        result = run_command(app_env(url))
    assert result.returncode == 1
    assert "schema is behind" in result.stderr
    assert "alembic upgrade head" in result.stderr


def test_the_app_says_when_the_database_is_unreachable(tmp_path):
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    result = run_command(app_env(url))
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("workers", [1, 2])
def test_the_app_serves_and_stops_cleanly(tmp_path, backend, workers):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        with run_app(app_env(url), "--workers", str(workers), log=tmp_path / "app.log") as app:
            if workers > 1:
                assert len(child_pids(app.process.pid)) == workers
            status, body = get(app.base + "/")
            assert status == 200 and b"<title>Home" in body
            assert get(app.base + "/healthz") == (200, b'{"status":"ok"}')
            assert get(app.base + "/readyz") == (200, b'{"status":"ready"}')
            # the schema moves away from head under a running app: /readyz says so
            assert alembic(url, "downgrade", "base").returncode == 0
            status, body = get(app.base + "/readyz")
            assert status == 503
            assert "alembic upgrade head" in json.loads(body)["error"]
            # SIGTERM to the parent only: it must stop its workers and exit 0
            assert app.stop() == 0, app.log_text()


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        children.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return children
