"""The second factors working together, through real HTTP: a TOTP code, a recovery code or a
passkey re-authenticates ("sudo mode"); turning two-factor authentication off, making new
recovery codes and deleting a passkey need a recent proof (pages and API); a passkey finishes a
password sign-in as a second factor beside the codes; the export holds the user's two-factor
state and passkeys (never a secret or a key). Time moves through dal.reauth.clock and
dal.two_factor.clock. Both session modes, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pyotp
import pytest

from dal import reauth as dal_reauth
from dal import two_factor as dal_two_factor
from tests.auth_helpers import PASSWORD, signed_up
from tests.mail_helpers import scalar
from tests.test_passkeys import add_passkey
from tests.webauthn_helpers import SoftAuthenticator, b64

pytestmark = pytest.mark.gen_test(timeout=90)

WINDOW = 600  # the default REAUTH_WINDOW_SECONDS
STEP = 30


class Clocks:
    """dal.reauth's clock (seconds) and dal.two_factor's (TOTP steps), moved together."""

    def __init__(self) -> None:
        self.now = (time.time() // STEP) * STEP + STEP / 2

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clocks:
    clocks = Clocks()
    monkeypatch.setattr(dal_reauth, "clock", clocks)
    monkeypatch.setattr(dal_two_factor, "clock", clocks)
    return clocks


@pytest.fixture
def settings_overrides(http_port):
    # WebAuthn takes no IP address as RP id: the app is reached as localhost (base_url)
    return {"app_url": f"http://localhost:{http_port}", "login_max_failures": 100, "address_max_failures": 100}


@pytest.fixture
def app(real_app):
    return real_app


def code(secret: str, clock: Clocks) -> str:
    return pyotp.TOTP(secret).at(clock())


async def two_factor_on(client, clock: Clocks) -> tuple[str, list[str]]:
    started = await client.post("/api/me/two-factor")
    assert started.status == 200, started.text
    secret = started.json()["secret"]
    confirmed = await client.post("/api/me/two-factor/confirm", json_body={"code": code(secret, clock)})
    assert confirmed.status == 200, confirmed.text
    clock.advance(STEP)  # the next code is a new one
    return secret, confirmed.json()["recovery_codes"]


def needs_reauth(response) -> bool:
    return response.status == 403 and response.json().get("reauth_required") is True


async def test_a_totp_code_or_a_recovery_code_re_authenticates_once_each(client, clock):
    await signed_up(client)
    secret, recovery = await two_factor_on(client, clock)
    clock.advance(WINDOW + 1)
    assert needs_reauth(await client.post("/api/me/two-factor/recovery-codes"))

    wrong = await client.post("/api/auth/reauth", json_body={"code": "000000"})
    assert wrong.status == 400 and wrong.json()["issues"][0]["path"] == ["code"]
    right = code(secret, clock)
    assert (await client.post("/api/auth/reauth", json_body={"code": right})).status == 200
    fresh = await client.post("/api/me/two-factor/recovery-codes")
    assert fresh.status == 200 and len(fresh.json()["recovery_codes"]) == 10

    clock.advance(WINDOW + 1)
    replayed = await client.post("/api/auth/reauth", json_body={"code": right})
    assert replayed.status == 400  # a code accepted once is never accepted again
    old_recovery = await client.post("/api/auth/reauth", json_body={"code": recovery[0]})
    assert old_recovery.status == 400  # the codes were made anew
    new_recovery = fresh.json()["recovery_codes"][0]
    assert (await client.post("/api/auth/reauth", json_body={"code": new_recovery})).status == 200
    clock.advance(WINDOW + 1)
    assert (await client.post("/api/auth/reauth", json_body={"code": new_recovery})).status == 400


async def test_turning_two_factor_off_needs_a_recent_proof_and_a_code(client, clock):
    await signed_up(client)
    secret, _ = await two_factor_on(client, clock)
    clock.advance(WINDOW + 1)
    refused = await client.request("DELETE", "/api/me/two-factor", json_body={"code": code(secret, clock)})
    assert needs_reauth(refused)
    assert (await client.get("/api/me/two-factor")).json()["enabled"] is True
    assert (await client.post("/api/auth/reauth", json_body={"password": PASSWORD})).status == 200
    clock.advance(STEP)
    off = await client.request("DELETE", "/api/me/two-factor", json_body={"code": code(secret, clock)})
    assert off.status == 200, off.text
    assert (await client.get("/api/me/two-factor")).json()["enabled"] is False


async def test_the_account_page_sends_a_stale_two_factor_action_to_reauth_and_back(client, clock):
    await signed_up(client)
    await two_factor_on(client, clock)
    clock.advance(WINDOW + 1)
    answer = await client.post("/account", form={"intent": "recovery_codes"})
    assert answer.status == 303
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/reauth" and "next=%2Faccount" in location.query
    page = await client.get("/reauth?next=/account")
    assert page.status == 200
    assert 'name="code"' in page.text  # 2FA on: a code confirms too


async def test_deleting_a_passkey_needs_a_recent_proof_and_a_passkey_gives_one(client, clock, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    passkey = await add_passkey(client, authenticator, base_url)
    clock.advance(WINDOW + 1)
    assert needs_reauth(await client.request("DELETE", f"/api/me/passkeys/{passkey['id']}"))
    assert len((await client.get("/api/me/passkeys")).json()["passkeys"]) == 1

    options = await client.post("/api/auth/reauth/passkey/options")
    assert options.status == 200, options.text
    allowed = options.json()["options"]["allowCredentials"]
    assert [entry["id"] for entry in allowed] == [b64(authenticator.credentials[0].credential_id)]
    assertion = authenticator.get(options.json()["options"], base_url)
    proved = await client.post("/api/auth/reauth/passkey", json_body={"credential": assertion})
    assert proved.status == 200, proved.text
    assert (await client.request("DELETE", f"/api/me/passkeys/{passkey['id']}")).status == 204
    assert (await client.get("/api/me/passkeys")).json()["passkeys"] == []

    replay = await client.post("/api/auth/reauth/passkey", json_body={"credential": assertion})
    assert replay.status == 400  # the challenge was used


async def test_a_reauth_challenge_belongs_to_its_session(client, clock, base_url):
    await signed_up(client)
    authenticator = SoftAuthenticator()
    await add_passkey(client, authenticator, base_url)
    other = client.another()
    assert (
        await other.post("/api/auth/login", json_body={"email": "ada@example.com", "password": PASSWORD})
    ).status == 200
    options = await client.post("/api/auth/reauth/passkey/options")
    assertion = authenticator.get(options.json()["options"], base_url)
    stolen = await other.post("/api/auth/reauth/passkey", json_body={"credential": assertion})
    assert stolen.status == 400  # bound to the session that asked
    assert (await client.post("/api/auth/reauth/passkey", json_body={"credential": assertion})).status == 200


async def test_a_passkey_finishes_a_password_sign_in_beside_the_codes(client, clock, base_url):
    await signed_up(client)
    await two_factor_on(client, clock)
    authenticator = SoftAuthenticator()
    await add_passkey(client, authenticator, base_url)

    visitor = client.another()
    step = await visitor.post("/api/auth/login", json_body={"email": "ada@example.com", "password": PASSWORD})
    assert step.status == 200
    assert step.json() == {"mfa_required": True, "methods": ["totp", "recovery_code", "passkey"]}
    assert (await visitor.get("/api/me")).status == 401  # a pending login opens nothing
    page = await visitor.get("/login/verify")
    assert "data-passkey-sign-in" in page.text and "/api/auth/login/passkey/options" in page.text

    options = await visitor.post("/api/auth/login/passkey/options")
    assert options.status == 200, options.text
    assertion = authenticator.get(options.json()["options"], base_url)
    done = await visitor.post("/api/auth/login/passkey", json_body={"credential": assertion})
    assert done.status == 200, done.text
    assert (await visitor.get("/api/me")).status == 200
    again = await visitor.post("/api/auth/login/passkey", json_body={"credential": assertion})
    assert again.status == 401  # the pending login is used up


async def test_a_second_factor_passkey_challenge_belongs_to_its_pending_login(client, clock, base_url):
    await signed_up(client)
    await two_factor_on(client, clock)
    authenticator = SoftAuthenticator()
    await add_passkey(client, authenticator, base_url)
    first, second = client.another(), client.another()
    for visitor in (first, second):
        answer = await visitor.post("/api/auth/login", json_body={"email": "ada@example.com", "password": PASSWORD})
        assert answer.json()["mfa_required"] is True
    options = await first.post("/api/auth/login/passkey/options")
    assertion = authenticator.get(options.json()["options"], base_url)
    crossed = await second.post("/api/auth/login/passkey", json_body={"credential": assertion})
    assert crossed.status == 400
    assert (await second.get("/api/me")).status == 401
    assert (await first.post("/api/auth/login/passkey", json_body={"credential": assertion})).status == 200


async def test_without_two_factor_a_password_alone_signs_in_whatever_passkeys_there_are(
    client, base_url
):
    await signed_up(client)
    await add_passkey(client, SoftAuthenticator(), base_url)
    visitor = client.another()
    answer = await visitor.post("/api/auth/login", json_body={"email": "ada@example.com", "password": PASSWORD})
    assert answer.status == 200 and answer.json() == {"success": True}


async def test_the_export_holds_the_two_factor_state_and_the_passkeys_names(client, clock, base_url):
    await signed_up(client)
    await two_factor_on(client, clock)
    await add_passkey(client, SoftAuthenticator(), base_url, name="Ada's laptop")
    bob = client.another()
    await signed_up(bob, email="bob@example.com", name="Bob")
    await add_passkey(bob, SoftAuthenticator(), base_url, name="Bob's phone")

    document = (await client.get("/api/me/export")).json()
    assert document["two_factor"]["enabled"] is True and document["two_factor"]["recovery_codes_left"] == 10
    assert [passkey["name"] for passkey in document["passkeys"]] == ["Ada's laptop"]
    text = str(document)
    assert "Bob" not in text and "secret" not in text and "public_key" not in text
    bobs = (await bob.get("/api/me/export")).json()
    assert bobs["two_factor"] == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    assert [passkey["name"] for passkey in bobs["passkeys"]] == ["Bob's phone"]


async def test_the_reauth_page_takes_a_code_and_goes_back(client, clock):
    await signed_up(client)
    secret, _ = await two_factor_on(client, clock)
    clock.advance(WINDOW + 1)
    wrong = await client.post("/reauth?next=/account/delete", form={"code": "000000"})
    assert wrong.status == 400 and "The code is not correct." in wrong.text
    right = await client.post("/reauth?next=/account/delete", form={"code": code(secret, clock)})
    assert right.status == 303 and right.headers["Location"] == "/account/delete"
    assert (await client.get("/account/delete")).status == 200


async def test_deleting_an_account_removes_its_second_factors(client, clock, base_url, app):
    user = await signed_up(client)
    await two_factor_on(client, clock)
    await add_passkey(client, SoftAuthenticator(), base_url)
    assert (await client.post("/api/auth/reauth/passkey/options")).status == 200  # a challenge
    pending = client.another()  # a sign-in waiting for its second step
    answer = await pending.post("/api/auth/login", json_body={"email": "ada@example.com", "password": PASSWORD})
    assert answer.json()["mfa_required"] is True
    assert (await client.request("DELETE", "/api/me")).status == 200
    for table in ("passkeys", "webauthn_challenges", "recovery_codes", "pending_logins"):
        left = await scalar(app, f"SELECT count(*) FROM {table} WHERE user_id = :id", id=user["id"])
        assert left == 0, table
    assert (await pending.post("/api/auth/login/verify", json_body={"code": "123456"})).status == 401
