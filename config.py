"""The app's settings: the framework's (core.settings) plus what this app adds (database,
session mode, throttles, bcrypt cost, uploads, mail, live pages), read from the environment once
at start.

A bad value stops the app with a message naming the variable; production refuses insecure
set-ups (no or weak SECRET_KEY, a bcrypt cost below 10, no APP_URL, mail to the console).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from core.mail import parse_mail_url
from core.settings import EnvReader, FrameworkSettings, SettingsError, read_framework

__all__ = ["Settings", "SettingsError", "load_settings"]

MIN_PRODUCTION_BCRYPT_ROUNDS = 10
APP_NAME = "Tornado Pages"
VERIFICATION_MODES = ("off", "optional", "required")


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
    # mail: links in mails start with app_url ("" in development: http://127.0.0.1:<port>)
    app_url: str = ""
    mail_url: str = "console:"
    mail_from: str = f"{APP_NAME} <noreply@localhost>"
    email_verification: str = "optional"
    password_reset_ttl_seconds: int = 3600
    password_reset_max_per_email: int = 5
    password_reset_max_per_address: int = 20
    # how long a proof of who the user is (the login, a re-authentication) covers sensitive
    # actions: deleting the account, changing the email through the API (auth.reauth)
    reauth_window_seconds: int = 600
    # the background sender: how often it looks for mail other processes wrote, and the
    # first wait before a failed delivery is tried again (doubling each time)
    mail_poll_seconds: float = 5.0
    mail_retry_seconds: float = 30.0

    # live pages (core.live): open sockets per signed-in user (per address when signed out)
    # and per process, seconds without a sign of the browser's tab, seconds between pings
    live_sockets_per_user: int = 20
    live_sockets_per_process: int = 5000
    live_idle_seconds: float = 900.0
    live_heartbeat_seconds: float = 25.0

    @property
    def base_url(self) -> str:
        """The absolute base of every link in a mail (never the request's Host header)."""
        return self.app_url or f"http://127.0.0.1:{self.port}"


def _app_url(reader: EnvReader, production: bool) -> str:
    raw = reader.text("APP_URL", "")
    if not raw:
        if production:
            reader.problems.append(
                "APP_URL is required when APP_ENV=production: the public address of the site "
                "(https://app.example.com), the base of every link in a mail"
            )
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        reader.problems.append(
            f"APP_URL={raw!r} must be an absolute http(s) URL like https://app.example.com"
        )
    return raw.rstrip("/")


def _mail_url(reader: EnvReader, production: bool) -> str:
    raw = reader.text("MAIL_URL", "console:")
    try:
        scheme = parse_mail_url(raw)["scheme"]
    except ValueError as exc:
        parts = urlsplit(raw)  # the message never shows a password
        shown = (
            parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()
            if "@" in parts.netloc
            else raw
        )
        reader.problems.append(f"MAIL_URL={shown!r} {exc}")
        return raw
    if production and scheme == "console":
        reader.problems.append(
            "MAIL_URL=console: only prints mails: production needs an SMTP server "
            "(smtp://user:password@host:587?starttls=true or smtps://...)"
        )
    return raw


def _mail_from(reader: EnvReader, app_url: str) -> str:
    host = urlsplit(app_url).hostname or ""
    domain = host if "." in host and not host.replace(".", "").isdigit() else "localhost"
    raw = reader.text("MAIL_FROM", f"{APP_NAME} <noreply@{domain}>")
    address = parseaddr(raw)[1]
    if "@" not in address or any(c in raw for c in "\r\n"):
        reader.problems.append(f"MAIL_FROM={raw!r} must be an address: App <noreply@example.com>")
    return raw


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
    app_url = _app_url(reader, framework["app_env"] == "production")
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
        app_url=app_url,
        mail_url=_mail_url(reader, framework["app_env"] == "production"),
        mail_from=_mail_from(reader, app_url),
        email_verification=reader.choice(
            "EMAIL_VERIFICATION", "optional", VERIFICATION_MODES, say="'off', 'optional' or 'required'"
        ),
        password_reset_ttl_seconds=reader.number("PASSWORD_RESET_TTL_SECONDS", 3600, 1, 7 * 24 * 3600),
        password_reset_max_per_email=reader.number("PASSWORD_RESET_MAX_PER_EMAIL", 5),
        password_reset_max_per_address=reader.number("PASSWORD_RESET_MAX_PER_ADDRESS", 20),
        reauth_window_seconds=reader.number("REAUTH_WINDOW_SECONDS", 600, 1, 86400),
        mail_poll_seconds=reader.seconds("MAIL_POLL_SECONDS", 5.0, 0.01, 3600),
        mail_retry_seconds=reader.seconds("MAIL_RETRY_SECONDS", 30.0, 0.01, 3600),
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
