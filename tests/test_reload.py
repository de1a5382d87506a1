"""APP_ENV=development reloads edited templates and code without a restart by hand."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.dbutil import alembic

ROOT = Path(__file__).resolve().parent.parent
COPY = [
    "app.py",
    "config.py",
    "middleware.py",
    "auth",
    "dal",
    "alembic.ini",
    "core",
    "models",
    "migrations",
    "pages",
    "handlers",
    "static",
    "mails",
]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def eventually(check, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the change never showed")
        time.sleep(0.2)


def test_development_mode_reloads_templates_and_code(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in COPY:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    assert alembic(url, "-c", str(project / "alembic.ini"), "upgrade", "head").returncode == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "SECRET_KEY": "k" * 40}
    with subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            base = f"http://127.0.0.1:{port}"
            eventually(lambda: "Pages are files" in fetch(base + "/"))
            index = project / "pages" / "index.html"
            index.write_text(index.read_text().replace("Pages are files", "Edited template"))
            eventually(lambda: "Edited template" in fetch(base + "/"))
            time.sleep(1)  # let the autoreloader record the module's first modification time
            handler = project / "handlers" / "index.py"
            handler.write_text(handler.read_text().replace('"status": "ok"', '"status": "edited"'))
            eventually(lambda: '"status":"edited"' in fetch(base + "/api"))
        finally:
            process.terminate()
            process.wait(timeout=15)
