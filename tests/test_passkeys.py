"""Passkeys through the API, with real credentials (tests.webauthn_helpers: P-256 keys, ECDSA
signatures, CBOR attestation "none") checked by the app's real verification: add one, list,
rename, delete, sign in with it without a password (both session modes, SQLite and
PostgreSQL). Challenges: bound to the session or the browser, single use (also under
concurrent reuse), 5 minutes by an injectable clock. The relying party and origin come from
APP_URL; an IP address there leaves passkeys unavailable. Counters, user verification, user
handles, another user's passkey, hostile credential JSON (and the keep-alive connection after
each refusal), the address throttle, the audit log, and verify_for / authentication_options
for a second factor and re-authentication."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from auth import passkeys
from dal import passkeys as dal_passkeys
from dal.errors import InvalidInput, Unauthenticated
from models.types import utcnow
from tests.auth_helpers import login_api, me, signed_up
from tests.conftest import XSRF
from tests.mail_helpers import scalar
from tests.raw_http import RawConnection, request_bytes
from tests.webauthn_helpers import SoftAuthenticator, b64, unb64

pytestmark = pytest.mark.gen_test(timeout=60)


@pytest.fixture
def extra_settings():
    """What a test changes beside APP_URL (parametrize it)."""
    return {}


@pytest.fixture
def settings_overrides(http_port, extra_settings):
    # WebAuthn takes no IP address as RP id: the app is reached as localhost (pytest-tornado's
    # base_url), and APP_URL says so
    return {"app_url": f"http://localhost:{http_port}", **extra_settings}


@pytest.fixture
def app(real_app):
    return real_app


async def add_passkey(client, authenticator, base_url, name="My laptop"):
    options = await client.post("/api/me/passkeys/options")
    assert options.status == 200, options.text
    credential = authenticator.create(options.json()["options"], base_url)
    added = await client.post("/api/me/passkeys", json_body={"name": name, "credential": credential})
    assert added.status == 201, added.text
    return added.json()["passkey"]


async def sign_in_options(client):
    answer = await client.post("/api/auth/passkey/options")
    assert answer.status == 200, answer.text
    return answer.json()["options"]


async def sign_in(client, authenticator, base_url, **kwargs):
    options = await sign_in_options(client)
    credential = authenticator.get(options, base_url, **kwargs)
    return await client.post("/api/auth/passkey", json_body={"credential": credential})


async def signed_out(client):
    assert (await client.post("/api/auth/logout")).status == 200
    assert (await me(client)).status == 401


async def events(app, kind: str) -> int:
    return await scalar(app, "SELECT count(*) FROM auth_events WHERE kind = :kind", kind=kind)


# --- the whole journey, in both modes and on both databases --------------------------------------


async def test_add_a_passkey_sign_out_and_sign_in_with_it(client, app, base_url):
    user = await signed_up(client)
    authenticator = SoftAuthenticator()
    added = await add_passkey(client, authenticator, base_url)
    assert added["name"] == "My laptop" and added["last_used_at"] is None
    assert added["transports"] == ["internal"]
    listed = (await client.get("/api/me/passkeys")).json()["passkeys"]
    assert listed == [added]

    await signed_out(client)
    signed_in = await sign_in(client, authenticator, base_url)
    assert signed_in.status == 200, signed_in.text
    assert signed_in.json() == {"success": True}
    assert (await me(client)).json()["user"]["id"] == user["id"]
    assert "passkey_signin" not in client.cookies  # the sign-in cookie is cleared with success
    used = (await client.get("/api/me/passkeys")).json()["passkeys"][0]
    assert used["last_used_at"] is not None
    assert await events(app, "passkey_added") == 1 and await events(app, "passkey_used") == 1


async def test_a_deleted_passkey_no_longer_signs_in(client, app, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    added = await add_passkey(client, authenticator, base_url)
    assert (await client.request("DELETE", f"/api/me/passkeys/{added['id']}")).status == 204
    assert (await client.get("/api/me/passkeys")).json() == {"passkeys": []}
    await signed_out(client)
    refused = await sign_in(client, authenticator, base_url)
    assert refused.status == 401
    assert refused.json()["error"] == passkeys.NOT_REGISTERED
    assert (await me(client)).status == 401
    assert await events(app, "passkey_removed") == 1 and await events(app, "passkey_failed") == 1


# --- options and the relying party ---------------------------------------------------------------


@pytest.mark.one_database
async def test_options_name_the_relying_party_of_app_url(client, base_url, http_port):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    assert options["rp"] == {"id": "localhost", "name": "Tornado Pages"}
    assert len(unb64(options["challenge"])) == 32
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["user"]["name"] == "ada@example.com" and options["user"]["displayName"] == "Ada Lovelace"
    assert options["excludeCredentials"] == []
    handle = options["user"]["id"]
    assert str(unb64(handle)) and len(unb64(handle)) == 32  # random, not the account's id
    credential = authenticator.create(options, base_url)
    assert (
        await client.post("/api/me/passkeys", json_body={"name": "One", "credential": credential})
    ).status == 201
    again = (await client.post("/api/me/passkeys/options")).json()["options"]
    assert again["user"]["id"] == handle  # one account, one user handle
    assert [c["id"] for c in again["excludeCredentials"]] == [credential["id"]]
    assert again["challenge"] != options["challenge"]

    browser = client.another()
    answer = await browser.post("/api/auth/passkey/options")
    signing = answer.json()["options"]
    assert signing["rpId"] == "localhost" and signing["userVerification"] == "required"
    assert signing.get("allowCredentials", []) == []  # discoverable: the passkey says whose it is
    cookie = next(h for h in answer.headers.get_list("Set-Cookie") if h.startswith("passkey_signin="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/auth/passkey" in cookie
    assert "Max-Age=300" in cookie
    value = browser.cookies["passkey_signin"]
    await browser.post("/api/auth/passkey/options")
    assert browser.cookies["passkey_signin"] == value  # one browser, one cookie (two tabs both work)


@pytest.mark.parametrize(
    ("app_url", "rp_id", "origin"),
    [
        ("https://app.example.com", "app.example.com", "https://app.example.com"),
        ("https://App.Example.com:443/base", "app.example.com", "https://app.example.com"),
        ("http://localhost:8000", "localhost", "http://localhost:8000"),
        ("https://example.org:8443", "example.org", "https://example.org:8443"),
    ],
)
def test_the_relying_party_is_app_urls_host_and_origin(app_url, rp_id, origin):
    from config import Settings

    party = passkeys.relying_party(Settings(app_url=app_url))
    assert (party.id, party.origin) == (rp_id, origin)
    for address in ("http://127.0.0.1:8000", "http://[::1]:8000", ""):
        assert not passkeys.available(Settings(app_url=address))


@pytest.mark.one_database
async def test_only_the_origin_of_app_url_is_accepted(client, base_url, http_port):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    elsewhere = authenticator.create(options, f"http://evil.example:{http_port}")
    refused = await client.post("/api/me/passkeys", json_body={"name": "x", "credential": elsewhere})
    assert refused.status == 400 and "origin" in refused.json()["error"]
    await add_passkey(client, authenticator, base_url)

    browser = client.another()
    options = await sign_in_options(browser)
    for origin in (f"http://127.0.0.1:{http_port}", "https://localhost", f"http://localhost:{http_port + 1}"):
        options = await sign_in_options(browser)
        answer = authenticator.get(options, origin)
        refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
        assert refused.status == 401 and "origin" in refused.json()["error"], origin
    # signed for another relying party (its RP id hash), with the right origin
    options = await sign_in_options(browser)
    stored = authenticator.credentials[-1]
    answer = authenticator.assertion(stored, options["challenge"], base_url, rp_id="evil.example", sign_count=50)
    refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
    assert refused.status == 401 and "RP ID" in refused.json()["error"]
    assert (await me(browser)).status == 401


@pytest.mark.one_database
@pytest.mark.one_session_mode
@pytest.mark.parametrize("extra_settings", [{"app_url": ""}, {"app_url": "http://127.0.0.1:8000"}])
async def test_an_ip_address_as_app_url_leaves_passkeys_unavailable(client):
    await signed_up(client)
    for path in ("/api/me/passkeys/options", "/api/auth/passkey/options"):
        answer = await client.post(path)
        assert answer.status == 503 and "host name" in answer.json()["error"], path
    page = await client.get("/account/passkeys")
    assert page.status == 200 and "data-passkey-add" not in page.text and "http://localhost" in page.text
    assert (await client.get("/api/me/passkeys")).json() == {"passkeys": []}  # listing still works
    login = await client.another().get("/login")
    assert "data-passkey-sign-in" not in login.text


# --- challenges ----------------------------------------------------------------------------------


@pytest.mark.one_database
async def test_a_registration_challenge_belongs_to_its_session(client, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    other_session = client.another()
    assert (await login_api(other_session)).status == 200
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    credential = authenticator.create(options, base_url)
    refused = await other_session.post("/api/me/passkeys", json_body={"name": "x", "credential": credential})
    assert refused.status == 400 and refused.json()["error"] == passkeys.EXPIRED
    assert (await other_session.get("/api/me/passkeys")).json() == {"passkeys": []}
    # the session it was made for still can (once)
    mine = await client.post("/api/me/passkeys", json_body={"name": "x", "credential": credential})
    assert mine.status == 201
    again = await client.post("/api/me/passkeys", json_body={"name": "x", "credential": credential})
    assert again.status == 400 and again.json()["error"] == passkeys.EXPIRED

    # a sign-in challenge belongs to the browser that asked for it (its passkey_signin cookie)
    asking, answering = client.another(), client.another()
    options = await sign_in_options(asking)
    await sign_in_options(answering)  # a cookie of its own
    refused = await answering.post(
        "/api/auth/passkey", json_body={"credential": authenticator.get(options, base_url)}
    )
    assert refused.status == 400 and refused.json()["error"] == passkeys.EXPIRED
    no_cookie = client.another()
    refused = await no_cookie.post(
        "/api/auth/passkey", json_body={"credential": authenticator.get(options, base_url)}
    )
    assert refused.status == 400 and (await me(no_cookie)).status == 401


async def test_a_sign_in_challenge_is_used_once_even_by_concurrent_requests(client, app, base_url, crowd):
    await signed_up(client)
    authenticator = SoftAuthenticator(counting=False)  # synced passkeys: the counter stays 0
    await add_passkey(client, authenticator, base_url)
    browser = client.another()
    options = await sign_in_options(browser)
    credential = authenticator.get(options, base_url)
    cookies = "; ".join(f"{k}={v}" for k, v in {**browser.cookies, "_xsrf": XSRF}.items())
    headers = {"Content-Type": "application/json", "X-XSRFToken": XSRF, "Cookie": cookies}
    body = json.dumps({"credential": credential})

    async def attempt():
        return await crowd.fetch(
            base_url + "/api/auth/passkey", method="POST", body=body, headers=headers, raise_error=False
        )

    answers = await asyncio.gather(*(attempt() for _ in range(8)))
    statuses = sorted(answer.code for answer in answers)
    assert statuses == [200] + [400] * 7, statuses
    winners = [a for a in answers if a.code == 200]
    assert any(h.startswith("session=") for h in winners[0].headers.get_list("Set-Cookie"))
    for loser in answers:
        if loser.code == 400:
            assert json.loads(loser.body)["error"] == passkeys.EXPIRED
            assert not any(h.startswith("session=") for h in loser.headers.get_list("Set-Cookie"))
    # replayed later, alone: still refused
    replay = await browser.post("/api/auth/passkey", json_body={"credential": credential})
    assert replay.status == 400
    assert await events(app, "passkey_used") == 1


@pytest.mark.one_session_mode
async def test_challenges_expire_after_five_minutes(client, base_url, monkeypatch):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    start = utcnow()
    monkeypatch.setattr(dal_passkeys, "clock", lambda: start)
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    monkeypatch.setattr(dal_passkeys, "clock", lambda: start + timedelta(minutes=5, seconds=1))
    late = await client.post(
        "/api/me/passkeys", json_body={"name": "x", "credential": authenticator.create(options, base_url)}
    )
    assert late.status == 400 and late.json()["error"] == passkeys.EXPIRED

    monkeypatch.setattr(dal_passkeys, "clock", lambda: start)
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    monkeypatch.setattr(dal_passkeys, "clock", lambda: start + timedelta(minutes=4, seconds=59))
    in_time = await client.post(
        "/api/me/passkeys", json_body={"name": "x", "credential": authenticator.create(options, base_url)}
    )
    assert in_time.status == 201

    browser = client.another()
    monkeypatch.setattr(dal_passkeys, "clock", lambda: start)
    options = await sign_in_options(browser)
    monkeypatch.setattr(dal_passkeys, "clock", lambda: start + timedelta(minutes=6))
    late = await browser.post("/api/auth/passkey", json_body={"credential": authenticator.get(options, base_url)})
    assert late.status == 400 and (await me(browser)).status == 401


# --- counters, user verification, user handles ---------------------------------------------------


@pytest.mark.one_session_mode
async def test_sign_counts_must_move_forward_unless_both_are_zero(client, base_url):
    await signed_up(client)
    counting = SoftAuthenticator()
    await add_passkey(client, counting, base_url, name="Counting")
    browser = client.another()
    assert (await sign_in(browser, counting, base_url)).status == 200  # counter 1
    assert (await sign_in(browser, counting, base_url)).status == 200  # counter 2
    stored = counting.credentials[-1]
    for stale in (2, 1, 0):
        options = await sign_in_options(browser)
        answer = counting.assertion(stored, options["challenge"], base_url, sign_count=stale)
        refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
        assert refused.status == 401 and refused.json()["error"] == passkeys.COUNTER, stale
    options = await sign_in_options(browser)
    answer = counting.assertion(stored, options["challenge"], base_url, sign_count=10)
    assert (await browser.post("/api/auth/passkey", json_body={"credential": answer})).status == 200

    synced = SoftAuthenticator(counting=False)
    await add_passkey(client, synced, base_url, name="Synced")
    for _ in range(2):
        assert (await sign_in(client.another(), synced, base_url)).status == 200


@pytest.mark.one_session_mode
async def test_signing_in_without_a_password_needs_user_verification(client, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator(user_verified=False)  # a security key without a PIN
    await add_passkey(client, authenticator, base_url)  # fine to add (a second factor needs no UV)
    browser = client.another()
    refused = await sign_in(browser, authenticator, base_url)
    assert refused.status == 401 and refused.json()["error"] == passkeys.NO_USER_VERIFICATION
    assert (await me(browser)).status == 401


@pytest.mark.one_session_mode
async def test_the_user_handle_must_be_the_passkeys_own(client, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    await add_passkey(client, authenticator, base_url)
    browser = client.another()
    stored = authenticator.credentials[-1]
    options = await sign_in_options(browser)
    answer = authenticator.assertion(stored, options["challenge"], base_url, sign_count=5, user_handle=b"x" * 32)
    refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
    assert refused.status == 401 and refused.json()["error"] == passkeys.NOT_YOURS
    options = await sign_in_options(browser)
    answer = authenticator.assertion(stored, options["challenge"], base_url, sign_count=6)
    del answer["response"]["userHandle"]
    refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
    assert refused.status == 401 and "whose" in refused.json()["error"]
    # a signature that does not match
    options = await sign_in_options(browser)
    answer = authenticator.assertion(stored, options["challenge"], base_url, sign_count=7)
    answer["response"]["signature"] = b64(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
    assert refused.status == 401 and "signature" in refused.json()["error"]
    assert (await me(browser)).status == 401


# --- your passkeys only --------------------------------------------------------------------------


@pytest.mark.one_session_mode
async def test_rename_and_delete_only_your_own_passkeys(client, app, base_url):
    await signed_up(client)
    ada_key = await add_passkey(client, SoftAuthenticator(), base_url, name="Ada's phone")
    bob = client.another()
    await signed_up(bob, name="Bob", email="bob@example.com")
    bob_key = await add_passkey(bob, SoftAuthenticator(), base_url, name="Bob's key")
    assert [p["name"] for p in (await bob.get("/api/me/passkeys")).json()["passkeys"]] == ["Bob's key"]

    path = f"/api/me/passkeys/{ada_key['id']}"
    assert (await bob.request("PATCH", path, json_body={"name": "Mine now"})).status == 404
    assert (await bob.request("DELETE", path)).status == 404
    for missing in ("999999", "0", "-1", "abc", "99999999999", "1.5"):
        assert (await client.request("DELETE", f"/api/me/passkeys/{missing}")).status == 404, missing
    assert [p["name"] for p in (await client.get("/api/me/passkeys")).json()["passkeys"]] == ["Ada's phone"]

    renamed = await client.request("PATCH", path, json_body={"name": "  Ada's   new phone "})
    assert renamed.status == 200 and renamed.json()["passkey"]["name"] == "Ada's new phone"
    for bad, message in (
        ("", "Name your passkey"),
        ("a\x07b", "control characters"),
        ("x" * 101, "at most 100"),
        (42, "string"),
        (None, "string"),
    ):
        refused = await client.request("PATCH", path, json_body={"name": bad})
        assert refused.status == 400 and message in refused.json()["issues"][0]["message"], bad
    assert (await client.request("PATCH", path, json_body={})).status == 400
    assert (await client.request("PATCH", path, body="name=x", headers={"Content-Type": "text/plain"})).status == 415
    assert (await client.get("/api/me/passkeys")).json()["passkeys"][0]["name"] == "Ada's new phone"
    assert await events(app, "passkey_renamed") == 1

    assert (await client.request("DELETE", path)).status == 204
    assert (await client.request("DELETE", path)).status == 404
    assert [p["id"] for p in (await bob.get("/api/me/passkeys")).json()["passkeys"]] == [bob_key["id"]]
    assert (await client.another().get("/api/me/passkeys")).status == 401


@pytest.mark.one_session_mode
async def test_a_passkey_is_registered_once(client, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    credential = authenticator.create(options, base_url)
    assert (await client.post("/api/me/passkeys", json_body={"name": "a", "credential": credential})).status == 201
    # the same credential again, answering a new challenge: a copy of the first answer re-signed
    options = (await client.post("/api/me/passkeys/options")).json()["options"]
    again = json.loads(json.dumps(credential))
    client_data = json.loads(unb64(again["response"]["clientDataJSON"]))
    client_data["challenge"] = options["challenge"]
    again["response"]["clientDataJSON"] = b64(json.dumps(client_data).encode())
    conflict = await client.post("/api/me/passkeys", json_body={"name": "b", "credential": again})
    assert conflict.status == 409 and "registered already" in conflict.json()["error"]
    assert len((await client.get("/api/me/passkeys")).json()["passkeys"]) == 1


# --- hostile input -------------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.one_database
async def test_hostile_credentials_are_refused_and_the_connection_stays_usable(client, app, http_port, io_loop):
    await signed_up(client)
    cookie = "; ".join(f"{k}={v}" for k, v in {**client.cookies, "_xsrf": XSRF}.items())
    good_assertion = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "AAAA", "authenticatorData": "AAAA", "signature": "AAAA"},
    }
    bodies = [
        ("/api/auth/passkey", json.dumps({"credential": 42})),
        ("/api/auth/passkey", json.dumps({"credential": "x"})),
        ("/api/auth/passkey", json.dumps({"credential": []})),
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "id": 5}})),
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "type": "password"}})),
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "rawId": "not base64!"}})),
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "response": {"signature": 1e308}}})),
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "id": "A\x00B"}})),
        ("/api/auth/passkey", '{"credential": {"id": "\\ud800"}}'),
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "id": 10**400}}, default=str)),
        ("/api/auth/passkey", '{"credential": ' + nested(40) + "}"),
        ("/api/auth/passkey", json.dumps({"credential": good_assertion})),  # well formed, no challenge
        ("/api/auth/passkey", json.dumps({"credential": {**good_assertion, "rawId": "A" * 9000}})),
        ("/api/auth/passkey", "[1, 2]"),
        ("/api/auth/passkey", "{not json"),
        ("/api/me/passkeys", json.dumps({"name": "x", "credential": {"response": {"attestationObject": []}}})),
        ("/api/me/passkeys", json.dumps({"name": "\ud800", "credential": {}}, ensure_ascii=False).replace("\ud800", "\\ud800")),
        ("/api/me/passkeys", json.dumps({"name": "a\x00", "credential": {}})),
        ("/api/me/passkeys", json.dumps({"name": "x", "credential": {**good_assertion, "response": {
            "clientDataJSON": b64(b'{"challenge": "' + b"A" * 43 + b'"}'), "attestationObject": b64(b"\xff" * 50)}}})),
    ]
    huge = json.dumps({"credential": {**good_assertion, "id": "A" * 70_000}})

    def exchange():
        answers = []
        with RawConnection(http_port) as conn:
            for path, body in bodies:
                data = body.encode("utf-8", "surrogatepass")
                headers = {"Content-Type": "application/json", "X-XSRFToken": XSRF, "Cookie": cookie}
                answer = conn.exchange(request_bytes("POST", path, headers, data), "POST")
                answers.append((path, body[:60], answer.status, answer.body))
            answers.append(("list", "", conn.exchange(request_bytes("GET", "/api/me/passkeys", {"Cookie": cookie})).status, b""))
        with RawConnection(http_port) as conn:
            headers = {"Content-Type": "application/json", "X-XSRFToken": XSRF, "Cookie": cookie}
            answers.append(("huge", "", conn.exchange(request_bytes("POST", "/api/auth/passkey", headers, huge.encode()), "POST").status, b""))
        return answers

    answers = await io_loop.run_in_executor(None, exchange)
    for path, body, status, raw in answers[: len(bodies)]:
        assert status == 400, (path, body, status, raw)
        assert "error" in json.loads(raw), raw
    assert answers[len(bodies)][2] == 200  # the same keep-alive connection, after every refusal
    assert answers[-1][2] == 413
    assert (await client.get("/api/me/passkeys")).json() == {"passkeys": []}
    assert await scalar(app, "SELECT count(*) FROM passkeys") == 0


@pytest.mark.one_database
@pytest.mark.one_session_mode
@pytest.mark.parametrize("extra_settings", [{"address_max_failures": 3}])
async def test_failed_passkey_sign_ins_are_throttled_by_address(client, app, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    await add_passkey(client, authenticator, base_url)
    browser = client.another()
    stored = authenticator.credentials[-1]
    for count in range(3):  # answers to a challenge this browser never got
        answer = authenticator.assertion(stored, b64(bytes(32)), base_url, sign_count=count + 1)
        refused = await browser.post("/api/auth/passkey", json_body={"credential": answer})
        assert refused.status == 400
    throttled = await sign_in(browser, authenticator, base_url)  # now even a good one waits
    assert throttled.status == 429 and int(throttled.headers["Retry-After"]) > 0
    assert (await me(browser)).status == 401
    assert await events(app, "passkey_failed") == 3


# --- for the second factor and re-authentication -------------------------------------------------


def fake_request(app, ip="10.0.0.1"):
    """What verify_for and authentication_options read of a request (settings, the client)."""
    return SimpleNamespace(settings=app.settings["app_settings"], client_ip=ip, headers={"User-Agent": "test"})


async def test_verify_for_a_user_purpose_and_binding(client, app, base_url):
    ada = await signed_up(client)
    authenticator = SoftAuthenticator()
    added = await add_passkey(client, authenticator, base_url)
    bob_client = client.another()
    bob = await signed_up(bob_client, name="Bob", email="bob@example.com")
    bob_authenticator = SoftAuthenticator()
    await add_passkey(bob_client, bob_authenticator, base_url)
    req = fake_request(app)
    binding = passkeys.pending_binding("pending-1")

    options = await passkeys.authentication_options(req, ada["id"], passkeys.SECOND_FACTOR, binding)
    assert [c["id"] for c in options["allowCredentials"]] == [b64(authenticator.credentials[0].credential_id)]
    assert options["rpId"] == "localhost"
    used = await passkeys.verify_for(
        req, ada["id"], passkeys.SECOND_FACTOR, binding, authenticator.get(options, base_url)
    )
    assert used.id == added["id"] and used.name == "My laptop" and used.last_used_at is not None

    async def refused(error, user_id, purpose, binding_used, credential):
        with pytest.raises(error) as caught:
            await passkeys.verify_for(req, user_id, purpose, binding_used, credential)
        return caught.value.message

    # used once: the same answer again
    again = authenticator.get(options, base_url)
    assert await refused(InvalidInput, ada["id"], passkeys.SECOND_FACTOR, binding, again) == passkeys.EXPIRED
    # bound to its pending login, its purpose and its user
    options = await passkeys.authentication_options(req, ada["id"], passkeys.SECOND_FACTOR, binding)
    other = passkeys.pending_binding("pending-2")
    answer = authenticator.get(options, base_url)
    assert await refused(InvalidInput, ada["id"], passkeys.SECOND_FACTOR, other, answer) == passkeys.EXPIRED
    options = await passkeys.authentication_options(req, ada["id"], passkeys.SECOND_FACTOR, binding)
    answer = authenticator.get(options, base_url)
    assert await refused(InvalidInput, ada["id"], passkeys.REAUTH, binding, answer) == passkeys.EXPIRED
    options = await passkeys.authentication_options(req, ada["id"], passkeys.SECOND_FACTOR, binding)
    answer = authenticator.get(options, base_url)
    assert await refused(InvalidInput, bob["id"], passkeys.SECOND_FACTOR, binding, answer) == passkeys.EXPIRED
    # Bob's passkey answering a challenge made for Ada
    options = await passkeys.authentication_options(req, ada["id"], passkeys.REAUTH, binding)
    answer = bob_authenticator.assertion(bob_authenticator.credentials[0], options["challenge"], base_url, sign_count=9)
    assert await refused(Unauthenticated, ada["id"], passkeys.REAUTH, binding, answer) == passkeys.NOT_YOURS
    # a malformed credential is a validation error naming the field
    from core.validation import ValidationFailed

    with pytest.raises(ValidationFailed):
        await passkeys.verify_for(req, ada["id"], passkeys.REAUTH, binding, {"id": 1})
    with pytest.raises(ValueError):
        await passkeys.verify_for(req, ada["id"], passkeys.SIGN_IN, binding, answer)
    # a user without passkeys gets no options
    carol = client.another()
    carol_user = await signed_up(carol, name="Carol", email="carol@example.com")
    with pytest.raises(InvalidInput):
        await passkeys.authentication_options(req, carol_user["id"], passkeys.REAUTH, binding)
    assert await events(app, "passkey_used") == 1


@pytest.mark.one_session_mode
async def test_passkeys_and_challenges_go_with_their_user(client, app, base_url):
    user = await signed_up(client)
    await add_passkey(client, SoftAuthenticator(), base_url)
    await client.post("/api/me/passkeys/options")
    assert await scalar(app, "SELECT count(*) FROM webauthn_challenges WHERE user_id = :u", u=user["id"]) == 1
    async with app.db.engine.begin() as connection:
        from sqlalchemy import text

        await connection.execute(text("DELETE FROM users WHERE id = :u"), {"u": user["id"]})
    assert await scalar(app, "SELECT count(*) FROM passkeys") == 0
    assert await scalar(app, "SELECT count(*) FROM webauthn_challenges") == 0


# --- the pages, without JavaScript ---------------------------------------------------------------


@pytest.mark.one_database
async def test_the_passkeys_page_lists_renames_and_deletes_without_javascript(client, base_url):
    await signed_up(client)
    added = await add_passkey(client, SoftAuthenticator(), base_url, name="Work <laptop>")
    account = await client.get("/account")
    assert 'href="/account/passkeys"' in account.text
    page = await client.get("/account/passkeys")
    assert page.status == 200
    assert "Work &lt;laptop&gt;" in page.text and "never" in page.text
    assert "data-passkey-add" in page.text and "/static/passkeys.js" in page.text
    assert "<script>" not in page.text  # the CSP allows no inline script

    renamed = await client.post(
        "/account/passkeys", form={"intent": "rename", "passkey_id": str(added["id"]), "name": "Home"}
    )
    assert (renamed.status, renamed.headers["Location"]) == (303, "/account/passkeys?done=rename")
    refused = await client.post(
        "/account/passkeys", form={"intent": "rename", "passkey_id": str(added["id"]), "name": "  "}
    )
    assert refused.status == 400 and "Name your passkey" in refused.text
    missing = await client.post("/account/passkeys", form={"intent": "delete", "passkey_id": "999"})
    assert missing.status == 404 and "Passkey not found" in missing.text
    assert (await client.post("/account/passkeys", form={"intent": "nope"})).status == 400
    assert [p["name"] for p in (await client.get("/api/me/passkeys")).json()["passkeys"]] == ["Home"]

    deleted = await client.post("/account/passkeys", form={"intent": "delete", "passkey_id": str(added["id"])})
    assert (deleted.status, deleted.headers["Location"]) == (303, "/account/passkeys?done=delete")
    after = await client.get("/account/passkeys?done=delete")
    assert "It no longer signs in" in after.text and "You have no passkey yet" in after.text
    assert (await client.get("/api/me/passkeys")).json() == {"passkeys": []}

    login = await client.another().get("/login")
    assert "data-passkey-sign-in" in login.text and "/static/passkeys.js" in login.text
    assert 'name="password"' in login.text  # the password form is untouched
    failed = await client.another().post("/login", form={"email": "ada@example.com", "password": "wrong one"})
    assert failed.status == 401 and "data-passkey-sign-in" in failed.text
    signed_out_visit = await client.another().get("/account/passkeys")
    assert signed_out_visit.status == 307 and signed_out_visit.headers["Location"].startswith("/login")
