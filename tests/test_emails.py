"""One mailbox, one account: every spelling of an address (Unicode or IDNA domain, composed or
decomposed letters, fullwidth forms, any case) is stored in one canonical form, finds the
same account at login, and cannot sign up a second one; through the API and the forms, on
both databases."""

import pytest

from dal import users as dal_users
from tests.auth_helpers import PASSWORD, login_api, me, signed_up, signup_api
from tests.concurrency import at_once

pytestmark = [pytest.mark.gen_test, pytest.mark.one_session_mode]

STORED = "ada@xn--exmple-cua.com"
SPELLINGS = [
    "ada@exämple.com",  # composed ä (NFC)
    "ada@xn--exmple-cua.com",  # the IDNA (ASCII) form of the domain
    "ada@exa\u0308mple.com",  # a + combining diaeresis (NFD)
    "ADA@EXÄMPLE.COM",
    "ada@ｅxämple.com",  # a fullwidth e
]


@pytest.fixture
def settings_overrides():
    return {"login_max_failures": 3}


@pytest.fixture
def app(real_app):
    return real_app


@pytest.mark.parametrize("first", SPELLINGS)
async def test_every_spelling_of_one_mailbox_is_one_account(client, first):
    user = await signed_up(client, email=first)
    assert user["email"] == STORED
    for spelling in SPELLINGS:
        response = await signup_api(client.another(), email=spelling)
        assert (response.status, response.json()["error"]) == (409, "Email already registered"), spelling
        form = await client.another().post(
            "/signup", form={"name": "Eve", "email": spelling, "password": PASSWORD}
        )
        assert form.status == 409 and "This email is already registered" in form.text, spelling
    for spelling in SPELLINGS:
        other = client.another()
        assert (await login_api(other, email=spelling)).status == 200, spelling
        assert (await me(other)).json()["user"]["id"] == user["id"]
        form = client.another()
        response = await form.post("/login", form={"email": f" {spelling} ", "password": PASSWORD})
        assert (response.status, response.headers["Location"]) == (303, "/dashboard"), spelling


async def test_a_fullwidth_ascii_domain_is_the_ascii_one(client):
    user = await signed_up(client, email="ada@\uff45xample.com")
    assert user["email"] == "ada@example.com"
    assert (await signup_api(client.another(), email="Ada@Example.com")).status == 409
    assert (await login_api(client.another(), email="ada@example.com")).status == 200


async def test_concurrent_sign_ups_with_every_spelling_make_one_account(client):
    body = {"name": "Ada", "password": PASSWORD}
    responses = await at_once(
        client,
        [("POST", "/api/auth/signup", {"json_body": {**body, "email": email}}) for email in SPELLINGS * 2],
    )
    assert sorted(r.status for r in responses) == [201] + [409] * (2 * len(SPELLINGS) - 1)


async def test_the_login_throttle_counts_every_spelling_as_one_account(client):
    await signed_up(client, email="ada@exämple.com")
    other = client.another()
    for spelling in SPELLINGS[1:4]:  # three failures (the limit here), each spelled differently
        assert (await login_api(other, email=spelling, password="wrong password!")).status == 401
    locked = await login_api(client.another(), email=SPELLINGS[4])
    assert locked.status == 429, locked.text


async def test_an_address_that_is_not_valid_matches_no_account(client):
    await signed_up(client)
    for typed in (
        "ada@example",
        "ada@@example.com",
        "not an address",
        "ada@exa mple.com",
        "ä" * 5000 + "@x.org",
    ):
        response = await login_api(client.another(), email=typed)
        assert (response.status, response.json()) == (401, {"error": "Invalid credentials."}), typed[:20]
    too_long = await signup_api(client.another(), email="a" * 5000 + "@example.org")
    assert too_long.status == 400 and too_long.json()["issues"][0]["path"] == ["email"]


async def test_promote_finds_the_account_by_any_spelling(client):
    await signed_up(client, email="ada@exämple.com")
    await dal_users.promote("  ADA@ｅxa\u0308mple.COM ")
    assert (await me(client)).json()["user"]["role"] == "admin"
