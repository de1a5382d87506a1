"""Forgot your password, in a real browser: from the login page's link to a new password,
the reset link read from the mail the app sent to a real SMTP server (aiosmtpd on 127.0.0.1),
and the other browser's session gone. Both session modes, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, sign_up, unique_email
from tests.browser.support import running_app
from tests.mail_helpers import SmtpServer

NEW_PASSWORD = "a fresh new password"
RESET_SUBJECT = "Reset your Tornado Pages password"


@pytest.fixture(scope="module")
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["database", "stateless"])
def server(request, tmp_path_factory, smtp_server):
    """The app with its mail going to the test's SMTP server (this module's own server: the
    browser fixtures of conftest.py use it)."""
    folder = tmp_path_factory.mktemp(f"browser-mail-{request.param}")
    with running_app(folder, request.param, MAIL_URL=smtp_server.url, MAIL_POLL_SECONDS="0.1") as running:
        yield running


def reset_link(smtp_server, email: str) -> str:
    """The link in the reset mail to email (the sign-up's verification mail comes first)."""
    smtp_server.wait_for_blocking(email, 2)
    mails = [mail for mail in smtp_server.to(email) if mail.subject == RESET_SUBJECT]
    assert len(mails) == 1, [mail.subject for mail in smtp_server.to(email)]
    return mails[0].link("/reset-password/")


@pytest.mark.parametrize("javascript", [True, False])
def test_forgot_password_from_the_login_page_to_a_new_password(new_context, smtp_server, server, javascript):
    email = unique_email("forgetful")
    elsewhere = new_context().new_page()  # the person is still signed in on another device
    sign_up(elsewhere, "Forgetful Person", email)

    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/forgot-password")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/forgot-password?sent=1")
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")

    link = reset_link(smtp_server, email)
    assert link.startswith(server.base + "/reset-password/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#password-error")).to_have_text("Password must be at least 8 characters.")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url("**/login?reset=1")
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")

    log_in(page, email, PASSWORD)  # the old password no longer works
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    log_in(page, email, NEW_PASSWORD)
    page.wait_for_url("**/dashboard")
    expect(page.locator("#user-email")).to_have_text(email)

    elsewhere.goto("/dashboard")  # every other session ended with the reset
    expect(elsewhere).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    page.goto(link)  # the link worked once
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
