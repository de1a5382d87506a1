"""Sessions in both modes: what the cookie holds, replay, tampering, expiry, sliding expiry,
ending other sessions, key rotation, and bcrypt kept off the event loop."""

import asyncio
import hashlib
import json
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
import tornado.httpserver
import tornado.testing
import tornado.web
from sqlalchemy import func, select, update

from app import make_app
from core.application import key_versions
from dal import passwords
from models import Session, User
from models.types import utcnow
from tests.auth_helpers import PASSWORD, login_api, me, signed_up

pytestmark = pytest.mark.gen_test

database_only = pytest.mark.parametrize("session_mode", ["database"], indirect=True)
stateless_only = pytest.mark.parametrize("session_mode", ["stateless"], indirect=True)


@pytest.fixture
def app(real_app):
    return real_app


def payload_of(client, settings) -> str:
    secrets, _ = key_versions(settings.secret_keys)
    value = tornado.web.decode_signed_value(secrets, "session", client.cookies["session"].strip('"'))
    assert value is not None
    return value.decode()


def sign(settings, payload: str, keys=None) -> str:
    secrets, newest = key_versions(keys or settings.secret_keys)
    return tornado.web.create_signed_value(secrets, "session", payload, key_version=newest).decode()


async def count(app, statement):
    async with app.db.session() as db:
        return await db.scalar(statement)


@database_only
async def test_the_database_keeps_only_the_tokens_sha256(client, app, auth_settings):
    await signed_up(client)
    token = payload_of(client, auth_settings)
    assert len(token) >= 22  # 128 bits or more, URL-safe base64
    async with app.db.session() as db:
        stored = (await db.scalars(select(Session.token_hash))).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored[0]


@database_only
async def test_logout_then_replaying_the_old_cookie_is_401(client):
    await signed_up(client)
    old = client.cookies["session"]
    await client.post("/api/auth/logout")
    client.cookies["session"] = old
    assert (await me(client)).status == 401
    assert "session" not in client.cookies  # the stale cookie is cleared


@stateless_only
async def test_stateless_cookie_carries_id_role_expiry_and_version_and_writes_nothing(
    client, app, auth_settings
):
    user = await signed_up(client)
    data = json.loads(payload_of(client, auth_settings))
    assert data["uid"] == user["id"] and data["role"] == "user" and data["ver"] == 1
    assert 29.9 * 86400 < data["exp"] - time.time() <= 30 * 86400  # sign-up: a 30-day session
    for _ in range(3):
        assert (await me(client)).status == 200
    assert await count(app, select(func.count()).select_from(Session)) == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: "garbage",
        lambda v: "",
        lambda v: v[:-2] + ("00" if not v.endswith("00") else "11"),  # signature changed
        lambda v: v.replace("|7:session|", "|7:sessiox|"),  # signed for another cookie name
        lambda v: v[: v.rfind("|", 0, v.rfind("|"))] + "|4:YWJj" + v[v.rfind("|") :],  # value swapped
        lambda v: "2|1:0|10:1700000000|7:session|4:YWJj|" + "0" * 64,
    ],
)
@pytest.mark.one_database
async def test_tampered_or_garbage_cookies_mean_signed_out(client, mangle):
    await signed_up(client)
    client.cookies["session"] = mangle(client.cookies["session"].strip('"'))
    response = await me(client)
    assert (response.status, response.json()) == (401, {"error": "User is not authenticated"})
    page = await client.get("/dashboard")
    assert page.status == 307


async def test_a_cookie_past_its_signed_age_is_refused(client, auth_settings):
    user = await signed_up(client)
    payload = payload_of(client, auth_settings)
    secrets, newest = key_versions(auth_settings.secret_keys)
    past_thirty_days = time.time() - 31 * 86400
    old = tornado.web.create_signed_value(
        secrets, "session", payload, key_version=newest, clock=lambda: past_thirty_days
    )
    client.cookies["session"] = old.decode()
    assert (await me(client)).status == 401
    assert user["id"]


@stateless_only
async def test_an_expired_stateless_payload_is_refused(client, auth_settings):
    user = await signed_up(client)
    client.cookies["session"] = sign(
        auth_settings, json.dumps({"uid": user["id"], "role": "admin", "exp": int(time.time()) - 1, "ver": 1})
    )
    assert (await me(client)).status == 401


@stateless_only
async def test_a_stateless_payload_with_an_old_version_is_refused(client, auth_settings):
    user = await signed_up(client)
    client.cookies["session"] = sign(
        auth_settings, json.dumps({"uid": user["id"], "role": "user", "exp": int(time.time()) + 60, "ver": 0})
    )
    assert (await me(client)).status == 401


@database_only
async def test_an_expired_database_session_is_refused_and_removed(client, app):
    await signed_up(client)
    async with app.db.session() as db:
        await db.execute(update(Session).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    assert (await me(client)).status == 401
    assert await count(app, select(func.count()).select_from(Session)) == 0


@database_only
async def test_a_session_in_the_second_half_of_its_life_is_extended(client, app):
    await signed_up(client)
    async with app.db.session() as db:
        await db.execute(update(Session).values(expires_at=utcnow() + timedelta(days=2)))
        await db.commit()
    response = await me(client)
    assert response.status == 200
    assert any(
        h.startswith("session=") and "Max-Age=2592000" in h for h in response.headers.get_list("Set-Cookie")
    )
    expires = await count(app, select(Session.expires_at))
    assert expires - utcnow() > timedelta(days=29, hours=23)
    # in the first half nothing is re-issued
    assert not any(h.startswith("session=") for h in (await me(client)).headers.get_list("Set-Cookie"))


async def test_every_login_starts_a_new_session(client, app, auth_settings, session_mode):
    await signed_up(client)
    first = client.cookies["session"]
    first_payload = payload_of(client, auth_settings)
    await asyncio.sleep(1.1)  # signed values and stateless expiries are in whole seconds
    assert (await login_api(client)).status == 200
    assert client.cookies["session"] != first
    if session_mode == "database":
        assert payload_of(client, auth_settings) != first_payload
        # the session the login replaced is gone: its cookie no longer works
        stale = client.another()
        stale.cookies["session"] = first
        assert (await me(stale)).status == 401
        assert await count(app, select(func.count()).select_from(Session)) == 1


async def two_browsers(client):
    await signed_up(client)
    other = client.another()
    assert (await login_api(other)).status == 200
    assert (await me(other)).status == 200
    return other


async def test_a_password_change_ends_every_other_session(client):
    other = await two_browsers(client)
    response = await client.post(
        "/account",
        form={"intent": "password", "current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert (response.status, response.headers["Location"]) == (303, "/account?done=password")
    assert (await me(other)).status == 401
    assert (await me(client)).status == 200  # this browser stays signed in
    assert "other sessions were signed out" in (await client.get("/account?done=password")).text
    assert (await login_api(client.another())).status == 401
    assert (await login_api(client.another(), password="a brand new secret")).status == 200


async def test_a_password_change_needs_the_current_password(client):
    other = await two_browsers(client)
    response = await client.post(
        "/account",
        form={
            "intent": "password",
            "current_password": "not my password",
            "new_password": "a brand new secret",
        },
    )
    assert response.status == 400
    assert "The current password is not correct" in response.text
    response = await client.post(
        "/account", form={"intent": "password", "current_password": PASSWORD, "new_password": "short"}
    )
    assert response.status == 400
    assert "Password must be at least 8 characters" in response.text
    assert (await me(other)).status == 200
    assert (await login_api(client.another())).status == 200


async def test_sign_out_everywhere_else_ends_the_other_sessions_only(client):
    other = await two_browsers(client)
    response = await client.post("/account", form={"intent": "everywhere"})
    assert (response.status, response.headers["Location"]) == (303, "/account?done=everywhere")
    assert (await me(other)).status == 401
    assert (await me(client)).status == 200
    assert (await client.get("/dashboard")).status == 200


@database_only
async def test_account_lists_sessions_and_signs_one_out(client, app):
    other = await two_browsers(client)
    page = await client.get("/account")
    assert page.text.count('name="session_id"') == 1  # every session but this one
    assert "this session" in page.text
    async with app.db.session() as db:
        ids = (await db.scalars(select(Session.id).order_by(Session.id))).all()
    response = await client.post("/account", form={"intent": "session", "session_id": str(ids[1])})
    assert response.status == 303
    assert (await me(other)).status == 401
    assert (await me(client)).status == 200
    # someone else's (or a made-up) session id is not found, and nothing changes
    assert (await client.post("/account", form={"intent": "session", "session_id": "999"})).status == 404
    assert (await client.post("/account", form={"intent": "session", "session_id": "x"})).status == 400


async def test_account_renames(client):
    await signed_up(client)
    response = await client.post("/account", form={"intent": "name", "name": "  Ada   King "})
    assert response.status == 303
    assert (await me(client)).json()["user"]["name"] == "Ada King"
    bad = await client.post("/account", form={"intent": "name", "name": "  "})
    assert bad.status == 400 and "Enter your name" in bad.text


async def serve(application):
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(application)
    server.add_socket(sock)
    return server, f"http://localhost:{port}"


async def test_key_rotation(client, auth_settings, http_client):
    """A cookie signed with the old key works while that key is listed second, not after."""
    old_key, new_key = auth_settings.secret_keys[0], "a-brand-new-key-0123456789-abcdefghijkl"
    await signed_up(client)
    cookie = client.cookies["session"]
    results = {}
    for label, keys in (("rotated", (new_key, old_key)), ("retired", (new_key,))):
        application = make_app(replace(auth_settings, secret_keys=keys))
        server, base = await serve(application)
        try:
            response = await http_client.fetch(
                base + "/api/me", headers={"Cookie": f"session={cookie}"}, raise_error=False
            )
            results[label] = response.code
        finally:
            server.stop()
            await server.close_all_connections()
            await application.db.dispose()
    assert results == {"rotated": 200, "retired": 401}


async def test_new_cookies_are_signed_with_the_first_key(client, auth_settings):
    await signed_up(client)
    _, newest = key_versions(auth_settings.secret_keys)
    assert client.cookies["session"].strip('"').startswith(f"2|{len(str(newest))}:{newest}|")


async def test_bcrypt_runs_off_the_event_loop_and_unknown_emails_cost_one_check(client, monkeypatch):
    calls = []
    real = passwords.bcrypt.checkpw

    def recording(password, hashed):
        calls.append(threading.current_thread().name)
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", recording)
    await signed_up(client)
    other = client.another()
    await login_api(other, email="nobody@example.com")
    await login_api(other, password="wrong password!")
    await login_api(other)
    assert len(calls) == 3
    assert all(name.startswith("bcrypt") for name in calls), calls


async def test_user_rows_store_a_bcrypt_hash(client, app, auth_settings):
    await signed_up(client)
    stored = await count(app, select(User.password_hash))
    assert stored.startswith(f"$2b${auth_settings.bcrypt_rounds:02d}$")
    assert PASSWORD not in stored


async def test_the_session_cookie_is_secure_in_production(client, auth_settings, http_client):
    application = make_app(replace(auth_settings, app_env="production"))
    server, base = await serve(application)
    try:
        csrf = await http_client.fetch(base + "/api/auth/csrf")
        assert "Secure" in csrf.headers["Set-Cookie"]
        token = csrf.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        response = await http_client.fetch(
            base + "/api/auth/signup",
            method="POST",
            body=json.dumps({"name": "Ada", "email": "ada@example.com", "password": PASSWORD}),
            headers={"Content-Type": "application/json", "Cookie": f"_xsrf={token}", "X-XSRFToken": token},
        )
        cookie = next(c for c in response.headers.get_list("Set-Cookie") if c.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        server.stop()
        await server.close_all_connections()
        await application.db.dispose()


@pytest.mark.parametrize(
    "payload",
    [
        '{"uid":' + "[" * 5000 + "]" * 5000 + ',"exp":4102444800,"ver":1}',
        '{"uid":1,"exp":' + "9" * 5000 + ',"ver":1}',
        '{"uid":"\\ud800","exp":4102444800,"ver":1}',
        '{"uid":1e999,"exp":1e999,"ver":1}',
        "[" * 300 + "]" * 300,
        '"just a string"',
    ],
)
@pytest.mark.one_database
async def test_a_validly_signed_cookie_with_a_hostile_payload_means_signed_out(
    client, auth_settings, payload
):
    """Deep nesting, huge numbers, surrogates, wrong types: in a cookie that passed its
    signature check, each is simply no session (and the cookie is cleared), never a 500."""
    client.cookies["session"] = sign(auth_settings, payload)
    response = await me(client)
    assert (response.status, response.json()) == (401, {"error": "User is not authenticated"})
    client.cookies["session"] = sign(auth_settings, payload)
    assert (await client.get("/dashboard")).status == 307
    client.cookies["session"] = sign(auth_settings, payload)
    assert (await client.get("/")).status == 200
    assert "session" not in client.cookies
