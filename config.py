"""The app's settings: the framework's (core.settings) plus what this app adds (database,
session mode, throttles, bcrypt cost, uploads, live pages), read from the environment once at
start.

A bad value stops the app with a message naming the variable; production refuses insecure
set-ups (no or weak SECRET_KEY, a bcrypt cost below 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.settings import EnvReader, FrameworkSettings, SettingsError, read_framework

__all__ = ["Settings", "SettingsError", "load_settings"]

MIN_PRODUCTION_BCRYPT_ROUNDS = 10


@dataclass(frozen=True)
class Settings(FrameworkSettings):
    database_url: str = "sqlite+aiosqlite:///app.db"
    session_mode: str = "database"
    login_max_failures: int = 10
    login_window_seconds: int = 900
    address_max_failures: int = 50
    signup_max_per_address: int = 20
    api_rate_limit: int = 600
    bcrypt_rounds: int = 12
    upload_dir: str = "uploads"
    # live pages (core.live): open sockets per signed-in user (per address when signed out)
    # and per process, seconds without a sign of the browser's tab, seconds between pings
    live_sockets_per_user: int = 20
    live_sockets_per_process: int = 5000
    live_idle_seconds: float = 900.0
    live_heartbeat_seconds: float = 25.0


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise SettingsError listing all the bad ones at once."""
    reader = EnvReader(env)
    framework = read_framework(reader)
    session_mode = reader.choice(
        "SESSION_MODE", "database", ("database", "stateless"), say="'database' or 'stateless'"
    )
    database_url = reader.text("DATABASE_URL", Settings.database_url)
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        reader.problems.append(
            f"DATABASE_URL={database_url!r} must be an async SQLAlchemy URL: "
            "sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB"
        )
    bcrypt_rounds = reader.number("BCRYPT_ROUNDS", 12, 4, 31)
    if framework["app_env"] == "production" and bcrypt_rounds < MIN_PRODUCTION_BCRYPT_ROUNDS:
        reader.problems.append(
            f"BCRYPT_ROUNDS={bcrypt_rounds} is too cheap for production: use at least "
            f"{MIN_PRODUCTION_BCRYPT_ROUNDS} (the default is 12)"
        )
    settings = Settings(
        **framework,
        database_url=database_url,
        session_mode=session_mode,
        login_max_failures=reader.number("LOGIN_MAX_FAILURES", 10),
        login_window_seconds=reader.number("LOGIN_WINDOW_SECONDS", 900, 1),
        address_max_failures=reader.number("ADDRESS_MAX_FAILURES", 50),
        signup_max_per_address=reader.number("SIGNUP_MAX_PER_ADDRESS", 20),
        api_rate_limit=reader.number("API_RATE_LIMIT", 600),
        bcrypt_rounds=bcrypt_rounds,
        upload_dir=reader.text("UPLOAD_DIR", Settings.upload_dir),
        live_sockets_per_user=reader.number(
            "LIVE_SOCKETS_PER_USER", Settings.live_sockets_per_user, 1, 10_000
        ),
        live_sockets_per_process=reader.number(
            "LIVE_SOCKETS_PER_PROCESS", Settings.live_sockets_per_process, 1, 1_000_000
        ),
        live_idle_seconds=reader.seconds("LIVE_IDLE_SECONDS", Settings.live_idle_seconds, 1, 86400),
        live_heartbeat_seconds=reader.seconds(
            "LIVE_HEARTBEAT_SECONDS", Settings.live_heartbeat_seconds, 1, 3600
        ),
    )
    reader.raise_problems()
    return settings
