"""Sign-up and log-in through each app's own HTTP API, to get the cookies wrk sends.

Ours: GET /api/auth/csrf gives the _xsrf cookie and token; every POST carries both (the
cookie and the X-XSRFToken header). The peer needs no XSRF pair.
"""

from __future__ import annotations

import http.client
import http.cookies
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    cookies: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def call(
    base: str,
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    parts = urlsplit(base)
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        jar = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return Answer(response.status, {k: m.value for k, m in jar.items()}, payload)
    finally:
        conn.close()


@dataclass
class Xsrf:
    cookie: str
    token: str

    def cookies(self) -> dict[str, str]:
        return {"_xsrf": self.cookie}

    def headers(self) -> dict[str, str]:
        return {"X-XSRFToken": self.token}


def xsrf(base: str) -> Xsrf:
    answer = call(base, "GET", "/api/auth/csrf")
    if answer.status != 200 or "_xsrf" not in answer.cookies:
        raise RuntimeError(f"GET /api/auth/csrf answered {answer.status}: {answer.body[:200]!r}")
    return Xsrf(answer.cookies["_xsrf"], answer.json()["csrfToken"])


def ours_signup(base: str, name: str, email: str, password: str) -> str:
    """Create the benchmark user (201) or accept that it exists (409); returns nothing useful
    beyond success: sessions are made with ours_login."""
    pair = xsrf(base)
    answer = call(
        base,
        "POST",
        "/api/auth/signup",
        cookies=pair.cookies(),
        headers=pair.headers(),
        body={"name": name, "email": email, "password": password},
    )
    if answer.status not in (201, 409):
        raise RuntimeError(f"POST /api/auth/signup answered {answer.status}: {answer.body[:300]!r}")
    return answer.cookies.get("session", "")


def ours_login(base: str, email: str, password: str) -> tuple[str, Xsrf]:
    """A fresh session cookie value, and the XSRF pair used (reusable for the login benchmark)."""
    pair = xsrf(base)
    answer = call(
        base,
        "POST",
        "/api/auth/login",
        cookies=pair.cookies(),
        headers=pair.headers(),
        body={"email": email, "password": password},
    )
    if answer.status != 200 or not answer.cookies.get("session"):
        raise RuntimeError(f"POST /api/auth/login answered {answer.status}: {answer.body[:300]!r}")
    return answer.cookies["session"], pair


def peer_login(base: str, email: str, password: str) -> str:
    answer = call(base, "POST", "/api/auth/login", body={"email": email, "password": password})
    if answer.status != 200 or not answer.cookies.get("session"):
        raise RuntimeError(f"peer POST /api/auth/login answered {answer.status}: {answer.body[:300]!r}")
    return answer.cookies["session"]
