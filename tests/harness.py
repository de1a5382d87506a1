"""The one way tests run the real app as a process: `python app.py` with an environment, on a
free port, answering /healthz before the test goes on, its output in a log file, stopped with
SIGTERM at the end (killed only if it hangs)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "harness-secret-key-0123456789-abcdefghijkl"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a test instance: APP_ENV=test, a fixed key, cheap bcrypt; extra wins."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "test",
        "SECRET_KEY": SECRET,
        "BCRYPT_ROUNDS": "4",
        **extra,
    }


def wait_until_serving(
    base: str, process: subprocess.Popen, log: Path | None = None, timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = log.read_text() if log is not None and log.exists() else ""
                state = (
                    f"exited with {process.returncode}" if process.poll() is not None else "is not answering"
                )
                raise AssertionError(f"the app {state} at {base}:\n{output[-4000:]}") from None
            time.sleep(0.1)


@dataclass
class RunningApp:
    process: subprocess.Popen
    port: int
    env: dict[str, str]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text()

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """Another `python app.py` command (promote...) with the same environment."""
        return subprocess.run(
            [sys.executable, "app.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait; returns the exit code (a hung process is killed and fails the test)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
                raise AssertionError(f"the app on :{self.port} did not stop on SIGTERM") from None
        return self.process.returncode


@contextmanager
def run_app(
    env: dict[str, str], *args: str, log: Path, port: int | None = None, wait: bool = True
) -> Iterator[RunningApp]:
    """`python app.py --port PORT *args` with env, its stdout and stderr in log; yields once it
    answers /healthz (wait=False: at once, for tests of how it starts)."""
    port = port or free_port()
    with open(log, "w") as out:  # the child keeps its own copy of the file
        process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    running = RunningApp(process, port, env, log)
    try:
        if wait:
            wait_until_serving(running.base, process, log)
        yield running
    finally:
        running.stop()
