"""Starting the real app and Chromium, shared by the browser tests and scripts/screenshots.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(folder: Path, session_mode: str = "database", **settings: str) -> Iterator[Server]:
    """`alembic upgrade head` on a new SQLite file in folder, then `python app.py` on a free port
    (settings: environment variables to set for it, e.g. BCRYPT_ROUNDS="12")."""
    url = f"sqlite+aiosqlite:///{folder / 'app.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SESSION_MODE": session_mode,
        "APP_ENV": "test",
        "SECRET_KEY": "browser-test-secret-0123456789-abcdefghij",
        "BCRYPT_ROUNDS": "4",
        **settings,
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    with open(folder / "server.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"the app did not start: {(folder / 'server.log').read_text()}"
                        ) from None
                    time.sleep(0.1)
            yield Server(base, env, session_mode)
        finally:
            process.terminate()
            process.wait(timeout=15)
