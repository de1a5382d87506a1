"""Password reset, as a person does it: ask on /forgot-password (or the API), read the mail the
app sent to a real SMTP server, open the link, choose a new password. Both session modes, on
SQLite and PostgreSQL."""

import asyncio

import pytest

from tests.auth_helpers import login_api, me, signed_up, signup_api
from tests.mail_helpers import all_delivered, outbox_size, path_of, scalar

pytestmark = pytest.mark.gen_test(timeout=60)

NEW_PASSWORD = "a brand new secret"
INVALID_LINK = {"error": "This link is invalid, used or expired. Ask for a new one."}


@pytest.fixture
def settings_overrides(mail_settings):
    return {**mail_settings, "email_verification": "off"}  # the only mails: the ones asked for


@pytest.fixture
def app(real_app, mailer):
    return real_app


async def ask(client, email="ada@example.com", **kwargs):
    return await client.post("/api/auth/password-reset", json_body={"email": email}, **kwargs)


async def reset_link(client, smtp, email="ada@example.com", count=1) -> str:
    """Ask for a reset and return the link of the newest of `count` mails to email."""
    assert (await ask(client, email)).status == 202
    mails = await smtp.wait_for(email, count)
    assert mails[-1].subject == "Reset your Tornado Pages password"
    return mails[-1].link("/reset-password/")


async def test_every_address_gets_the_same_answer_and_only_an_account_gets_mail(client, smtp, app):
    await signed_up(client.another())
    for email in ("nobody@example.com", "ada@example.com"):
        answer = await ask(client, email)
        assert (answer.status, answer.json()) == (202, {"success": True})
    page_answers = [
        await client.post("/forgot-password", form={"email": email})
        for email in ("nobody@example.com", "ada@example.com")
    ]
    assert [(a.status, a.headers["Location"], a.text) for a in page_answers] == [
        (303, "/forgot-password?sent=1", "")
    ] * 2
    sent_page = await client.get("/forgot-password?sent=1")
    assert "Check your inbox" in sent_page.text
    # everything asked for is delivered: two mails to the account, none to the other address
    await smtp.wait_for("ada@example.com", 2)
    await all_delivered(app)
    assert smtp.to("nobody@example.com") == [] and smtp.count() == 2
    requested = await scalar(app, "SELECT count(*) FROM auth_events WHERE kind = 'password_reset_requested'")
    assert requested == 4


async def test_a_reset_sets_the_new_password_once_and_ends_every_session(client, smtp, app, auth_settings):
    await signed_up(client)
    other_browser = client.another()
    assert (await login_api(other_browser)).status == 200
    link = await reset_link(client.another(), smtp)
    assert link.startswith(auth_settings.app_url + "/reset-password/")
    path = path_of(link)

    form = await client.get(path)
    assert form.status == 200 and "Choose a new password" in form.text
    assert form.headers["Referrer-Policy"] == "no-referrer"

    done = await client.post(path, form={"password": NEW_PASSWORD})
    assert (done.status, done.headers["Location"]) == (303, "/login?reset=1")
    assert done.headers["Referrer-Policy"] == "no-referrer"
    assert "Your password was changed" in (await client.get("/login?reset=1")).text
    # every session of the user ended, in both modes: this browser's and the other one's
    assert (await me(client)).status == 401
    assert (await me(other_browser)).status == 401
    assert (await login_api(client.another())).status == 401
    assert (await login_api(client.another(), password=NEW_PASSWORD)).status == 200
    # the link worked once
    again = await client.post(path, form={"password": "yet another password"})
    assert again.status == 400 and "This link is invalid, used or expired" in again.text
    assert "This link does not work" in (await client.get(path)).text
    assert (await login_api(client.another(), password=NEW_PASSWORD)).status == 200
    # the owner is told, and the audit log has it
    changed = await smtp.wait_for("ada@example.com", 2)
    assert changed[1].subject == "Your Tornado Pages password was changed"
    assert changed[1].link("/forgot-password").startswith(auth_settings.app_url)
    kinds = await scalar(
        app, "SELECT count(*) FROM auth_events WHERE kind = 'password_reset' AND user_id = 1"
    )
    assert kinds == 1


async def test_opening_the_link_consumes_nothing(client, smtp):
    await signed_up(client)
    path = path_of(await reset_link(client, smtp))
    for _ in range(3):  # a mail scanner, a preview, the person
        assert (await client.get(path)).status == 200
        assert (await client.request("HEAD", path)).status == 200
    answer = await client.post(
        "/api/auth/password-reset/confirm",
        json_body={"token": path.rsplit("/", 1)[1], "password": NEW_PASSWORD},
    )
    assert (answer.status, answer.json()) == (200, {"success": True})


async def test_the_api_confirms_with_the_sign_up_rules_and_one_message_for_bad_tokens(client, smtp):
    await signed_up(client)
    token = path_of(await reset_link(client, smtp)).rsplit("/", 1)[1]
    confirm = "/api/auth/password-reset/confirm"
    for bad in ("short", "tab\there and more", "é" * 37):  # too short, a control character, 74 bytes
        refused = await client.post(confirm, json_body={"token": token, "password": bad})
        signup = await signup_api(client.another(), email="other@example.com", password=bad)
        assert refused.status == signup.status == 400
        assert refused.json()["issues"] == signup.json()["issues"]
        assert refused.json()["issues"][0]["path"] == ["password"]
    for unknown in ("x" * 43, "not-a-token", token[:-1] + ("A" if token[-1] != "A" else "B")):
        answer = await client.post(confirm, json_body={"token": unknown, "password": NEW_PASSWORD})
        assert (answer.status, answer.json()) == (400, INVALID_LINK)
    # none of that used the token up
    assert (await client.post(confirm, json_body={"token": token, "password": NEW_PASSWORD})).status == 200
    used = await client.post(confirm, json_body={"token": token, "password": NEW_PASSWORD})
    assert (used.status, used.json()) == (400, INVALID_LINK)
    assert (await login_api(client.another(), password=NEW_PASSWORD)).status == 200


async def test_a_newer_link_ends_the_older(client, smtp):
    await signed_up(client)
    first = await reset_link(client, smtp)
    second = await reset_link(client, smtp, count=2)
    assert first != second
    old = await client.post(path_of(first), form={"password": NEW_PASSWORD})
    assert old.status == 400 and "This link is invalid, used or expired" in old.text
    assert (await client.post(path_of(second), form={"password": NEW_PASSWORD})).status == 303


async def test_links_are_built_on_app_url_never_on_the_host_header(client, smtp, auth_settings):
    await signed_up(client)
    await ask(client, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    link = (await smtp.wait_for("ada@example.com"))[0].link("/reset-password/")
    assert link.startswith(auth_settings.app_url + "/reset-password/") and "evil" not in link


async def test_a_reset_proves_the_address(client, smtp):
    await signed_up(client)
    assert (await me(client)).json()["user"]["email_verified"] is False
    await client.post(path_of(await reset_link(client, smtp)), form={"password": NEW_PASSWORD})
    assert (await login_api(client, password=NEW_PASSWORD)).status == 200
    assert (await me(client)).json()["user"]["email_verified"] is True


async def test_a_signed_in_browser_resetting_its_own_password_is_signed_out(client, smtp):
    await signed_up(client)
    link = await reset_link(client, smtp)
    done = await client.post(path_of(link), form={"password": NEW_PASSWORD})
    assert done.status == 303 and "session" not in client.cookies
    assert (await client.get("/login?reset=1")).status == 200  # no longer sent to the dashboard


async def test_a_weak_password_on_the_page_keeps_the_form_and_the_link(client, smtp):
    await signed_up(client)
    path = path_of(await reset_link(client, smtp))
    weak = await client.post(path, form={"password": "short"})
    assert weak.status == 400 and "Password must be at least 8 characters" in weak.text
    assert 'aria-invalid="true"' in weak.text
    assert (await client.post(path, form={"password": NEW_PASSWORD})).status == 303


async def test_the_login_page_links_to_forgot_password(client):
    login = await client.get("/login")
    assert 'href="/forgot-password"' in login.text
    form = await client.get("/forgot-password")
    assert form.status == 200 and 'name="email"' in form.text and 'for="email"' in form.text


async def test_an_invalid_address_is_named_and_nothing_is_sent(client, smtp, app):
    answer = await ask(client, "not an address")
    assert answer.status == 400 and answer.json()["issues"][0]["path"] == ["email"]
    page = await client.post("/forgot-password", form={"email": "not an address"})
    assert page.status == 400 and 'value="not an address"' in page.text
    assert await outbox_size(app) == 0


@pytest.fixture
def expiring(mail_settings):
    return {**mail_settings, "email_verification": "off", "password_reset_ttl_seconds": 1}


class TestExpiry:
    @pytest.fixture
    def settings_overrides(self, expiring):
        return expiring

    async def test_an_expired_link_is_refused(self, client, smtp):
        await signed_up(client)
        link = await reset_link(client, smtp)
        assert "for 1 second" in (await smtp.wait_for("ada@example.com"))[0].text
        await asyncio.sleep(1.1)  # past PASSWORD_RESET_TTL_SECONDS=1
        token = path_of(link).rsplit("/", 1)[1]
        answer = await client.post(
            "/api/auth/password-reset/confirm", json_body={"token": token, "password": NEW_PASSWORD}
        )
        assert (answer.status, answer.json()) == (400, INVALID_LINK)
        assert "This link does not work" in (await client.get(path_of(link))).text
        assert (await login_api(client.another())).status == 200  # the old password still works


class TestThrottle:
    @pytest.fixture
    def settings_overrides(self, mail_settings):
        return {**mail_settings, "password_reset_max_per_email": 2, "password_reset_max_per_address": 3}

    async def test_requests_are_throttled_per_email_and_per_address(self, client):
        for _ in range(2):
            assert (await ask(client, "ghost@example.com")).status == 202
        refused = await ask(client, "ghost@example.com")  # no account: counted all the same
        assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
        assert (await ask(client, "other@example.com")).status == 202  # the address's third
        assert (await ask(client, "third@example.com")).status == 429
        page = await client.post("/forgot-password", form={"email": "fourth@example.com"})
        assert page.status == 429 and "Too many attempts" in page.text
