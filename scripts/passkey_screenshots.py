"""The README's picture of the passkey list: `.venv/bin/python scripts/passkey_screenshots.py`.

Starts the app as http://localhost:PORT (APP_URL too: WebAuthn takes no IP address) on a
throwaway database, signs up a demo person, adds two passkeys with Chromium's virtual
authenticator, signs in with one (so it shows a last use), and saves
docs/screenshots/passkeys-desktop.png and passkeys-phone.png. (A file of its own beside
scripts/screenshots.py, which does the other pages.)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.support import CHROMIUM, LAUNCH_ARGS, ROOT, running_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 375, "height": 812}}
PASSWORD = "correct horse battery"


def add_authenticator(page):  # noqa: ANN201
    """A platform authenticator on this page; returns (the DevTools session, its id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    return cdp, cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def add_passkey(page, name: str) -> None:
    page.goto("/account/passkeys")
    page.locator("#new-passkey-name").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/account/passkeys?done=added")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder), localhost=True) as server:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            context = browser.new_context(base_url=server.base, viewport=SIZES["desktop"])
            page = context.new_page()
            page.goto("/signup")
            page.get_by_label("Name").fill("Ada Lovelace")
            page.get_by_label("Email").fill("ada@example.com")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign up").click()
            page.wait_for_url("**/dashboard")
            cdp, first = add_authenticator(page)
            add_passkey(page, "MacBook (Touch ID)")
            page.get_by_role("button", name="Log out").click()
            page.wait_for_url("**/login**")
            page.get_by_role("button", name="Sign in with a passkey").click()
            page.wait_for_url("**/dashboard")
            cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first})
            add_authenticator(page)  # another device
            add_passkey(page, "Phone")
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                page.goto("/account/passkeys")
                page.screenshot(path=str(OUT / f"passkeys-{size}.png"), full_page=True)
            browser.close()


if __name__ == "__main__":
    main()
