"""The framework's settings, read from the environment once at start, validated, and frozen.

Only what the framework itself uses lives here: the environment (development, test,
production), the cookie keys, the port, proxies, CORS and connection timeouts. An app adds
its own fields by subclassing FrameworkSettings and reading them with the same EnvReader,
so every bad value, the framework's and the app's, is reported at once.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from core.problems import NamedProblem

DEV_SECRET_FILE = Path(__file__).resolve().parent.parent / ".secret_key"
# keys that must never sign anything in production: the samples in the docs and deploy files
SAMPLE_KEYS = frozenset({"change-me-to-48-random-characters-from-a-password-generator"})
PLACEHOLDER_WORDS = ("change-me", "changeme", "replace-me")
MIN_DISTINCT_KEY_CHARACTERS = 12


class SettingsError(NamedProblem, ValueError):
    """One or more environment variables hold a value the app cannot use."""

    exit_code = 2
    prefix = ""


@dataclass(frozen=True)
class FrameworkSettings:
    secret_keys: tuple[str, ...] = ()
    app_env: str = "development"
    port: int = 8000
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    # slow clients: seconds to send the request head, the whole body, and between requests
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    idle_timeout: float = 75.0

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def development(self) -> bool:
        return self.app_env == "development"


class EnvReader:
    """Reads variables from an environment, collecting every problem instead of stopping at
    the first; raise_problems() then reports them all."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env
        self.problems: list[str] = []

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, "").strip() or default

    def list(self, name: str) -> tuple[str, ...]:
        return tuple(item.strip() for item in self.env.get(name, "").split(",") if item.strip())

    def choice(self, name: str, default: str, choices: tuple[str, ...], say: str | None = None) -> str:
        value = self.text(name, default)
        if value not in choices:
            allowed = say or "one of " + ", ".join(choices)
            self.problems.append(f"{name}={value!r} must be {allowed}")
        return value

    def number(self, name: str, default: int, low: int = 0, high: int = 10**9) -> int:
        raw = self.env.get(name, "")
        if not raw.strip():
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            self.problems.append(f"{name}={raw!r} is not a whole number")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name}={value} must be between {low} and {high}")
        return value

    def seconds(self, name: str, default: float, low: float = 0.1, high: float = 86400) -> float:
        raw = self.env.get(name, "")
        if not raw.strip():
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            self.problems.append(f"{name}={raw!r} is not a number of seconds")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name}={value:g} must be between {low:g} and {high:g} seconds")
        return value

    def raise_problems(self) -> None:
        if self.problems:
            raise SettingsError("Invalid settings:\n  - " + "\n  - ".join(self.problems))


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


def weak_key_problem(key: str) -> str | None:
    """Why a key may not sign production cookies, or None."""
    if key in SAMPLE_KEYS or any(word in key.lower() for word in PLACEHOLDER_WORDS):
        return "is a sample or placeholder key (deploy/env.example); generate your own"
    if len(key) < 32:
        return f"is {len(key)} characters long: each key must be at least 32 characters in production"
    if len(set(key)) < MIN_DISTINCT_KEY_CHARACTERS:
        return (
            f"has fewer than {MIN_DISTINCT_KEY_CHARACTERS} distinct characters: use a random key "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    return None


def read_framework(reader: EnvReader) -> dict:
    """The FrameworkSettings fields, read and checked (problems go to the reader)."""
    app_env = reader.choice("APP_ENV", "development", ("development", "production", "test"))
    secret_keys = reader.list("SECRET_KEY")
    if not secret_keys:
        if app_env == "production":
            reader.problems.append(
                "SECRET_KEY is required when APP_ENV=production (comma-separated keys, newest first)"
            )
        else:
            secret_keys = (_dev_secret(),)
    elif app_env == "production":
        for position, key in enumerate(secret_keys, 1):
            if problem := weak_key_problem(key):
                reader.problems.append(f"SECRET_KEY: key {position} {problem}")

    cors_origins = reader.list("CORS_ORIGINS")
    for origin in cors_origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            reader.problems.append(
                f"CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com"
                ' ("null" is never allowed)'
            )
    trusted_proxies = reader.list("TRUSTED_PROXIES")
    for proxy in trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            reader.problems.append(f"TRUSTED_PROXIES: {proxy!r} is not an IP address or network (10.0.0.0/8)")
    return {
        "secret_keys": secret_keys,
        "app_env": app_env,
        "port": reader.number("PORT", 8000, 1, 65535),
        "trusted_proxies": trusted_proxies,
        "cors_origins": cors_origins,
        "header_timeout": reader.seconds("HEADER_TIMEOUT", FrameworkSettings.header_timeout),
        "body_timeout": reader.seconds("BODY_TIMEOUT", FrameworkSettings.body_timeout),
        "idle_timeout": reader.seconds("IDLE_TIMEOUT", FrameworkSettings.idle_timeout),
    }
