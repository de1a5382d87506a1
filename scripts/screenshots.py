"""Regenerate the README's pictures: `.venv/bin/python scripts/screenshots.py`.

Starts the app on a throwaway demo database, signs up a few demo people (one made admin with
`python app.py promote`, with a picture and sessions on three devices), writes posts (one with
headings and a table, one a draft), and saves PNGs of the main pages at desktop (1440 px) and
phone (375 px) width into docs/screenshots/: forms shown with their errors, the notice after
logging out and after saving a post, the mail pages (forgot password, a reset link, an address
confirmed; the app's mail goes to a real SMTP server on 127.0.0.1 run by this script), and a
live page's sequence (one person's /posts updating as another publishes), and two-factor
authentication: its set-up with the QR code, the recovery codes, and the sign-in's second step
(codes computed with pyotp from the key the page shows). Needs the test extra (Playwright) and
Debian's chromium. The passkey list comes from scripts/passkey_screenshots.py (it needs the app
on localhost and Chromium's virtual authenticator).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.support import CHROMIUM, LAUNCH_ARGS, ROOT, running_app  # noqa: E402
from tests.mail_helpers import SmtpServer  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 375, "height": 812}}
PASSWORD = "correct horse battery"
ADA = "ada.lovelace@analyticalengine.example.org"  # long enough to wrap on a phone
POSTS = [
    (
        "Notes on the Analytical Engine",
        "The engine *weaves algebraic patterns* just as the loom weaves flowers.",
        True,
    ),
    (
        "Pages are files",
        "Each page is a template and an async loader.\n\n"
        "# What a loader returns\n\n"
        "| the loader returns | the visitor gets |\n|---|---|\n"
        "| `props` | the template, rendered with them |\n| `redirect` | sent on |\n"
        "| `not_found` | the 404 page |\n\n"
        "## And without a loader\n\nA template alone is a page too.",
        True,
    ),
    ("An unfinished thought", "Still a draft: only its author and admins can read it.", False),
]
DEMO = [
    ("Ada Lovelace", ADA),
    ("Grace Hopper", "grace.hopper@example.com"),
    ("Alan Turing", "alan@example.com"),
]
# the devices Ada is signed in on, and the addresses they come from (X-Forwarded-For, believed
# from 127.0.0.1 here)
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
OTHER_DEVICES = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "2001:db8:85a3:1234:5678:8a2e:370:7334",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "203.0.113.24",
    ),
]


def sign_up(page, name: str, email: str) -> None:
    page.goto("/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/dashboard")


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def portrait(browser) -> bytes:
    """Ada's picture: a PNG drawn by the browser itself (nothing fetched from anywhere)."""
    page = browser.new_page(viewport={"width": 160, "height": 160})
    page.set_content(
        '<body style="margin:0"><div style="width:160px;height:160px;display:grid;place-items:center;'
        'background:linear-gradient(135deg,#6d4ab8,#1f5fbf);color:#fff;font:700 72px system-ui">AL</div>'
    )
    png = page.screenshot()
    page.close()
    return png


def set_up(browser, server, folder: Path) -> Path:
    """The demo's people, Ada's picture, sessions and posts; returns Ada's saved cookies."""
    for name, email in reversed(DEMO[1:]):
        context = browser.new_context(base_url=server.base, user_agent=CHROME_LINUX)
        sign_up(context.new_page(), name, email)
        context.close()
    ada = browser.new_context(base_url=server.base, user_agent=CHROME_LINUX)
    page = ada.new_page()
    sign_up(page, *DEMO[0])  # the last to sign up: the first row of the audit log's sign-ups
    server.promote(ADA)
    page.goto("/account")
    page.get_by_label("Choose an image").set_input_files(
        {"name": "ada.png", "mimeType": "image/png", "buffer": portrait(browser)}
    )
    page.get_by_role("button", name="Upload picture").click()
    page.wait_for_url("**/account?done=avatar")
    for title, body, published in POSTS:
        page.goto("/posts/new")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Text").fill(body)
        if published:
            page.get_by_label("Published").check()
        page.get_by_role("button", name="Save post").click()
        page.wait_for_url("**/posts/*")
    for agent, address in OTHER_DEVICES:
        device = browser.new_context(
            base_url=server.base, user_agent=agent, extra_http_headers={"X-Forwarded-For": address}
        )
        log_in(device.new_page(), ADA)
        device.close()
    state = folder / "ada.json"
    ada.storage_state(path=str(state))
    ada.close()
    return state


def shoot(page, name: str, size: str) -> None:
    page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=True)


def mail_pages(browser, server, smtp: SmtpServer, viewport: dict, size: str) -> None:
    """Forgot password (sent), the reset link's form with a mistake, an address confirmed."""
    email = f"grace.{size}@example.com"
    visitor = browser.new_context(base_url=server.base, viewport=viewport)
    page = visitor.new_page()
    sign_up(page, "Grace Hopper", email)
    verify = smtp.wait_for_blocking(email, 1)[0].link("/verify-email/")
    page.goto(verify)
    shoot(page, "verify-email", size)
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url("**/dashboard?verified=1")
    page.get_by_role("button", name="Log out").click()
    page.goto("/forgot-password")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/forgot-password?sent=1")
    shoot(page, "forgot-password", size)
    page.goto(smtp.wait_for_blocking(email, 2)[-1].link("/reset-password/"))
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Set new password").click()
    page.locator("#password-error").wait_for()
    shoot(page, "reset-password", size)
    visitor.close()


def two_factor(browser, server, viewport: dict, size: str) -> None:
    """Set-up (QR code and key), the recovery codes shown once, the sign-in's second step."""
    email = f"katherine.{size}@example.com"
    context = browser.new_context(base_url=server.base, viewport=viewport)
    page = context.new_page()
    sign_up(page, "Katherine Johnson", email)
    page.goto("/account#two-factor")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    page.locator("#totp-secret").wait_for()
    page.locator("#two-factor").scroll_into_view_if_needed()
    page.locator("#two-factor").screenshot(path=str(OUT / f"two-factor-setup-{size}.png"))
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.locator("#recovery-title").wait_for()
    page.locator("#two-factor").screenshot(path=str(OUT / f"recovery-codes-{size}.png"))
    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/verify*")
    page.get_by_label("Code").fill("000000")  # a wrong code first: the page says how many are left
    page.get_by_role("button", name="Verify").click()
    page.locator("#code-error").wait_for()
    shoot(page, "login-verify", size)
    context.close()


def live_sequence(browser, server, ada_state: Path) -> None:
    """Three frames of a reader's /posts while Ada publishes, then retitles, a post."""
    reader = browser.new_context(base_url=server.base, viewport=SIZES["desktop"]).new_page()
    reader.goto("/posts")
    reader.wait_for_function("document.querySelector('#live-announcer') !== null")
    shoot(reader, "live-1", "desktop")
    ada = browser.new_context(base_url=server.base, storage_state=str(ada_state))
    writer = ada.new_page()
    writer.goto("/posts/new")
    writer.get_by_label("Title").fill("Live pages")
    writer.get_by_label("Text").fill("Open pages update by themselves when what they show changes.")
    writer.get_by_label("Published").check()
    writer.get_by_role("button", name="Save post").click()
    writer.wait_for_url("**/posts/*")
    reader.get_by_role("link", name="Live pages").wait_for()
    shoot(reader, "live-2", "desktop")
    writer.get_by_role("link", name="Edit").click()
    writer.get_by_label("Title").fill("Live pages, retitled")
    writer.get_by_role("button", name="Save changes").click()
    writer.wait_for_url("**/posts/*?saved=1")
    reader.get_by_role("link", name="Live pages, retitled").wait_for()
    shoot(reader, "live-3", "desktop")
    ada.close()
    reader.context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    smtp = SmtpServer()
    smtp.start()
    with (
        tempfile.TemporaryDirectory() as folder,
        running_app(
            Path(folder), TRUSTED_PROXIES="127.0.0.1", MAIL_URL=smtp.url, MAIL_POLL_SECONDS="0.1"
        ) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        ada_state = set_up(browser, server, Path(folder))
        for size, viewport in SIZES.items():
            visitor = browser.new_context(base_url=server.base, viewport=viewport).new_page()
            visitor.goto("/")
            shoot(visitor, "home", size)
            log_in(visitor, ADA, "not the password")
            shoot(visitor, "login", size)
            visitor.goto("/signup")  # a form sent with mistakes: each field marked, said once
            visitor.get_by_label("Name").fill("Grace")
            visitor.get_by_label("Email").fill("grace@")
            visitor.get_by_label("Password").fill("short")
            visitor.get_by_role("button", name="Sign up").click()
            shoot(visitor, "signup", size)
            log_in(visitor, "alan@example.com")
            visitor.get_by_role("button", name="Log out").click()
            visitor.wait_for_url("**/login?signed_out=1")
            shoot(visitor, "signed-out", size)

            admin = browser.new_context(
                base_url=server.base, viewport=viewport, storage_state=str(ada_state), user_agent=CHROME_LINUX
            )
            page = admin.new_page()
            for name in ("dashboard", "account", "admin", "posts"):
                page.goto(f"/{name}")
                shoot(page, name, size)
            page.get_by_role("link", name="Pages are files").first.click()
            page.get_by_role("link", name="Edit").click()
            page.get_by_role("button", name="Save changes").click()  # saved: the page says so
            page.wait_for_url("**/posts/*?saved=1")
            shoot(page, "post", size)
            admin.close()
            mail_pages(browser, server, smtp, viewport, size)
            two_factor(browser, server, viewport, size)
        live_sequence(browser, server, ada_state)
        browser.close()
    smtp.stop()
    print(f"saved {len(list(OUT.glob('*.png')))} screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
