"""Scale-out: two instances of `python app.py` on one PostgreSQL database share sessions.

Each test starts instance A and instance B on different free ports against one fresh
database migrated with alembic, signs up on A and uses the session cookie on B, in both
session modes. Everything goes through real HTTP, with the cookies and the XSRF pair
carried by hand, as a load balancer in front of the two would see it.
"""

from __future__ import annotations

import http.client
import http.cookies
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlencode

import pytest

from tests.dbutil import BACKENDS, ROOT, alembic, fresh_database

SECRET = "scale-out-secret-key-0123456789-abcdefghij"  # shared by every instance
PASSWORD = "correct horse battery"
START_TIMEOUT = 20.0

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_DATABASES leaves out postgresql")


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> Iterator[str]:
    """One fresh PostgreSQL database for the module, migrated once like a release step."""
    with fresh_database("postgresql", tmp_path_factory.mktemp("scale-out")) as url:
        result = alembic(url, "upgrade", "head")
        assert result.returncode == 0, result.stderr
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Instance:
    """One running `python app.py`, reached over HTTP on its own port."""

    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port

    def request(
        self,
        method: str,
        path: str,
        cookies: dict[str, str],
        body: object = None,
        xsrf: str | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request with these cookies; returns status, the cookies set, the body."""
        headers = {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if xsrf is not None:
            headers["X-XSRFToken"] = xsrf
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            jar = http.cookies.SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            return response.status, {k: m.value for k, m in jar.items()}, payload
        finally:
            conn.close()

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"instance on :{self.port} exited: {self.process.stderr.read()}")
            try:
                if self.request("GET", "/healthz", {})[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"instance on :{self.port} did not answer within {START_TIMEOUT}s")


@contextmanager
def instance(database_url: str, session_mode: str) -> Iterator[Instance]:
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "SESSION_MODE": session_mode,
        "BCRYPT_ROUNDS": "4",
    }
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Instance(process, port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stderr.close()


@contextmanager
def two_instances(database_url: str, session_mode: str) -> Iterator[tuple[Instance, Instance]]:
    with ExitStack() as stack:
        a = stack.enter_context(instance(database_url, session_mode))
        b = stack.enter_context(instance(database_url, session_mode))
        a.wait_until_serving()
        b.wait_until_serving()
        yield a, b


def xsrf_pair(server: Instance) -> tuple[dict[str, str], str]:
    """The _xsrf cookie and the token for the X-XSRFToken header, as GET /api/auth/csrf hands them."""
    status, cookies, body = server.request("GET", "/api/auth/csrf", {})
    assert status == 200 and "_xsrf" in cookies
    return {"_xsrf": cookies["_xsrf"]}, json.loads(body)["csrfToken"]


def me(server: Instance, session: str) -> tuple[int, dict]:
    status, _, body = server.request("GET", "/api/me", {"session": session})
    return status, json.loads(body)


@pytest.mark.parametrize("session_mode", ["database", "stateless"])
def test_a_session_made_on_one_instance_works_on_the_other(database_url, session_mode):
    email = f"scale-{session_mode}@example.com"
    with two_instances(database_url, session_mode) as (a, b):
        xsrf_cookie, token = xsrf_pair(a)
        status, cookies, body = a.request(
            "POST",
            "/api/auth/signup",
            xsrf_cookie,
            {"name": "Ada Lovelace", "email": email, "password": PASSWORD},
            xsrf=token,
        )
        assert status == 201, body
        user = json.loads(body)["user"]
        session = cookies["session"]

        # the cookie A signed is honoured by B, for the same user
        assert me(b, session) == (200, {"user": user})
        status, _, page = b.request("GET", "/dashboard", {"session": session})
        assert status == 200 and email.encode() in page.replace(b"<wbr>", b"")  # addresses may break after @

        # a login on B gives a session A honours; the XSRF pair from A works on B
        status, cookies, body = b.request(
            "POST", "/api/auth/login", xsrf_cookie, {"email": email, "password": PASSWORD}, xsrf=token
        )
        assert status == 200, body
        assert me(a, cookies["session"]) == (200, {"user": user})

        # logout on B
        status, cookies, _ = b.request(
            "POST", "/api/auth/logout", {**xsrf_cookie, "session": session}, {}, xsrf=token
        )
        assert status == 200
        assert cookies.get("session") == ""  # cleared in the browser that logged out
        assert me(b, "")[0] == 401
        if session_mode == "database":
            # the row is gone: replaying the cookie fails on A as well
            assert me(a, session) == (401, {"error": "User is not authenticated"})
        else:
            # documented: a stateless copy kept elsewhere stays valid until it expires
            assert me(a, session) == (200, {"user": user})


def sign_up(
    server: Instance, xsrf_cookie: dict[str, str], token: str, name: str, email: str
) -> tuple[dict, str]:
    status, cookies, body = server.request(
        "POST",
        "/api/auth/signup",
        xsrf_cookie,
        {"name": name, "email": email, "password": PASSWORD},
        xsrf=token,
    )
    assert status == 201, body
    return json.loads(body)["user"], cookies["session"]


def log_in(
    server: Instance, xsrf_cookie: dict[str, str], token: str, email: str, password: str = PASSWORD
) -> str:
    status, cookies, body = server.request(
        "POST", "/api/auth/login", xsrf_cookie, {"email": email, "password": password}, xsrf=token
    )
    assert status == 200, body
    return cookies["session"]


def form_post(
    server: Instance, path: str, session: str, xsrf_cookie: dict[str, str], token: str, form: dict
) -> tuple[int, str]:
    """POST a page's form; returns the status and the session cookie to use next (a password
    change or "sign out everywhere" re-issues it)."""
    status, cookies, _ = server.request(
        "POST", path, {**xsrf_cookie, "session": session}, form={**form, "_xsrf": token}
    )
    return status, cookies.get("session") or session


@pytest.mark.parametrize("session_mode", ["database", "stateless"])
def test_what_changes_on_one_instance_holds_at_once_on_the_other(database_url, session_mode):
    """A role change on A is seen on B at the user's next request; sign out everywhere and a
    password change on A end the user's other sessions on B at once (no cache anywhere)."""
    with two_instances(database_url, session_mode) as (a, b):
        xsrf_cookie, token = xsrf_pair(a)
        admin, admin_session = sign_up(a, xsrf_cookie, token, "Admin", f"admin-{session_mode}@example.com")
        env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", "SECRET_KEY": SECRET}
        promoted = subprocess.run(
            [sys.executable, "app.py", "promote", admin["email"]], cwd=ROOT, env=env, capture_output=True
        )
        assert promoted.returncode == 0, promoted.stderr
        user, session = sign_up(a, xsrf_cookie, token, "Ada", f"ada-{session_mode}@example.com")
        assert me(b, session)[1]["user"]["role"] == "user"
        assert b.request("GET", "/api/admin/users", {"session": session})[0] == 403

        # the admin promotes Ada on A: B sees it on her next request
        status, _ = form_post(
            a, "/admin", admin_session, xsrf_cookie, token, {"user_id": str(user["id"]), "role": "admin"}
        )
        assert status == 303
        assert me(b, session)[1]["user"]["role"] == "admin"
        assert b.request("GET", "/api/admin/users", {"session": session})[0] == 200
        # and demoted again: B refuses at once
        status, _ = form_post(
            a, "/admin", admin_session, xsrf_cookie, token, {"user_id": str(user["id"]), "role": "user"}
        )
        assert status == 303
        assert b.request("GET", "/api/admin/users", {"session": session})[0] == 403

        # sign out everywhere else on A: her session on B ends at once
        elsewhere = log_in(b, xsrf_cookie, token, user["email"])
        assert me(b, elsewhere)[0] == 200
        status, session = form_post(a, "/account", session, xsrf_cookie, token, {"intent": "everywhere"})
        assert status == 303
        assert me(b, elsewhere)[0] == 401
        assert me(b, session)[0] == 200  # the session that asked goes on

        # a password change on A: her session on B ends at once
        elsewhere = log_in(b, xsrf_cookie, token, user["email"])
        status, cookies, _ = a.request(
            "POST",
            "/account",
            {**xsrf_cookie, "session": session},
            form={
                "intent": "password",
                "current_password": PASSWORD,
                "new_password": "a new long password",
                "_xsrf": token,
            },
        )
        assert status == 303
        assert me(b, elsewhere)[0] == 401
