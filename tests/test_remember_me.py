"""Keep me signed in: checked, a 30-day cookie; unchecked, a browser-session cookie (no
Max-Age, no Expires) whose session ends on the server after 12 idle hours (database mode) or
12 hours (stateless mode). The choice survives the two-step sign-in. Time is moved through
dal.sessions.clock, never waited for."""

from __future__ import annotations

import time

import pyotp
import pytest

from dal import sessions as dal_sessions
from dal import two_factor as dal_two_factor
from tests.auth_helpers import PASSWORD, me, session_cookie, signed_up

pytestmark = pytest.mark.gen_test(timeout=60)

HOUR = 3600
DAY = 24 * HOUR
database_only = pytest.mark.parametrize("session_mode", ["database"], indirect=True)
stateless_only = pytest.mark.parametrize("session_mode", ["stateless"], indirect=True)


@pytest.fixture
def app(real_app):
    return real_app


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(dal_sessions, "clock", clock)
    return clock


async def login(client, remember=None, form=False):
    body = {"email": "ada@example.com", "password": PASSWORD}
    if form:
        if remember:
            body["remember"] = "on"
        return await client.post("/login", form=body)
    if remember is not None:
        body["remember"] = remember
    return await client.post("/api/auth/login", json_body=body)


async def signed_out_account(client):
    await signed_up(client)
    await client.post("/api/auth/logout")


def is_browser_session(cookie: str) -> bool:
    lowered = cookie.lower()
    return "max-age" not in lowered and "expires" not in lowered


@pytest.mark.parametrize("form", [False, True])
async def test_unchecked_gives_a_browser_session_cookie(client, form):
    await signed_out_account(client)
    response = await login(client, remember=None if form else False, form=form)
    assert response.status in (200, 303)
    cookie = session_cookie(response)
    assert is_browser_session(cookie), cookie
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in cookie
    assert (await me(client)).status == 200


@pytest.mark.parametrize("form", [False, True])
async def test_checked_gives_thirty_days(client, form):
    await signed_out_account(client)
    response = await login(client, remember=True, form=form)
    cookie = session_cookie(response)
    assert f"Max-Age={30 * DAY}" in cookie and "expires=" in cookie.lower()


@pytest.mark.one_session_mode
@pytest.mark.one_database
async def test_the_login_form_has_the_checkbox(client):
    page = await client.get("/login")
    assert 'name="remember"' in page.text and "Keep me signed in" in page.text


@database_only
async def test_a_browser_session_ends_after_twelve_idle_hours(client, clock):
    await signed_out_account(client)
    await login(client)
    for _ in range(3):  # used every 11 hours, it lives on past 12 hours
        clock.now += 11 * HOUR
        assert (await me(client)).status == 200
    clock.now += 12 * HOUR + 1
    assert (await me(client)).status == 401


@database_only
async def test_a_browser_session_does_not_slide_its_cookie(client, clock):
    await signed_out_account(client)
    await login(client)
    clock.now += 11 * HOUR
    answer = await me(client)
    assert not any(h.startswith("session=") for h in answer.headers.get_list("Set-Cookie"))


@stateless_only
async def test_a_stateless_browser_session_ends_twelve_hours_after_sign_in(client, clock):
    await signed_out_account(client)
    await login(client)
    clock.now += 11 * HOUR
    assert (await me(client)).status == 200
    clock.now += HOUR + 1  # activity does not extend it: nothing is written
    assert (await me(client)).status == 401


async def test_a_remembered_session_outlives_twelve_idle_hours_and_ends_after_thirty_days(client, clock):
    await signed_out_account(client)
    await login(client, remember=True)
    clock.now += 20 * DAY
    assert (await me(client)).status == 200
    clock.now += 31 * DAY
    assert (await me(client)).status == 401


async def test_the_choice_survives_the_second_step(client, monkeypatch):
    moment = (time.time() // 30) * 30 + 15
    monkeypatch.setattr(dal_two_factor, "clock", lambda: moment)
    await signed_up(client)
    secret = (await client.post("/api/me/two-factor")).json()["secret"]
    confirmed = await client.post(
        "/api/me/two-factor/confirm", json_body={"code": pyotp.TOTP(secret).at(moment)}
    )
    assert confirmed.status == 200
    for remember, step in ((True, 1), (False, 2)):
        await client.post("/api/auth/logout")
        assert (await login(client, remember=remember)).json()["mfa_required"] is True
        code = pyotp.TOTP(secret).at(moment + step * 30)
        monkeypatch.setattr(dal_two_factor, "clock", lambda step=step: moment + step * 30)
        done = await client.post("/api/auth/login/verify", json_body={"code": code})
        assert done.status == 200, done.text
        cookie = session_cookie(done)
        assert (f"Max-Age={30 * DAY}" in cookie) is remember
        assert is_browser_session(cookie) is not remember
