"""Small steps the auth tests repeat: sign up, log in, read the session cookie, promote, serve
an app built with other settings."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

import tornado.httpserver
import tornado.testing

from app import make_app
from dal import users as dal_users

PASSWORD = "correct horse battery"


async def signup_api(client, name="Ada Lovelace", email="ada@example.com", password=PASSWORD, **kwargs):
    return await client.post(
        "/api/auth/signup", json_body={"name": name, "email": email, "password": password}, **kwargs
    )


async def login_api(client, email="ada@example.com", password=PASSWORD, **kwargs):
    return await client.post("/api/auth/login", json_body={"email": email, "password": password}, **kwargs)


async def signed_up(client, **kwargs) -> dict:
    response = await signup_api(client, **kwargs)
    assert response.status == 201, response.text
    return response.json()["user"]


async def me(client):
    return await client.get("/api/me")


async def make_admin(email: str) -> None:
    await dal_users.promote(email)


def session_cookie(response) -> str:
    for header in response.headers.get_list("Set-Cookie"):
        if header.startswith("session="):
            return header
    raise AssertionError(f"no session cookie in {response.headers.get_list('Set-Cookie')}")


@asynccontextmanager
async def served(settings):
    """The app built with these settings, served on a free port: (app, base URL)."""
    application = make_app(settings)
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(application)
    server.add_socket(sock)
    try:
        yield application, f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        await server.close_all_connections()
        await application.db.dispose()


def in_a_fresh_minute(monkeypatch) -> None:
    """The rate limit's window is a fixed minute: move its clock to the start of a minute no
    request has counted in yet (the app runs in this process), instead of waiting for one."""
    from dal import ratelimit

    fresh = (time.time() // 60 + 2) * 60
    monkeypatch.setattr(ratelimit, "clock", lambda: fresh + 1.0)
