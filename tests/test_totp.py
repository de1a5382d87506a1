"""Two-factor authentication with TOTP and recovery codes, through real HTTP with codes computed
by pyotp: set-up (a wrong code does not turn it on), the two-step sign-in (pages and API), the
window of one step either side, replays refused (also two at once), recovery codes used once,
five wrong codes ending the pending login and counting for the account's throttle, the pending
login expiring and opening nothing, a sign-in racing a password change, turning it off, and
hostile codes. Time is moved through dal.two_factor.clock, never waited for."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import replace
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from dal import two_factor as dal_two_factor
from models import AuthEvent, PendingLogin, RecoveryCode, User
from tests.auth_helpers import PASSWORD, me, served, signed_up
from tests.conftest import Client
from tests.raw_http import RawConnection, request_bytes

pytestmark = pytest.mark.gen_test(timeout=60)

STEP = 30


@pytest.fixture
def settings_overrides():
    return {"login_max_failures": 100, "address_max_failures": 100}


@pytest.fixture
def app(real_app):
    return real_app


class Clock:
    """dal.two_factor's clock, moved by the test: starts in the middle of a 30-second step."""

    def __init__(self) -> None:
        self.now = (time.time() // STEP) * STEP + STEP / 2

    def __call__(self) -> float:
        return self.now

    def steps(self, n: int) -> None:
        self.now += n * STEP


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(dal_two_factor, "clock", clock)
    return clock


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


async def enable(client: Client, clock: Clock) -> tuple[str, list[str]]:
    """Turn 2FA on through the API; (secret, recovery codes). The clock then moves on a step,
    so the next code is not the one just used."""
    started = await client.post("/api/me/two-factor")
    assert started.status == 200, started.text
    secret = started.json()["secret"]
    confirmed = await client.post("/api/me/two-factor/confirm", json_body={"code": code_at(secret, clock())})
    assert confirmed.status == 200, confirmed.text
    clock.steps(1)
    return secret, confirmed.json()["recovery_codes"]


async def password_step(client: Client, remember: bool | None = None):
    body = {"email": "ada@example.com", "password": PASSWORD}
    if remember is not None:
        body["remember"] = remember
    return await client.post("/api/auth/login", json_body=body)


async def second_step(client: Client, code):
    return await client.post("/api/auth/login/verify", json_body={"code": code})


async def count(app, statement) -> int:
    async with app.db.session() as db:
        return await db.scalar(statement)


def events(kind: str, detail: str | None = None):
    query = select(func.count()).select_from(AuthEvent).where(AuthEvent.kind == kind)
    return query.where(AuthEvent.detail == detail) if detail else query


async def signed_in_with_2fa(client, clock):
    await signed_up(client)
    secret, codes = await enable(client, clock)
    await client.post("/api/auth/logout")
    return secret, codes


# --- set-up -------------------------------------------------------------------------------------


async def test_a_wrong_code_does_not_turn_it_on_and_a_right_one_does(client, app, clock):
    await signed_up(client)
    assert (await client.get("/api/me/two-factor")).json() == {
        "enabled": False,
        "enabled_at": None,
        "setup_pending": False,
        "recovery_codes_left": 0,
    }
    started = (await client.post("/api/me/two-factor")).json()
    secret = started["secret"]
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20  # 160 bits
    assert started["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in started["otpauth_uri"]
    assert started["qr_svg"].startswith("<svg ") and "<script" not in started["qr_svg"]
    # scaled whole by the page's CSS: a viewBox, no fixed size that would crop it
    svg_tag = started["qr_svg"].split(">", 1)[0]
    assert 'viewBox="0 0 ' in svg_tag and "width=" not in svg_tag and svg_tag.count("class=") == 1
    # the secret is not in the database as it is
    stored = await count(app, select(User.totp_secret))
    assert stored and secret not in stored
    wrong = code_at(secret, clock() + 3 * STEP)
    refused = await client.post("/api/me/two-factor/confirm", json_body={"code": wrong})
    assert refused.status == 400
    assert refused.json()["issues"][0]["path"] == ["code"]
    assert (await client.get("/api/me/two-factor")).json()["enabled"] is False
    assert (await client.get("/api/me/two-factor")).json()["setup_pending"] is True
    confirmed = await client.post("/api/me/two-factor/confirm", json_body={"code": code_at(secret, clock())})
    assert confirmed.status == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c.replace("-", "")) == 16 for c in codes)
    state = (await client.get("/api/me/two-factor")).json()
    assert state["enabled"] is True and state["recovery_codes_left"] == 10
    # stored hashed only
    async with app.db.session() as db:
        stored_codes = list(await db.scalars(select(RecoveryCode.code_hash)))
    assert len(stored_codes) == 10
    assert not any(c.replace("-", "") in h for c in codes for h in stored_codes)
    assert await count(app, events("two_factor_enabled")) == 1
    # once on, a new set-up is refused
    assert (await client.post("/api/me/two-factor")).status == 409


@pytest.mark.one_database
async def test_set_up_on_the_account_page(client, app, clock):
    await signed_up(client)
    page = await client.get("/account")
    assert "Set up two-factor authentication" in page.text
    started = await client.post("/account", form={"intent": "totp_start"})
    assert started.status == 303
    page = await client.get("/account")
    assert '<svg role="img"' in page.text
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    refused = await client.post("/account", form={"intent": "totp_confirm", "code": "000000"})
    assert refused.status == 400 and "That code is not correct" in refused.text
    assert (await client.get("/api/me/two-factor")).json()["enabled"] is False
    shown = await client.post("/account", form={"intent": "totp_confirm", "code": code_at(secret, clock())})
    assert shown.status == 200
    assert "Your recovery codes" in shown.text and shown.text.count("<li><code>") == 10
    again = await client.get("/account")
    assert "Your recovery codes" not in again.text  # shown once
    assert "10 of 10 recovery codes left" in again.text


# --- the two-step sign-in -----------------------------------------------------------------------


async def test_api_sign_in_in_two_steps(client, app, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    first = await password_step(client)
    assert first.status == 200
    assert first.json() == {"mfa_required": True, "methods": ["totp", "recovery_code"]}
    cookies = first.headers.get_list("Set-Cookie")
    assert not any(c.startswith("session=") for c in cookies)
    pending = next(c for c in cookies if c.startswith("pending_login="))
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=300"):
        assert attribute in pending
    # the pending login opens nothing
    assert (await me(client)).status == 401
    assert (await client.get("/dashboard")).status in (302, 303, 307)
    assert (await client.get("/api/me/two-factor")).status == 401
    done = await second_step(client, code_at(secret, clock()))
    assert done.status == 200, done.text
    assert done.json() == {"success": True}
    assert "pending_login" not in client.cookies
    assert (await me(client)).status == 200
    assert await count(app, events("login", "with totp")) == 1
    assert await count(app, select(func.count()).select_from(PendingLogin)) == 0


async def test_page_sign_in_in_two_steps_keeps_next(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    login = await client.post("/login?next=/posts", form={"email": "ada@example.com", "password": PASSWORD})
    assert login.status == 303
    assert login.headers["Location"] == "/login/verify?next=%2Fposts"
    assert "session" not in client.cookies and "pending_login" in client.cookies
    assert (await client.get("/dashboard")).status in (302, 303, 307)
    page = await client.get("/login/verify?next=/posts")
    assert page.status == 200 and 'name="code"' in page.text and "ada@example.com" in page.text
    wrong = await client.post("/login/verify?next=/posts", form={"code": "000000"})
    assert (
        wrong.status == 401 and "That code is not correct" in wrong.text and "4 attempts left" in wrong.text
    )
    right = await client.post("/login/verify?next=/posts", form={"code": code_at(secret, clock())})
    assert right.status == 303 and right.headers["Location"] == "/posts"
    assert (await client.get("/dashboard")).status == 200


async def test_without_a_pending_login_the_second_step_sends_back_to_login(client):
    page = await client.get("/login/verify")
    assert page.status == 303 and page.headers["Location"].startswith("/login?expired=1")
    api = await second_step(client, "123456")
    assert api.status == 401


# --- the window and replays ---------------------------------------------------------------------


async def test_a_code_one_step_either_side_passes_two_steps_away_does_not(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    clock.steps(10)
    await password_step(client)
    for offset in (-2, 2, -3, 3):
        refused = await second_step(client, code_at(secret, clock() + offset * STEP))
        assert refused.status == 401, offset
    assert (await second_step(client, code_at(secret, clock() - STEP))).status == 200
    await client.post("/api/auth/logout")
    clock.steps(10)
    await password_step(client)
    assert (await second_step(client, code_at(secret, clock() + STEP))).status == 200


async def test_an_accepted_code_is_never_accepted_again(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    code = code_at(secret, clock())
    await password_step(client)
    assert (await second_step(client, code)).status == 200
    await client.post("/api/auth/logout")
    await password_step(client)
    assert (await second_step(client, code)).status == 401  # the same code, the same step
    # nor a code of an earlier step still inside the window
    assert (await second_step(client, code_at(secret, clock() - STEP))).status == 401
    clock.steps(1)
    assert (await second_step(client, code_at(secret, clock()))).status == 200


async def test_two_sign_ins_sending_one_code_at_once_one_wins(client, crowd, base_url, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    browsers = [Client(crowd, base_url) for _ in range(8)]
    for browser in browsers:
        assert (await password_step(browser)).json()["mfa_required"] is True
    code = code_at(secret, clock())
    answers = await asyncio.gather(*(second_step(browser, code) for browser in browsers))
    assert sorted(a.status for a in answers) == [200] + [401] * 7
    signed_in = [b for b in browsers if (await me(b)).status == 200]
    assert len(signed_in) == 1


# --- recovery codes -----------------------------------------------------------------------------


async def test_a_recovery_code_signs_in_once(client, app, clock):
    _secret, codes = await signed_in_with_2fa(client, clock)
    await password_step(client)
    assert (await second_step(client, codes[0])).status == 200
    assert await count(app, events("recovery_code_used")) == 1
    assert await count(app, events("login", "with recovery code")) == 1
    await client.post("/api/auth/logout")
    await password_step(client)
    assert (await second_step(client, codes[0])).status == 401  # used up
    # spaces, capitals and no dashes are the same code
    spelled = "  " + codes[1].replace("-", " ").upper() + " "
    assert (await second_step(client, spelled)).status == 200
    assert (await client.get("/api/me/two-factor")).json()["recovery_codes_left"] == 8


async def test_new_recovery_codes_end_the_old_ones(client, app, clock):
    await signed_up(client)
    _secret, old = await enable(client, clock)
    made = await client.post("/api/me/two-factor/recovery-codes")
    assert made.status == 200
    new = made.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert await count(app, events("recovery_codes_regenerated")) == 1
    await client.post("/api/auth/logout")
    await password_step(client)
    assert (await second_step(client, old[0])).status == 401
    assert (await second_step(client, new[0])).status == 200


# --- failures, throttle, expiry -----------------------------------------------------------------


async def test_five_wrong_codes_end_the_pending_login_and_count_for_the_throttle(client, app, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    await password_step(client)
    for left in (4, 3, 2, 1):
        refused = await second_step(client, "000000")
        assert refused.status == 401
        assert f"{left} attempt" in refused.json()["error"]
    last = await second_step(client, "000000")
    assert last.status == 401 and "log in again" in last.json()["error"]
    assert (await second_step(client, code_at(secret, clock()))).status == 401  # it has ended
    assert await count(app, select(func.count()).select_from(PendingLogin)) == 0
    failed = (
        select(func.count())
        .select_from(AuthEvent)
        .where(AuthEvent.kind == "login_failed", AuthEvent.email == "ada@example.com")
    )
    assert await count(app, failed) == 5
    assert await count(app, events("login_failed", "wrong second-factor code")) == 5


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 5}])
async def test_wrong_codes_lock_the_account_like_wrong_passwords(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    await password_step(client)
    for _ in range(5):
        await second_step(client, "000000")
    locked = await password_step(client)
    assert locked.status == 429 and "Retry-After" in locked.headers


async def test_a_pending_login_expires_after_five_minutes(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    await password_step(client)
    clock.now += 5 * 60 + 1
    assert (await second_step(client, code_at(secret, clock()))).status == 401
    assert (await me(client)).status == 401
    page = await client.get("/login/verify")
    assert page.status == 303 and "expired=1" in page.headers["Location"]


async def test_a_pending_login_just_inside_five_minutes_still_works(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    await password_step(client)
    clock.now += 5 * 60 - 2
    assert (await second_step(client, code_at(secret, clock()))).status == 200


async def test_a_pending_cookie_from_another_user_or_forged_opens_nothing(client, clock):
    await signed_in_with_2fa(client, clock)
    await password_step(client)
    stolen = client.cookies["pending_login"]
    browser = client.another()
    browser.cookies["session"] = stolen  # a pending token is no session token
    assert (await me(browser)).status == 401
    browser.cookies = {"pending_login": "garbage"}
    assert (await second_step(browser, "123456")).status == 401


# --- a sign-in racing a credential change -------------------------------------------------------


@pytest.mark.parametrize("change", ["password", "everywhere"])
async def test_a_pending_login_cannot_outlive_a_credential_change(client, clock, change):
    secret, _codes = await signed_in_with_2fa(client, clock)
    owner = client.another()
    assert (await password_step(owner)).json()["mfa_required"] is True
    assert (await second_step(owner, code_at(secret, clock()))).status == 200
    clock.steps(1)
    attacker = client.another()
    assert (await password_step(attacker)).json()["mfa_required"] is True
    if change == "password":
        form = {"intent": "password", "current_password": PASSWORD, "new_password": "a brand new password"}
    else:
        form = {"intent": "everywhere"}
    assert (await owner.post("/account", form=form)).status == 303
    refused = await second_step(attacker, code_at(secret, clock()))
    assert refused.status == 401
    assert (await me(attacker)).status == 401
    assert (await me(owner)).status == 200


# --- turning it off -----------------------------------------------------------------------------


async def test_turning_it_off_needs_a_code(client, app, clock):
    await signed_up(client)
    secret, codes = await enable(client, clock)
    missing = await client.request("DELETE", "/api/me/two-factor", json_body={})
    assert missing.status == 400
    wrong = await client.request("DELETE", "/api/me/two-factor", json_body={"code": "000000"})
    assert wrong.status == 400 and wrong.json()["issues"][0]["path"] == ["code"]
    assert (await client.get("/api/me/two-factor")).json()["enabled"] is True
    off = await client.request("DELETE", "/api/me/two-factor", json_body={"code": code_at(secret, clock())})
    assert off.status == 200
    assert (await client.get("/api/me/two-factor")).json() == {
        "enabled": False,
        "enabled_at": None,
        "setup_pending": False,
        "recovery_codes_left": 0,
    }
    assert await count(app, events("two_factor_disabled", "with totp")) == 1
    assert await count(app, select(func.count()).select_from(RecoveryCode)) == 0
    await client.post("/api/auth/logout")
    assert (await password_step(client)).json() == {"success": True}  # one step again
    # a recovery code turns it off too
    _secret, codes = await enable(client, clock)
    off = await client.request("DELETE", "/api/me/two-factor", json_body={"code": codes[3]})
    assert off.status == 200
    again = await client.request("DELETE", "/api/me/two-factor", json_body={"code": codes[4]})
    assert again.status == 409


@pytest.mark.one_database
async def test_turning_it_off_on_the_account_page(client, clock):
    await signed_up(client)
    secret, _codes = await enable(client, clock)
    page = await client.get("/account")
    assert "Turn off two-factor authentication" in page.text
    wrong = await client.post("/account", form={"intent": "totp_disable", "code": "000000"})
    assert wrong.status == 400 and "That code is not correct" in wrong.text
    off = await client.post("/account", form={"intent": "totp_disable", "code": code_at(secret, clock())})
    assert off.status == 303
    assert "Two-factor authentication is off" in (await client.get(off.headers["Location"])).text


# --- hostile input ------------------------------------------------------------------------------

HOSTILE = [
    '{"code": 123456}',
    '{"code": ["123456"]}',
    '{"code": {"a": 1}}',
    '{"code": null}',
    '{"code": true}',
    '{"code": 1e999}',
    '{"code": "12\\u00003456"}',
    '{"code": "\\ud800\\ud800"}',
    '{"code": "' + "1" * 200_000 + '"}',
    '{"code": ' + "[" * 40 + "]" * 40 + "}",
    '{"code": "\\u0661\\u0662\\u0663\\u0664\\u0665\\u0666"}',  # Arabic-Indic digits: never a code
    '["code"]',
    "42",
    "{}",
]


@pytest.mark.one_session_mode
async def test_hostile_codes_are_400_and_the_connection_is_reused(client, clock, base_url):
    secret, _codes = await signed_in_with_2fa(client, clock)
    await password_step(client)
    port = urlsplit(base_url).port
    cookie = f"_xsrf=tok; pending_login={client.cookies['pending_login']}"
    headers = {"Cookie": cookie, "X-XSRFToken": "tok", "Content-Type": "application/json"}

    def send_all() -> list[tuple[int, int]]:
        seen = []
        with RawConnection(port) as conn:
            for text in HOSTILE:
                for path in ("/api/auth/login/verify", "/api/me/two-factor/confirm"):
                    answer = conn.exchange(request_bytes("POST", path, headers, text.encode()))
                    seen.append((answer.status, len(text)))
                    assert answer.headers.get("connection") != "close"
                    assert json.loads(answer.body)["error"]
            health = conn.exchange(request_bytes("GET", "/healthz"))
            assert health.status == 200
        return seen

    seen = await asyncio.get_running_loop().run_in_executor(None, send_all)
    statuses = {status for status, _ in seen[0::2]}  # the second step
    # a code that cannot be one is a 400; an Arabic-Indic "123456" is a well-formed string that
    # is not a code: a wrong code (401)
    assert statuses <= {400, 401}, seen
    assert [s for s, _ in seen[0::2]].count(401) <= 1
    assert all(status == 401 for status, _ in seen[1::2])  # signed out: the set-up needs a session
    # nothing was used up: the right code still signs in
    assert (await second_step(client, code_at(secret, clock()))).status == 200


# --- the secret at rest -------------------------------------------------------------------------


@pytest.mark.one_session_mode
async def test_the_secret_survives_a_key_rotation(client, app, clock, auth_settings, http_client):
    secret, _codes = await signed_in_with_2fa(client, clock)
    sealed_before = await count(app, select(User.totp_secret))
    old_key = auth_settings.secret_keys[0]
    new_key = "a-brand-new-secret-key-0123456789-abcdefgh"
    for keys in ((new_key, old_key), (new_key,)):  # rotated in front, then the old key dropped
        clock.steps(1)
        async with served(replace(auth_settings, secret_keys=keys)) as (_app, base):
            browser = Client(http_client, base)
            assert (await password_step(browser)).json()["mfa_required"] is True
            assert (await second_step(browser, code_at(secret, clock()))).status == 200
    assert await count(app, select(User.totp_secret)) != sealed_before  # sealed with the new key


@pytest.mark.one_database
async def test_the_fifth_wrong_code_on_the_page_sends_back_to_login(client, clock):
    secret, _codes = await signed_in_with_2fa(client, clock)
    await client.post("/login", form={"email": "ada@example.com", "password": PASSWORD})
    for _ in range(4):
        assert (await client.post("/login/verify", form={"code": "000000"})).status == 401
    last = await client.post("/login/verify", form={"code": "000000"})
    assert last.status == 303 and last.headers["Location"] == "/login?failed=1"
    assert "pending_login" not in client.cookies
    page = await client.get("/login?failed=1")
    assert "Too many wrong codes. Log in again." in page.text
    again = await client.post("/login/verify", form={"code": code_at(secret, clock())})
    assert again.status == 303 and "expired=1" in again.headers["Location"]
    assert (await me(client)).status == 401
