"""Two-factor authentication in a real browser: set it up on /account (the QR code drawn on
the server, the key as text, a code computed by pyotp from that key), keep the recovery codes
shown once, sign out, then sign in with the password and a code (and once with a recovery
code); "Keep me signed in" carried through the second step. Both session modes, with and
without JavaScript. Every state of the two-factor pages passes axe-core and fits 375 px."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_up, unique_email
from tests.browser.test_pages_quality import axe_source, violations  # noqa: F401  (a fixture)


def code(secret: str, steps_ahead: int = 0) -> str:
    # a later step (inside the accepted window) than any code used before, so none is a replay
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def password_step(page, email: str, remember: bool = False) -> None:
    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if remember:
        page.get_by_label("Keep me signed in").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/verify?next=%2Faccount")


@pytest.mark.parametrize("javascript", [True, False])
def test_set_up_two_factor_then_sign_in_with_a_code(new_context, javascript):
    email = unique_email("careful")
    context = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_up(page, "Careful Person", email)

    page.goto("/account")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) == 32

    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#totp_confirm-code-error")).to_contain_text("not correct")

    page.get_by_label("Code from your app").fill(code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    recovery = [c.strip() for c in page.locator(".codes code").all_inner_texts()]
    assert len(recovery) == 10

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?signed_out=1")

    password_step(page, email, remember=True)
    assert not any(c["name"] == "session" for c in context.cookies())
    page.get_by_label("Code").fill("111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#code-error")).to_contain_text("4 attempts left")
    page.get_by_label("Code").fill(code(secret, 1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    session = next(c for c in context.cookies() if c["name"] == "session")
    assert session["expires"] > time.time() + 29 * 24 * 3600  # kept 30 days
    assert not any(c["name"] == "pending_login" for c in context.cookies())

    # a recovery code, without "Keep me signed in": a browser-session cookie
    page.get_by_role("button", name="Log out").click()
    password_step(page, email)
    page.get_by_label("Code").fill(recovery[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account")
    expect(page.get_by_text("9 of 10 recovery codes left")).to_be_visible()
    session = next(c for c in context.cookies() if c["name"] == "session")
    assert session["expires"] == -1  # ends with the browser


@pytest.mark.parametrize("width", [375, 1440])
def test_the_two_factor_pages_are_accessible_and_fit(new_context, axe_source, width):  # noqa: F811
    context = new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    email = unique_email("axe-2fa")
    sign_up(page, "Axe Person", email)
    found = {}

    def check(name: str) -> None:
        found[name] = violations(page, axe_source)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, overflow)

    page.goto("/account")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    check("set-up")
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    check("set-up (wrong code)")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from your app").fill(code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    check("recovery codes")
    page.goto("/account")
    check("on")
    page.get_by_role("button", name="Log out").click()
    password_step(page, email)
    check("second step")
    page.get_by_label("Code").fill("111111")
    page.get_by_role("button", name="Verify").click()
    check("second step (wrong code)")
    assert found == {name: [] for name in found}
