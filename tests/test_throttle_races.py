"""Throttles hold under concurrency: every attempt is reserved before any bcrypt work, so N
concurrent requests (N well above the limit) get at most the limit checked, through the forms
and the API alike; and the general rate limit counts page form posts with the API."""

import asyncio
import threading
from dataclasses import replace

import pytest

from dal import passwords
from dal import users as dal_users
from tests.auth_helpers import PASSWORD, in_a_fresh_minute, login_api, served, signed_up, signup_api
from tests.conftest import Client

pytestmark = [
    pytest.mark.gen_test(timeout=60),
    # the throttles do not depend on the session mode
    pytest.mark.parametrize("session_mode", ["database"], indirect=True),
]

LOGIN_LIMIT, ADDRESS_LIMIT, SIGNUP_LIMIT = 10, 20, 2


@pytest.fixture
def settings_overrides():
    return {
        "login_max_failures": LOGIN_LIMIT,
        "address_max_failures": ADDRESS_LIMIT,
        "signup_max_per_address": SIGNUP_LIMIT,
    }


@pytest.fixture
def app(real_app):
    return real_app


@pytest.fixture
def bcrypt_calls(monkeypatch):
    """The bcrypt verifications ("checkpw") and hashes ("hashpw") run from now on."""
    calls: list[str] = []
    lock = threading.Lock()
    for name in ("checkpw", "hashpw"):
        real = getattr(passwords.bcrypt, name)

        def counting(*args, _real=real, _name=name):
            with lock:
                calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(passwords.bcrypt, name, counting)
    return calls


def statuses_of(responses) -> list[int]:
    return sorted(r.status for r in responses)


def assert_refused_as_throttled(responses, allowed: set[int]) -> list[int]:
    """Each answer is one of `allowed` (it was checked) or a 429 with Retry-After and the
    "Too many attempts" message; returns the statuses."""
    for response in responses:
        if response.status == 429:
            assert 0 < int(response.headers["Retry-After"]) <= 3600
            assert "Too many attempts. Try again in" in response.text
        else:
            assert response.status in allowed, (response.status, response.text)
    return statuses_of(responses)


async def test_thirty_concurrent_wrong_passwords_for_one_account_check_at_most_the_limit(
    client, crowd, base_url, bcrypt_calls
):
    await signed_up(client)
    bcrypt_calls.clear()
    responses = await asyncio.gather(
        *(login_api(Client(crowd, base_url), password=f"wrong guess {i}") for i in range(30))
    )
    statuses = assert_refused_as_throttled(responses, {401})
    assert 0 < bcrypt_calls.count("checkpw") <= LOGIN_LIMIT
    assert 0 < statuses.count(401) <= LOGIN_LIMIT
    locked = await login_api(client.another())  # the right password, now refused
    assert locked.status == 429 and "Try again in 15 minutes" in locked.text


async def test_a_burst_of_forty_guesses_with_the_right_one_checks_at_most_the_limit(
    client, crowd, base_url, bcrypt_calls
):
    await signed_up(client)
    bcrypt_calls.clear()
    guesses = [f"wrong guess {i}" for i in range(39)] + [PASSWORD]
    responses = await asyncio.gather(
        *(login_api(Client(crowd, base_url), password=guess) for guess in guesses)
    )
    statuses = assert_refused_as_throttled(responses, {200, 401})
    # at most the limit of wrong guesses is checked, and the right one only if it came within
    # them; a right one, once checked, stops counting as a failure (a person who logs in is not
    # locked out by their own logins), so one more wrong guess racing it may be checked after it:
    # never more than the limit of wrong ones
    assert 0 < statuses.count(401) <= LOGIN_LIMIT
    assert statuses.count(200) <= 1
    assert bcrypt_calls.count("checkpw") == statuses.count(200) + statuses.count(401)


async def test_concurrent_failures_across_accounts_lock_the_address_at_its_limit(
    client, crowd, base_url, bcrypt_calls
):
    responses = await asyncio.gather(
        *(
            login_api(Client(crowd, base_url), email=f"guess{i}@example.com", password="wrong guess!")
            for i in range(40)
        )
    )
    statuses = assert_refused_as_throttled(responses, {401})
    assert 0 < bcrypt_calls.count("checkpw") <= ADDRESS_LIMIT
    assert 0 < statuses.count(401) <= ADDRESS_LIMIT


async def test_twelve_concurrent_api_signups_pass_at_most_the_address_limit(
    client, crowd, base_url, bcrypt_calls
):
    responses = await asyncio.gather(
        *(signup_api(Client(crowd, base_url), email=f"user{i}@example.com") for i in range(12))
    )
    statuses = assert_refused_as_throttled(responses, {201})
    assert 0 < bcrypt_calls.count("hashpw") <= SIGNUP_LIMIT
    assert 0 < statuses.count(201) <= SIGNUP_LIMIT


async def test_twelve_concurrent_signup_forms_pass_at_most_the_address_limit(
    client, crowd, base_url, bcrypt_calls
):
    forms = [
        Client(crowd, base_url).post(
            "/signup", form={"name": f"User {i}", "email": f"user{i}@example.com", "password": PASSWORD}
        )
        for i in range(12)
    ]
    statuses = assert_refused_as_throttled(await asyncio.gather(*forms), {303})
    assert 0 < bcrypt_calls.count("hashpw") <= SIGNUP_LIMIT
    assert 0 < statuses.count(303) <= SIGNUP_LIMIT


async def test_failed_signups_count_so_probing_existing_emails_is_limited(
    client, crowd, base_url, bcrypt_calls
):
    """Probing which emails have an account (a 409 each, one bcrypt hash each) is counted,
    through the form and the API alike."""
    await dal_users.create_user("Ada", "ada@example.com", PASSWORD)
    bcrypt_calls.clear()
    probes = [
        Client(crowd, base_url).post(
            "/signup", form={"name": "Probe", "email": "ada@example.com", "password": PASSWORD}
        )
        for _ in range(6)
    ] + [signup_api(Client(crowd, base_url), name="Probe") for _ in range(6)]
    statuses = assert_refused_as_throttled(await asyncio.gather(*probes), {409})
    assert 0 < bcrypt_calls.count("hashpw") <= SIGNUP_LIMIT
    assert 0 < statuses.count(409) <= SIGNUP_LIMIT
    # a new address gets nowhere either, from this address, for the hour
    later = await signup_api(client.another(), email="new@example.com")
    assert later.status == 429


async def test_concurrent_wrong_current_passwords_check_at_most_the_address_limit(
    client, crowd, base_url, bcrypt_calls
):
    await signed_up(client)
    bcrypt_calls.clear()

    def browser():  # the same signed-in person, one connection per request
        other = Client(crowd, base_url)
        other.cookies = dict(client.cookies)
        return other

    attempts = [
        browser().post(
            "/account",
            form={"intent": "password", "current_password": f"not it {i}", "new_password": "whatever123"},
        )
        for i in range(40)
    ]
    statuses = assert_refused_as_throttled(await asyncio.gather(*attempts), {400})
    assert 0 < bcrypt_calls.count("checkpw") <= ADDRESS_LIMIT
    assert 0 < statuses.count(400) <= ADDRESS_LIMIT
    right = await client.post(
        "/account", form={"intent": "password", "current_password": PASSWORD, "new_password": "whatever123"}
    )
    assert right.status == 429
    assert (await login_api(client.another())).status == 200  # the password did not change


async def test_a_successful_login_is_not_counted_as_a_failure(client, crowd, base_url):
    await signed_up(client)
    logins = await asyncio.gather(*(login_api(Client(crowd, base_url)) for _ in range(LOGIN_LIMIT)))
    assert statuses_of(logins) == [200] * LOGIN_LIMIT
    for _ in range(LOGIN_LIMIT - 1):
        assert (await login_api(client.another(), password="wrong guess!")).status == 401
    assert (await login_api(client.another())).status == 200


async def test_page_form_posts_count_toward_the_rate_limit_with_the_api(auth_settings, http_client, monkeypatch):
    async with served(replace(auth_settings, api_rate_limit=6)) as (_app, base):
        browser = Client(http_client, base)
        in_a_fresh_minute(monkeypatch)
        for _ in range(3):
            assert (await browser.get("/api/posts")).status == 200
            form = await browser.post("/login", form={"email": "ada@example.com", "password": "wrong guess!"})
            assert form.status == 401
        refused = await browser.post("/login", form={"email": "ada@example.com", "password": PASSWORD})
        assert refused.status == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
        assert (await browser.get("/api/posts")).status == 429  # one count for pages and the API
        assert (await browser.get("/login")).status == 200  # reading a page is not counted
