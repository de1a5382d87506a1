"""Throttling of credential endpoints (counted in the database), the general API rate limit,
and the client address (a spoofed X-Forwarded-For changes nothing unless a proxy is trusted)."""

from dataclasses import replace

import pytest
import tornado.httpserver
import tornado.testing
from sqlalchemy import update

from app import make_app
from models import AuthEvent
from models.types import utcnow
from tests.auth_helpers import PASSWORD, in_a_fresh_minute, login_api, signed_up, signup_api
from tests.conftest import Client

pytestmark = [pytest.mark.gen_test, pytest.mark.one_session_mode]


@pytest.fixture
def settings_overrides():
    return {"login_max_failures": 3, "address_max_failures": 5, "signup_max_per_address": 4}


@pytest.fixture
def app(real_app):
    return real_app


async def fail(client, times, email="ada@example.com", **kwargs):
    for _ in range(times):
        assert (await login_api(client, email=email, password="wrong password!", **kwargs)).status == 401


def assert_throttled(response):
    assert response.status == 429, response.text
    assert 0 < int(response.headers["Retry-After"]) <= 900
    assert response.json()["error"].startswith("Too many attempts.")


async def test_an_account_is_locked_after_its_failures_even_for_the_right_password(client):
    await signed_up(client)
    other = client.another()
    await fail(other, 3)
    assert_throttled(await login_api(other))  # the right password, refused
    assert_throttled(await login_api(client.another()))  # from any browser


async def test_an_unknown_email_locks_the_same_way(client):
    await fail(client, 3, email="nobody@example.com")
    assert_throttled(await login_api(client, email="nobody@example.com"))


async def test_the_login_form_and_the_api_share_the_count(client):
    await signed_up(client)
    other = client.another()
    await fail(other, 2)
    form = await other.post("/login", form={"email": "ada@example.com", "password": "wrong again!"})
    assert form.status == 401
    locked = await other.post("/login", form={"email": "ada@example.com", "password": PASSWORD})
    assert locked.status == 429
    assert "Too many attempts. Try again in 15 minutes." in locked.text
    assert int(locked.headers["Retry-After"]) > 0


async def test_the_lock_lifts_when_the_window_passes(client, app):
    await signed_up(client)
    other = client.another()
    await fail(other, 3)
    assert_throttled(await login_api(other))
    async with app.db.session() as db:  # fifteen minutes later
        await db.execute(update(AuthEvent).values(created_at=utcnow().replace(year=2000)))
        await db.commit()
    assert (await login_api(other)).status == 200


async def test_an_address_is_locked_after_its_failures_across_accounts(client):
    await signed_up(client)
    other = client.another()
    for i in range(5):
        await fail(other, 1, email=f"guess{i}@example.com")
    assert_throttled(await login_api(other))


async def test_a_spoofed_forwarded_for_does_not_reset_the_address_count(client):
    await signed_up(client)
    other = client.another()
    for i in range(5):
        await fail(other, 1, email=f"guess{i}@example.com", headers={"X-Forwarded-For": f"10.0.0.{i}"})
    assert_throttled(await login_api(other, headers={"X-Forwarded-For": "10.9.9.9"}))


async def test_signups_per_address_are_limited(client):
    for i in range(4):
        assert (await signup_api(client.another(), email=f"user{i}@example.com")).status == 201
    response = await signup_api(client.another(), email="one-more@example.com")
    assert response.status == 429 and "Retry-After" in response.headers
    form = await client.another().post(
        "/signup", form={"name": "Form", "email": "form@example.com", "password": PASSWORD}
    )
    assert form.status == 429 and "Too many attempts" in form.text


async def test_failed_password_changes_per_address_are_limited(client):
    await signed_up(client)
    for _ in range(5):
        response = await client.post(
            "/account",
            form={"intent": "password", "current_password": "not it at all", "new_password": "whatever123"},
        )
        assert response.status == 400
    response = await client.post(
        "/account", form={"intent": "password", "current_password": PASSWORD, "new_password": "whatever123"}
    )
    assert response.status == 429 and "Too many attempts" in response.text
    assert (await login_api(client.another())).status == 200  # the password did not change


async def serve(application):
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(application)
    server.add_socket(sock)
    return server, f"http://localhost:{port}"


async def test_a_trusted_proxy_is_believed(auth_settings, http_client, client):
    """Behind TRUSTED_PROXIES the address is the forwarded one, so two clients behind the
    proxy have their own counts."""
    application = make_app(replace(auth_settings, trusted_proxies=("127.0.0.1",)))
    server, base = await serve(application)
    try:
        proxied = Client(http_client, base)
        await signed_up(proxied)
        for i in range(5):
            await fail(proxied, 1, email=f"guess{i}@example.com", headers={"X-Forwarded-For": "203.0.113.7"})
        assert_throttled(await login_api(proxied, headers={"X-Forwarded-For": "203.0.113.7"}))
        assert (await login_api(proxied, headers={"X-Forwarded-For": "198.51.100.9"})).status == 200
    finally:
        server.stop()
        await server.close_all_connections()
        await application.db.dispose()


async def test_the_api_rate_limit_is_shared_across_instances(auth_settings, http_client, monkeypatch):
    settings = replace(auth_settings, api_rate_limit=6)
    apps = [make_app(settings), make_app(settings)]
    servers = [await serve(a) for a in apps]
    try:
        clients = [Client(http_client, base) for _server, base in servers]
        in_a_fresh_minute(monkeypatch)  # the window is a fixed minute: start in a fresh one
        statuses = [(await clients[i % 2].get("/api/posts")).status for i in range(6)]
        assert statuses == [200] * 6
        limited = await clients[0].get("/api/posts")
        assert limited.status == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert limited.json() == {"error": "Too many requests: slow down and try again later."}
        assert (await clients[1].get("/api/posts/1")).status == 429  # one count for both instances
        assert (await clients[1].get("/")).status == 200  # pages are not the API
    finally:
        for server, _base in servers:
            server.stop()
            await server.close_all_connections()
        for application in apps:
            await application.db.dispose()


async def test_zero_turns_a_limit_off(auth_settings, http_client):
    application = make_app(replace(auth_settings, login_max_failures=0, address_max_failures=0))
    server, base = await serve(application)
    try:
        c = Client(http_client, base)
        await signed_up(c)
        await fail(c.another(), 8)
        assert (await login_api(c.another())).status == 200
    finally:
        server.stop()
        await server.close_all_connections()
        await application.db.dispose()
