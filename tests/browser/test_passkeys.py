"""Passkeys in real Chromium, with its virtual authenticator (the DevTools protocol's WebAuthn
domain: CTAP2, internal transport, resident keys, user verification), against the real app
reached as http://localhost:PORT with APP_URL saying so: add a passkey on /account/passkeys,
log out, sign in with it from /login (no password), delete it, and see it no longer signs in;
with two-factor authentication on, confirm who you are with it on /reauth and finish a password
sign-in with it on /login/verify. Both session modes. Without JavaScript the password login and the account pages still work,
and no passkey button shows."""

from __future__ import annotations

import re

import pyotp
import pytest

from tests.browser.conftest import PASSWORD, sign_up, unique_email
from tests.browser.support import running_app


@pytest.fixture(scope="module", params=["database", "stateless"])
def server(request, tmp_path_factory):
    with running_app(tmp_path_factory.mktemp(f"passkeys-{request.param}"), request.param, localhost=True) as up:
        yield up


def virtual_authenticator(page):
    """A platform authenticator for this page: it creates discoverable credentials and verifies
    the user (as a fingerprint would) without asking."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")


def test_add_a_passkey_sign_out_sign_in_with_it_then_delete_it(page, server):
    email = unique_email("passkey")
    sign_up(page, "Ada Passkey", email)
    cdp, authenticator = virtual_authenticator(page)

    page.goto("/account")
    page.get_by_role("link", name="Manage your passkeys").click()
    page.wait_for_url("**/account/passkeys")
    page.locator("#new-passkey-name").fill("Virtual laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/account/passkeys?done=added")
    assert page.get_by_role("status").inner_text() == "Your passkey was added. You can sign in with it now."
    row = page.locator("tr[data-passkey-id]")
    assert row.count() == 1 and row.locator("input[name=name]").input_value() == "Virtual laptop"
    assert "never" in row.inner_text()
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["rpId"] == "localhost"

    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/dashboard")
    assert "Ada Passkey" in page.content()
    page.goto("/account/passkeys")
    assert "never" not in page.locator("tr[data-passkey-id]").inner_text()  # its last use shows

    # a second passkey on the same device is refused by the browser (excludeCredentials)
    page.locator("#new-passkey-name").fill("Again")
    page.get_by_role("button", name="Add a passkey").click()
    error = page.locator("#new-passkey-error")
    error.filter(has_text="already holds a passkey").wait_for()

    page.get_by_role("button", name="Delete Virtual laptop").click()
    page.wait_for_url("**/account/passkeys?done=delete")
    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    refusal = page.locator("[data-passkey-sign-in] [data-passkey-error]")
    refusal.filter(has_text="not registered here").wait_for()
    assert "/login" in page.url
    page.goto("/dashboard")
    page.wait_for_url("**/login?next=%2Fdashboard")  # still signed out


def test_sign_in_with_a_passkey_honours_next(page, server):
    email = unique_email("next")
    sign_up(page, "Next Person", email)
    virtual_authenticator(page)
    page.goto("/account/passkeys")
    page.locator("#new-passkey-name").fill("Key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/account/passkeys?done=added")
    log_out(page)
    page.goto("/login?next=/account")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/account")


def test_a_passkey_finishes_a_password_sign_in_as_the_second_factor(page, server):
    email = unique_email("second")
    sign_up(page, "Second Factor", email)
    virtual_authenticator(page)
    page.goto("/account#two-factor")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.locator("#recovery-title").wait_for()
    page.goto("/account/passkeys")
    page.locator("#new-passkey-name").fill("Laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/account/passkeys?done=added")
    page.goto("/reauth?next=/account/passkeys")  # "Confirm it's you": a code, or the passkey
    assert page.get_by_label("Or a code from your authenticator app").is_visible()
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"^[^?]*/account/passkeys$"))  # not /reauth?next=/account/passkeys
    log_out(page)

    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/verify**")
    assert page.get_by_label("Code").is_visible()  # the codes stay offered beside it
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"^[^?]*/account$"))  # not /login/verify?next=/account
    assert email in page.content()


def test_without_javascript_passwords_still_work_and_no_passkey_button_shows(new_context, server):
    page = new_context(java_script_enabled=False).new_page()
    email = unique_email("nojs")
    sign_up(page, "No Script", email)
    page.goto("/account/passkeys")
    assert not page.get_by_role("button", name="Add a passkey").is_visible()
    assert "Adding a passkey needs JavaScript" in page.content()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")
    assert not page.get_by_role("button", name="Sign in with a passkey").is_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


@pytest.mark.parametrize("width", [375, 1440])
def test_the_passkey_pages_are_accessible_and_fit(new_context, server, width):
    """axe-core finds nothing serious on /account/passkeys (a passkey listed, the add form
    shown) and on /login with its passkey button, and neither is wider than the screen."""
    from tests.browser.test_pages_quality import AXE, violations

    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/test does)")
    axe_source = AXE.read_text()
    page = new_context(viewport={"width": width, "height": 900}, bypass_csp=True).new_page()
    sign_up(page, "Axe Passkey", unique_email("axe"))
    virtual_authenticator(page)
    page.goto("/account/passkeys")
    page.locator("#new-passkey-name").fill("A rather long passkey name for a small screen")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/account/passkeys?done=added")
    found = {"/account/passkeys": violations(page, axe_source)}
    fits = {"/account/passkeys": page.evaluate("document.documentElement.scrollWidth - window.innerWidth")}
    log_out(page)
    page.get_by_role("button", name="Sign in with a passkey").wait_for()
    found["/login"] = violations(page, axe_source)
    fits["/login"] = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert found == {"/account/passkeys": [], "/login": []}
    assert all(overflow <= 0 for overflow in fits.values()), fits
