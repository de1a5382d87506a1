"""Re-authentication ("sudo mode"): the login counts as a proof of who the user is; sensitive
actions need one within REAUTH_WINDOW_SECONDS; after it the API answers 403
{"reauth_required": true} and pages send the visitor to /reauth and back. Time moves through
dal.reauth.clock, never by waiting. Both session modes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import pytest

from dal import reauth as dal_reauth
from tests.auth_helpers import PASSWORD, login_api, me, signed_up
from tests.mail_helpers import scalar
from tests.raw_http import RawConnection, request_bytes

pytestmark = pytest.mark.gen_test(timeout=90)

WINDOW = 600  # the default REAUTH_WINDOW_SECONDS


class Clock:
    """dal.reauth's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(dal_reauth, "clock", moved)
    return moved


@pytest.fixture
def app(real_app):
    return real_app


async def reauth_api(client, body):
    return await client.post("/api/auth/reauth", json_body=body)


def is_reauth_refusal(response) -> bool:
    return response.status == 403 and response.json().get("reauth_required") is True


async def test_the_login_counts_then_the_window_runs_out_and_a_password_renews_it(client, clock, app):
    await signed_up(client)  # the sign-up's session starts proved
    clock.advance(WINDOW - 5)
    page = await client.get("/account/delete")
    assert page.status == 200 and "Delete your account" in page.text

    clock.advance(10)  # past the window
    page = await client.get("/account/delete")
    assert (page.status, page.headers["Location"]) == (307, "/reauth?next=%2Faccount%2Fdelete")
    refused = await client.request("DELETE", "/api/me")
    assert is_reauth_refusal(refused), refused.text
    assert refused.json()["error"] == "Confirm it's you: re-authenticate to continue."
    email = await client.post("/api/me/email", json_body={"email": "ada@new.example"})
    assert is_reauth_refusal(email)
    assert (await me(client)).status == 200  # nothing else needs it

    # the re-authentication page, and back to where it was asked for
    form = await client.get("/reauth?next=%2Faccount%2Fdelete")
    assert form.status == 200 and "Confirm it's you" in form.text
    wrong = await client.post("/reauth?next=%2Faccount%2Fdelete", form={"password": "not my password"})
    assert wrong.status == 400 and "The password is not correct." in wrong.text
    assert (await client.get("/account/delete")).status == 307
    right = await client.post("/reauth?next=%2Faccount%2Fdelete", form={"password": PASSWORD})
    assert (right.status, right.headers["Location"]) == (303, "/account/delete")
    assert (await client.get("/account/delete")).status == 200

    # the window starts at the re-authentication, not at the login
    clock.advance(WINDOW - 5)
    assert (await client.get("/account/delete")).status == 200
    clock.advance(10)
    assert (await client.get("/account/delete")).status == 307

    # the API way: a password renews it, and the action goes through
    wrong = await reauth_api(client, {"password": "not my password"})
    assert wrong.status == 400 and wrong.json()["issues"] == [
        {"path": ["password"], "message": "The password is not correct."}
    ]
    assert is_reauth_refusal(await client.request("DELETE", "/api/me"))
    done = await reauth_api(client, {"password": PASSWORD})
    assert done.status == 200 and done.json()["success"] is True
    assert done.json()["reauthenticated_until"].endswith("Z")
    email = await client.post("/api/me/email", json_body={"email": "ada@new.example"})
    assert email.status == 202
    kinds = await scalar(
        app,
        "SELECT count(*) FROM auth_events WHERE kind = 'reauthenticated' AND detail = 'with password' AND user_id = 1",
    )
    failed = await scalar(
        app, "SELECT count(*) FROM auth_events WHERE kind = 'reauth_failed' AND user_id = 1"
    )
    assert (kinds, failed) == (2, 2)


async def test_a_form_posted_after_the_window_ran_out_goes_to_reauth_and_back_to_its_page(client, clock):
    await signed_up(client)
    assert (await client.get("/account/delete")).status == 200  # the page opened in time
    clock.advance(WINDOW + 1)  # ... and the person waited before pressing the button
    posted = await client.post("/account/delete", form={})
    assert (posted.status, posted.headers["Location"]) == (303, "/reauth?next=%2Faccount%2Fdelete")
    assert (await me(client)).status == 200  # nothing was deleted


async def test_each_session_has_its_own_proof(client, clock):
    await signed_up(client)
    clock.advance(WINDOW + 1)
    phone = client.another()
    assert (await login_api(phone)).status == 200  # a new login: this session is proved
    assert (await phone.get("/account/delete")).status == 200
    assert (await client.get("/account/delete")).status == 307


@pytest.mark.one_database
async def test_an_old_copy_of_a_cookie_does_not_carry_a_newer_proof(client, clock, session_mode):
    """Stateless: the proof is in the cookie, re-issued at the re-authentication (the old copy
    keeps the old time); database mode: the proof is the session row's, shared by copies."""
    await signed_up(client)
    old_cookie = client.cookies["session"]
    clock.advance(WINDOW + 1)
    done = await reauth_api(client, {"password": PASSWORD})
    assert done.status == 200
    copy = client.another()
    copy.cookies["session"] = old_cookie
    expected = 200 if session_mode == "database" else 307
    assert (await copy.get("/account/delete")).status == expected
    assert (await client.get("/account/delete")).status == 200
    if session_mode == "stateless":
        assert client.cookies["session"] != old_cookie


async def test_a_code_is_refused_clearly_while_two_factor_authentication_is_off(client, clock):
    await signed_up(client)
    clock.advance(WINDOW + 1)
    refused = await reauth_api(client, {"code": "123456"})
    assert refused.status == 400
    assert refused.json() == {
        "error": "Two-factor authentication is off for this account: confirm with your password."
    }
    both = await reauth_api(client, {"password": PASSWORD, "code": "123456"})
    assert both.status == 400 and both.json()["issues"][0]["path"] == ["password"]
    assert is_reauth_refusal(await client.request("DELETE", "/api/me"))


@pytest.mark.one_session_mode
class TestThrottle:
    @pytest.fixture
    def settings_overrides(self):
        return {"address_max_failures": 3}

    async def test_wrong_passwords_count_with_failed_password_changes(self, client, clock, app):
        await signed_up(client)
        clock.advance(WINDOW + 1)
        for _ in range(2):
            assert (await reauth_api(client, {"password": "wrong password"})).status == 400
        change = await client.post(
            "/account",
            form={"intent": "password", "current_password": "wrong", "new_password": "a new password"},
        )
        assert change.status == 400
        locked = await reauth_api(client, {"password": PASSWORD})  # the right one, too late
        assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0
        page = await client.post("/reauth", form={"password": PASSWORD})
        assert page.status == 429 and "Too many attempts" in page.text
        assert is_reauth_refusal(await client.request("DELETE", "/api/me"))
        counted = await scalar(
            app, "SELECT count(*) FROM auth_events WHERE kind IN ('reauth_failed', 'password_change_failed')"
        )
        assert counted == 3

    async def test_concurrent_wrong_passwords_never_pass_the_limit(self, client, clock, crowd, app):
        await signed_up(client)
        clients = [client.another() for _ in range(12)]
        for other in clients:
            other.cookies = dict(client.cookies)
            other.http = crowd
        answers = await asyncio.gather(
            *(reauth_api(other, {"password": "wrong password"}) for other in clients)
        )
        assert sorted(a.status for a in answers) == [400] * 3 + [429] * 9
        checked = await scalar(app, "SELECT count(*) FROM auth_events WHERE kind = 'reauth_failed'")
        assert checked == 3


HOSTILE = [
    b'{"password": 12345678}',
    b'{"password": ["correct horse battery"]}',
    b'{"password": {"a": 1}}',
    b'{"password": null, "code": null}',
    b'{"password": true}',
    b'{"code": 123456}',
    b'{"password": 1e400}',
    b'{"password": 123456789012345678901234567890123456789012345678901234567890}',
    b'{"password": "a\\u0000b"}',
    b'{"password": "\\ud800"}',
    b'{"code": "\\udfff12"}',
    json.dumps({"password": "x" * 200_000}).encode(),
    b"[]",
    b'"password"',
    b"{}",
    b'{"password": ""}',
    b"{" * 100 + b"}" * 100,
    b"not json",
]


@pytest.mark.one_session_mode
async def test_hostile_bodies_get_400_and_the_connection_is_reused(client, clock, http_port):
    await signed_up(client)
    clock.advance(WINDOW + 1)
    cookie = "; ".join(f"{k}={v}" for k, v in {**client.cookies, "_xsrf": "tok"}.items())
    headers = {"Cookie": cookie, "X-XSRFToken": "tok", "Content-Type": "application/json"}

    def exchange_all() -> list[tuple[int, bytes]]:
        answers = []
        with RawConnection(http_port) as conn:
            for body in HOSTILE:
                answer = conn.exchange(request_bytes("POST", "/api/auth/reauth", headers, body), "POST")
                answers.append((answer.status, answer.body))
                assert answer.headers.get("connection") != "close"
            me_answer = conn.exchange(request_bytes("GET", "/api/me", {"Cookie": cookie}))
            answers.append((me_answer.status, me_answer.body))
        return answers

    answers = await asyncio.get_running_loop().run_in_executor(None, exchange_all)
    for body, (status, answer) in zip(HOSTILE, answers, strict=False):
        assert status == 400, (body[:60], status, answer[:200])
        assert json.loads(answer)["error"]
    assert answers[-1][0] == 200
    assert is_reauth_refusal(await client.request("DELETE", "/api/me"))  # nothing got through


@pytest.mark.one_database
async def test_signed_out_and_form_bodies_are_refused(client):
    assert (await reauth_api(client, {"password": PASSWORD})).status == 401
    await signed_up(client)
    assert (await client.post("/api/auth/reauth", form={"password": PASSWORD})).status == 415
    assert (await client.request("DELETE", "/api/me", xsrf=False)).status == 403


@pytest.mark.one_database
async def test_reauth_next_is_only_followed_on_this_site(client, clock):
    await signed_up(client)
    clock.advance(WINDOW + 1)
    for next_ in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        done = await client.post("/reauth", query={"next": next_}, form={"password": PASSWORD})
        assert (done.status, done.headers["Location"]) == (303, "/account")
        assert urlsplit(done.headers["Location"]).netloc == ""


@pytest.mark.one_database
async def test_the_page_data_route_sends_to_reauth_and_back_to_the_page(client, clock):
    from tests.live_helpers import build_id_of

    await signed_up(client)
    build = build_id_of((await client.get("/account")).text)
    clock.advance(WINDOW + 1)
    answer = await client.get(f"/_data/{build}/account/delete.json")
    assert answer.status == 200
    assert answer.json() == {"redirect": {"destination": "/reauth?next=%2Faccount%2Fdelete", "statusCode": 307}}
    signed_out = await client.another().get(f"/_data/{build}/account/delete.json")
    assert signed_out.json()["redirect"]["destination"] == "/login?next=%2Faccount%2Fdelete"
