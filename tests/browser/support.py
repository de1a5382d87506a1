"""Starting the real app and Chromium, shared by the browser tests and scripts/screenshots.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.harness import app_environment, free_port, run_app

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# headless as root; no background networking: this machine reaches no outside host
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Server:
    base: str
    env: dict[str, str]
    mode: str

    def promote(self, email: str) -> None:
        result = subprocess.run(
            [sys.executable, "app.py", "promote", email],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr


@contextmanager
def running_app(
    folder: Path, session_mode: str = "database", *, localhost: bool = False, **settings: str
) -> Iterator[Server]:
    """`alembic upgrade head` on a new SQLite file in folder, then `python app.py` on a free port
    (settings: environment variables to set for it, e.g. BCRYPT_ROUNDS="12"). localhost=True:
    the browser reaches it as http://localhost:PORT, which APP_URL says too (WebAuthn takes no
    IP address as its relying party: the passkey tests need it)."""
    port = free_port()
    if localhost:
        settings.setdefault("APP_URL", f"http://localhost:{port}")
    url = f"sqlite+aiosqlite:///{folder / 'app.db'}"
    env = app_environment(
        url, SESSION_MODE=session_mode, SECRET_KEY="browser-test-secret-0123456789-abcdefghij", **settings
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    with run_app(env, log=folder / "server.log", port=port) as app:
        yield Server(f"http://localhost:{port}" if localhost else app.base, env, session_mode)
