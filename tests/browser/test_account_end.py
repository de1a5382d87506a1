"""Deleting an account in a real browser, through the re-authentication page: from /account's
"Delete account…" to "Confirm it's you" (a wrong password, then the right one), back to the
confirmation, and out: the browser lands on a page saying it is done, signed out, and the
account no longer logs in. Both session modes, with and without JavaScript.

The app runs as `python app.py`, whose clock a test cannot move: REAUTH_WINDOW_SECONDS is a few
seconds here, and the test goes on as soon as the window has run out (it asks the page until
it is sent to re-authenticate, bounded), never after a fixed wait.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, sign_up, unique_email
from tests.browser.support import running_app

WINDOW = 4  # seconds: long enough to go from "Confirm" to "Delete my account" on a busy machine


@pytest.fixture(scope="module", params=["database", "stateless"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"browser-end-{request.param}")
    with running_app(folder, request.param, REAUTH_WINDOW_SECONDS=str(WINDOW)) as running:
        yield running


def until_sent_to_reauth(page) -> None:
    """Open the confirmation until the window has run out and it sends the page to /reauth."""
    deadline = time.monotonic() + WINDOW + 10
    while True:
        page.goto("/account/delete")
        if "/reauth?" in page.url:
            return
        assert time.monotonic() < deadline, "the re-authentication window never ran out"
        page.wait_for_timeout(250)


@pytest.mark.parametrize("javascript", [True, False])
def test_delete_the_account_through_the_reauth_page(new_context, javascript):
    email = unique_email("leaving")
    page = new_context(java_script_enabled=javascript).new_page()
    sign_up(page, "Leaving Person", email)
    page.goto("/account")
    expect(page.get_by_role("link", name="Download your data")).to_have_attribute("href", "/api/me/export")
    page.get_by_role("link", name="Delete account…").click()
    page.wait_for_url("**/account/delete")  # just signed up: no need to confirm yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")

    until_sent_to_reauth(page)
    expect(page).to_have_url(re.compile(r"/reauth\?next=%2Faccount%2Fdelete$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#reauth-password-error")).to_have_text("The password is not correct.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account/delete")
    page.get_by_role("button", name="Delete my account").click()

    page.wait_for_url("**/goodbye")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account was deleted")
    assert not [c for c in page.context.cookies() if c["name"] == "session"]
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    log_in(page, email)
    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password")
