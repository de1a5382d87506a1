"""Settings read from the environment once at start, validated, and frozen.

A bad value stops the app with a message naming the variable; production refuses
insecure defaults (no SECRET_KEY).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEV_SECRET_FILE = Path(__file__).resolve().parent.parent / ".secret_key"


class SettingsError(ValueError):
    """One or more environment variables hold a value the app cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///app.db"
    secret_keys: tuple[str, ...] = ()
    session_mode: str = "database"
    app_env: str = "development"
    port: int = 8000
    login_max_failures: int = 10
    login_window_seconds: int = 900
    address_max_failures: int = 50
    signup_max_per_address: int = 20
    api_rate_limit: int = 600
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    bcrypt_rounds: int = 12
    upload_dir: str = "uploads"

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def development(self) -> bool:
        return self.app_env == "development"


def _int(name: str, raw: str, low: int, high: int, problems: list[str]) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        problems.append(f"{name}={raw!r} is not a whole number")
        return 0
    if not low <= value <= high:
        problems.append(f"{name}={value} must be between {low} and {high}")
    return value


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _dev_secret() -> str:
    """A development key generated once and kept in a git-ignored file, so restarts keep sessions."""
    try:
        key = DEV_SECRET_FILE.read_text().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    DEV_SECRET_FILE.write_text(key + "\n")
    DEV_SECRET_FILE.chmod(0o600)
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise SettingsError listing all the bad ones at once."""
    env = os.environ if env is None else env
    problems: list[str] = []

    app_env = env.get("APP_ENV", "development").strip() or "development"
    if app_env not in ("development", "production", "test"):
        problems.append(f"APP_ENV={app_env!r} must be one of development, production, test")

    session_mode = env.get("SESSION_MODE", "database").strip() or "database"
    if session_mode not in ("database", "stateless"):
        problems.append(f"SESSION_MODE={session_mode!r} must be 'database' or 'stateless'")

    database_url = env.get("DATABASE_URL", "").strip() or Settings.database_url
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        problems.append(
            f"DATABASE_URL={database_url!r} must be an async SQLAlchemy URL: "
            "sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB"
        )

    secret_keys = _list(env.get("SECRET_KEY", ""))
    if not secret_keys:
        if app_env == "production":
            problems.append(
                "SECRET_KEY is required when APP_ENV=production (comma-separated keys, newest first)"
            )
        else:
            secret_keys = (_dev_secret(),)
    elif app_env == "production" and any(len(key) < 32 for key in secret_keys):
        problems.append("SECRET_KEY: each key must be at least 32 characters in production")

    def number(name: str, default: int, low: int = 0, high: int = 10**9) -> int:
        raw = env.get(name, "")
        return default if not raw.strip() else _int(name, raw, low, high, problems)

    cors_origins = _list(env.get("CORS_ORIGINS", ""))
    for origin in cors_origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            problems.append(
                f"CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com"
                ' ("null" is never allowed)'
            )
    trusted_proxies = _list(env.get("TRUSTED_PROXIES", ""))
    for proxy in trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(f"TRUSTED_PROXIES: {proxy!r} is not an IP address or network (10.0.0.0/8)")

    settings = Settings(
        database_url=database_url,
        secret_keys=secret_keys,
        session_mode=session_mode,
        app_env=app_env,
        port=number("PORT", 8000, 1, 65535),
        login_max_failures=number("LOGIN_MAX_FAILURES", 10),
        login_window_seconds=number("LOGIN_WINDOW_SECONDS", 900, 1),
        address_max_failures=number("ADDRESS_MAX_FAILURES", 50),
        signup_max_per_address=number("SIGNUP_MAX_PER_ADDRESS", 20),
        api_rate_limit=number("API_RATE_LIMIT", 600),
        trusted_proxies=trusted_proxies,
        cors_origins=cors_origins,
        bcrypt_rounds=number("BCRYPT_ROUNDS", 12, 4, 31),
        upload_dir=env.get("UPLOAD_DIR", "").strip() or Settings.upload_dir,
    )
    if problems:
        raise SettingsError("Invalid settings:\n  - " + "\n  - ".join(problems))
    return settings
