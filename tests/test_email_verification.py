"""Email verification: sign-up mails a link (EMAIL_VERIFICATION optional or required, not off),
opening it shows a button and consumes nothing, the button verifies; "send again" at most 3
times in 10 minutes; in required mode an unverified user is held back to "check your inbox"
everywhere but their account, the verification pages and logout, and the API answers 403.
Both session modes, on SQLite and PostgreSQL; the mail goes through a real SMTP server."""

import pytest

from tests.auth_helpers import login_api, me, signed_up
from tests.mail_helpers import all_delivered, path_of, scalar

pytestmark = pytest.mark.gen_test(timeout=60)

NOT_VERIFIED = {"error": "Email address not verified"}


@pytest.fixture
def settings_overrides(mail_settings):
    return mail_settings


@pytest.fixture
def app(real_app, mailer):
    return real_app


async def verification_link(smtp, email="ada@example.com", count=1) -> str:
    mails = await smtp.wait_for(email, count)
    assert mails[-1].subject == "Confirm your email address for Tornado Pages"
    return mails[-1].link("/verify-email/")


async def test_sign_up_mails_a_link_that_verifies_the_address(client, smtp, auth_settings, app):
    await signed_up(client)
    assert (await me(client)).json()["user"]["email_verified"] is False
    mail = (await smtp.wait_for("ada@example.com"))[0]
    assert mail.message["From"] == auth_settings.mail_from
    assert "Tornado Pages" in mail.text and "Tornado Pages" in mail.html
    link = mail.link("/verify-email/")
    assert link.startswith(auth_settings.app_url + "/verify-email/") and link in mail.html
    path = path_of(link)

    for _ in range(2):  # a mail scanner, then the person: the GET only shows the button
        page = await client.get(path)
        assert page.status == 200 and "Confirm my address" in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"
    assert (await me(client)).json()["user"]["email_verified"] is False

    done = await client.post(path)
    assert (done.status, done.headers["Location"]) == (303, "/dashboard?verified=1")
    assert (await me(client)).json()["user"]["email_verified"] is True
    assert "Your email address is confirmed." in (await client.get("/dashboard?verified=1")).text
    again = await client.post(path)
    assert again.status == 400 and "This link does not work" in again.text
    verified = await scalar(app, "SELECT count(*) FROM auth_events WHERE kind = 'email_verified'")
    assert verified == 1


async def test_the_api_verifies_with_the_token(client, smtp):
    await signed_up(client)
    token = path_of(await verification_link(smtp)).rsplit("/", 1)[1]
    signed_out = client.another()  # the link works in any browser, signed in or not
    answer = await signed_out.post("/api/auth/verify-email", json_body={"token": token})
    assert (answer.status, answer.json()) == (200, {"success": True})
    assert (await me(client)).json()["user"]["email_verified"] is True
    used = await signed_out.post("/api/auth/verify-email", json_body={"token": token})
    assert used.status == 400 and "invalid" in used.json()["error"]
    page = await client.another().post(path_of(await verification_link(smtp)))
    assert page.status == 400


async def test_a_signed_out_browser_confirming_goes_on_to_log_in(client, smtp):
    await signed_up(client)
    path = path_of(await verification_link(smtp))
    done = await client.another().post(path)
    assert (done.status, done.headers["Location"]) == (303, "/login?verified=1")
    assert "Your email address is confirmed" in (await client.another().get("/login?verified=1")).text


async def test_the_dashboard_and_account_offer_to_send_the_link_again(client, smtp):
    await signed_up(client)
    dashboard = await client.get("/dashboard")
    assert "Confirm your email address" in dashboard.text
    assert 'action="/verify-email"' in dashboard.text and "Send the link again" in dashboard.text
    account = await client.get("/account")
    assert "not confirmed" in account.text and 'value="resend"' in account.text
    sent = await client.post("/verify-email")
    assert (sent.status, sent.headers["Location"]) == (303, "/verify-email?sent=1")
    assert "We sent a new link" in (await client.get("/verify-email?sent=1")).text
    from_account = await client.post("/account", form={"intent": "resend"})
    assert (from_account.status, from_account.headers["Location"]) == (303, "/account?done=resend")
    # three mails; only the newest link works (a new link ends the older ones)
    mails = await smtp.wait_for("ada@example.com", 3)
    links = [mail.link("/verify-email/") for mail in mails]
    assert len(set(links)) == 3
    assert (await client.post(path_of(links[0]))).status == 400
    assert (await client.post(path_of(links[2]))).status == 303
    assert "Confirm your email address" not in (await client.get("/dashboard")).text
    assert "confirmed" in (await client.get("/account")).text
    refused = await client.post("/api/auth/verify-email/resend")
    assert refused.status == 400 and "verified already" in refused.json()["error"]


async def test_send_again_at_most_three_times_in_ten_minutes(client, smtp, app):
    await signed_up(client)
    for _ in range(3):
        answer = await client.post("/api/auth/verify-email/resend")
        assert (answer.status, answer.json()) == (202, {"success": True})
    refused = await client.post("/api/auth/verify-email/resend")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    page = await client.post("/verify-email")
    assert page.status == 429 and "Too many attempts" in page.text
    await smtp.wait_for("ada@example.com", 4)  # the sign-up's mail and three more
    await all_delivered(app)
    assert len(smtp.to("ada@example.com")) == 4


async def test_signed_out_visitors_cannot_ask_for_a_link(client):
    answer = await client.post("/api/auth/verify-email/resend")
    assert answer.status == 401
    page = await client.get("/verify-email")
    assert (page.status, page.headers["Location"]) == (307, "/login?next=%2Fverify-email")


async def test_a_bad_token_shows_that_the_link_does_not_work(client):
    for token in ("x" * 43, "short", "%00"):
        page = await client.get(f"/verify-email/{token}")
        assert page.status == 200 and "This link does not work" in page.text
        answer = await client.post("/api/auth/verify-email", json_body={"token": token})
        assert answer.status == 400


class TestOff:
    @pytest.fixture
    def settings_overrides(self, mail_settings):
        return {**mail_settings, "email_verification": "off"}

    async def test_no_mail_at_sign_up_and_no_notice(self, client, app):
        await signed_up(client)
        assert await scalar(app, "SELECT count(*) FROM outbox") == 0  # written with the account, if at all
        assert "Confirm your email address" not in (await client.get("/dashboard")).text
        refused = await client.post("/api/auth/verify-email/resend")
        assert refused.status == 400 and refused.json() == {"error": "Email verification is turned off."}
        assert (await client.get("/api/me")).status == 200


class TestRequired:
    @pytest.fixture
    def settings_overrides(self, mail_settings):
        return {**mail_settings, "email_verification": "required"}

    async def test_an_unverified_user_is_held_back_until_the_link_is_followed(self, client, smtp):
        await signed_up(client)  # signing up (and in) works
        assert (await login_api(client.another())).status == 200
        for path in ("/dashboard", "/", "/posts", "/posts/new", "/admin"):
            held = await client.get(path)
            assert (held.status, held.headers["Location"]) == (307, "/verify-email"), path
        posted = await client.post("/posts/new", form={"title": "x", "body": "y"})
        assert (posted.status, posted.headers["Location"]) == (303, "/verify-email")
        inbox = await client.get("/verify-email")
        assert inbox.status == 200 and "Check your inbox" in inbox.text and "ada@example.com" in inbox.text
        assert (await client.get("/account")).status == 200
        # the API: routes that need a user answer 403, public ones answer
        assert ((await me(client)).status, (await me(client)).json()) == (403, NOT_VERIFIED)
        created = await client.post("/api/posts", json_body={"title": "t", "body": "b", "published": True})
        assert (created.status, created.json()) == (403, NOT_VERIFIED)
        assert (await client.get("/api/posts")).status == 200
        assert (await client.post("/api/auth/verify-email/resend")).status == 202
        # following the (newest) link lets the user in
        link = await verification_link(smtp, count=2)
        assert (await client.get(path_of(link))).status == 200
        assert (await client.post(path_of(link))).status == 303
        assert (await client.get("/dashboard")).status == 200
        assert (await me(client)).json()["user"]["email_verified"] is True

    async def test_logging_out_is_never_held_back(self, client):
        await signed_up(client)
        out = await client.post("/logout")
        assert (out.status, out.headers["Location"]) == (303, "/login?signed_out=1")
        assert (await me(client)).status == 401
        assert (await client.get("/")).status == 200  # signed out: nothing is held back
