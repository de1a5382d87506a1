"""Email change: asked for on /account (or POST /api/me/email) with the current password, a
link goes to the new address and a notice to the old one; the address changes only when the
link is followed, and only if no account has taken it meanwhile: an email change racing a
sign-up for the same address leaves one winner and a 409. Both session modes, on SQLite and
PostgreSQL, with the mail read from a real SMTP server."""

import asyncio

import pytest

from tests.auth_helpers import PASSWORD, login_api, me, signed_up, signup_api
from tests.mail_helpers import path_of, scalar

pytestmark = pytest.mark.gen_test(timeout=90)


@pytest.fixture
def settings_overrides(mail_settings):
    return {**mail_settings, "email_verification": "off"}  # the only mails: the change's


@pytest.fixture
def app(real_app, mailer):
    return real_app


async def change_link(smtp, new_email: str, count: int = 1) -> str:
    mails = await smtp.wait_for(new_email, count)
    assert mails[-1].subject == "Confirm your new email address for Tornado Pages"
    return mails[-1].link("/verify-email/")


async def test_the_address_changes_when_the_new_one_is_confirmed(client, smtp, app):
    await signed_up(client)
    wrong = await client.post(
        "/account", form={"intent": "email", "email": "ada@new.example", "current_password": "not it"}
    )
    assert wrong.status == 400 and "The current password is not correct" in wrong.text
    assert 'value="ada@new.example"' in wrong.text  # what was typed is kept
    asked = await client.post(
        "/account", form={"intent": "email", "email": "Ada@New.Example", "current_password": PASSWORD}
    )
    assert (asked.status, asked.headers["Location"]) == (303, "/account?done=email")
    account = await client.get("/account?done=email")
    assert "We sent a link to your new address" in account.text and "ada@new.example" in account.text.replace("<wbr>", "")  # addresses may break after @

    notice = (await smtp.wait_for("ada@example.com"))[0]
    assert (
        notice.subject == "Your Tornado Pages address is being changed" and "ada@new.example" in notice.text
    )
    path = path_of(await change_link(smtp, "ada@new.example"))
    assert (await me(client)).json()["user"]["email"] == "ada@example.com"  # nothing changed yet

    page = await client.get(path)
    assert page.status == 200 and "Confirm my new address" in page.text
    assert (await me(client)).json()["user"]["email"] == "ada@example.com"
    assert (await client.post(path)).status == 303
    user = (await me(client)).json()["user"]
    assert (user["email"], user["email_verified"]) == ("ada@new.example", True)
    assert (await login_api(client.another(), email="ada@new.example")).status == 200
    assert (await login_api(client.another(), email="ada@example.com")).status == 401
    assert (await client.post(path)).status == 400  # used
    kinds = await scalar(
        app,
        "SELECT count(*) FROM auth_events WHERE kind IN ('email_change_requested', 'email_changed') AND user_id = 1",
    )
    assert kinds == 2


async def test_the_api_asks_for_the_change(client, smtp):
    await signed_up(client)
    await signed_up(client.another(), name="Bob", email="bob@example.com")
    url = "/api/me/email"
    wrong = await client.post(url, json_body={"email": "ada@new.example", "current_password": "nope"})
    assert wrong.status == 400 and wrong.json()["issues"][0]["path"] == ["current_password"]
    same = await client.post(url, json_body={"email": "ADA@example.com", "current_password": PASSWORD})
    assert same.status == 400 and same.json()["issues"][0]["path"] == ["email"]
    taken = await client.post(url, json_body={"email": "bob@example.com", "current_password": PASSWORD})
    assert (taken.status, taken.json()["error"]) == (409, "Email already registered")
    invalid = await client.post(url, json_body={"email": "nope", "current_password": PASSWORD})
    assert invalid.status == 400 and invalid.json()["issues"][0]["path"] == ["email"]
    form = await client.post(url, form={"email": "ada@new.example", "current_password": PASSWORD})
    assert form.status == 415
    asked = await client.post(url, json_body={"email": "ada@new.example", "current_password": PASSWORD})
    assert (asked.status, asked.json()) == (202, {"success": True})
    token = path_of(await change_link(smtp, "ada@new.example")).rsplit("/", 1)[1]
    done = await client.another().post("/api/auth/verify-email", json_body={"token": token})
    assert done.status == 200
    assert (await me(client)).json()["user"]["email"] == "ada@new.example"
    assert (await client.another().post(url, json_body={})).status == 401


async def test_a_change_racing_a_sign_up_for_the_address_leaves_one_winner(client, smtp, crowd, app):
    await signed_up(client)
    for round_ in range(4):
        address = f"wanted{round_}@example.com"
        asked = await client.post("/api/me/email", json_body={"email": address, "current_password": PASSWORD})
        assert asked.status == 202
        link = await change_link(smtp, address)
        confirmer, newcomer = client.another(), client.another()
        confirmer.http = newcomer.http = crowd  # each on its own TCP connection, at once
        confirm, signup = await asyncio.gather(
            confirmer.post("/api/auth/verify-email", json_body={"token": path_of(link).rsplit("/", 1)[1]}),
            signup_api(newcomer, name="Newcomer", email=address),
        )
        owner = (await me(client)).json()["user"]["email"]
        if confirm.status == 200:
            assert owner == address
            assert (signup.status, signup.json()["error"]) == (409, "Email already registered")
        else:
            assert signup.status == 201 and owner != address
            assert (confirm.status, confirm.json()) == (409, {"error": "Email already registered"})
            page = await client.post(path_of(link))  # the page says so too
            assert page.status == 409 and "now belongs to another account" in page.text
        holders = await scalar(
            app, "SELECT count(*) FROM users WHERE lower(email) = :address", address=address
        )
        assert holders == 1


async def test_after_a_change_the_old_address_cannot_reset_the_password(client, smtp):
    await signed_up(client)
    assert (
        await client.post("/api/auth/password-reset", json_body={"email": "ada@example.com"})
    ).status == 202
    reset = (await smtp.wait_for("ada@example.com", 1))[0].link("/reset-password/")
    await client.post("/api/me/email", json_body={"email": "ada@new.example", "current_password": PASSWORD})
    assert (await client.post(path_of(await change_link(smtp, "ada@new.example")))).status == 303
    refused = await client.post(path_of(reset), form={"password": "a new password here"})
    assert refused.status == 400 and "This link is invalid, used or expired" in refused.text


async def test_a_newer_change_ends_the_older_link(client, smtp):
    await signed_up(client)
    for address in ("first@example.com", "second@example.com"):
        await client.post("/api/me/email", json_body={"email": address, "current_password": PASSWORD})
    first = await change_link(smtp, "first@example.com")
    second = await change_link(smtp, "second@example.com")
    assert (await client.post(path_of(first))).status == 400
    assert (await client.post(path_of(second))).status == 303
    assert (await me(client)).json()["user"]["email"] == "second@example.com"


class TestRequired:
    @pytest.fixture
    def settings_overrides(self, mail_settings):
        return {**mail_settings, "email_verification": "required"}

    async def test_a_held_back_user_can_correct_a_mistyped_address(self, client, smtp):
        await signed_up(client, email="ada@exmaple.com")
        assert (await client.get("/dashboard")).status == 307
        asked = await client.post(
            "/api/me/email", json_body={"email": "ada@example.com", "current_password": PASSWORD}
        )
        assert asked.status == 202
        assert (await client.post(path_of(await change_link(smtp, "ada@example.com")))).status == 303
        assert (await client.get("/dashboard")).status == 200  # the new address is verified
