"""Faults survived: the database going away (503s, no hang, recovery without a restart) and
SIGTERM (requests in flight finish, then a clean exit)."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy.engine import make_url

from tests.dbutil import BACKENDS, alembic, fresh_database
from tests.harness import app_environment, free_port, run_app


class TcpProxy:
    """A loopback TCP forwarder we can switch off and on: the database "going away"."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        listener.settimeout(0.2)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets = []


def call(url: str, *, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # never a hang
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def sign_up(base: str, email: str = "ada@example.com", password: str = "correct horse battery") -> str:
    """Sign up through the API; returns the Cookie header of the new session."""
    headers = {"Content-Type": "application/json", "Cookie": "_xsrf=t", "X-XSRFToken": "t"}
    body = json.dumps({"name": "Ada", "email": email, "password": password}).encode()
    status, response_headers, _ = call(base + "/api/auth/signup", data=body, headers=headers)
    assert status == 201
    cookie = response_headers["Set-Cookie"].split(";")[0]
    return f"{cookie}; _xsrf=t"


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])
def test_database_down_gives_503_fast_and_the_app_recovers(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        target = make_url(url)
        proxy = TcpProxy(target.port or 5432)
        proxy.start()
        proxied = target.set(port=proxy.port).render_as_string(hide_password=False)
        port = free_port()
        env = app_environment(
            proxied,
            APP_ENV="production",
            BCRYPT_ROUNDS="10",
            APP_URL=f"http://127.0.0.1:{port}",
            MAIL_URL="smtp://127.0.0.1:1",  # production needs a mail server; none answers here
        )
        try:
            with run_app(env, log=tmp_path / "app.log", port=port) as app:
                base = app.base
                cookie = sign_up(base)
                assert call(base + "/api/me", headers={"Cookie": cookie})[0] == 200

                proxy.stop()  # the database goes away
                started = time.monotonic()
                status, headers, body = call(base + "/api/me", headers={"Cookie": cookie})
                assert status == 503
                assert json.loads(body) == {
                    "error": "The service is temporarily unavailable; please try again in a moment."
                }
                assert headers["Retry-After"] == "5"
                status, _, page = call(base + "/dashboard", headers={"Cookie": cookie})
                assert status == 503 and b"temporarily unavailable" in page and b"Traceback" not in page
                assert call(base + "/readyz")[0] == 503
                assert call(base + "/healthz")[0] == 200
                assert call(base + "/")[0] == 200  # a signed-out page needs no database
                assert time.monotonic() - started < 15  # answered, not hung (each call is bounded anyway)

                proxy.start()  # the database is back: no restart needed
                deadline = time.monotonic() + 15
                while call(base + "/api/me", headers={"Cookie": cookie})[0] != 200:
                    assert time.monotonic() < deadline, "the app did not recover"
                    time.sleep(0.2)
                assert call(base + "/readyz")[0] == 200
        finally:
            proxy.stop()


def test_sigterm_lets_requests_in_flight_finish_then_exits_cleanly(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    assert alembic(url, "upgrade", "head").returncode == 0
    # a costly hash keeps the login in flight long enough to signal in the middle of it
    with run_app(app_environment(url, BCRYPT_ROUNDS="14"), log=tmp_path / "app.log") as app:
        base, process = app.base, app.process
        sign_up(base)
        result = {}

        def login() -> None:
            body = json.dumps({"email": "ada@example.com", "password": "correct horse battery"}).encode()
            headers = {"Content-Type": "application/json", "Cookie": "_xsrf=t", "X-XSRFToken": "t"}
            result["answer"] = call(base + "/api/auth/login", data=body, headers=headers)

        thread = threading.Thread(target=login)
        thread.start()
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        thread.join(timeout=30)
        assert result["answer"][0] == 200  # the request in flight was finished
        assert process.wait(timeout=30) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(base + "/healthz", timeout=2)
        assert "shutting down: 1 request(s) in flight" in app.log_text()
