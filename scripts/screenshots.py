"""Regenerate the README's pictures: `.venv/bin/python scripts/screenshots.py`.

Starts the app on a throwaway demo database, signs up a few demo people (one made admin with
`python app.py promote`), and saves PNGs of the main pages at desktop (1440 px) and phone
(375 px) width into docs/screenshots/. Needs the test extra (Playwright) and Debian's chromium.
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
POSTS = [
    (
        "Notes on the Analytical Engine",
        "The engine *weaves algebraic patterns* just as the loom weaves flowers.",
        True,
    ),
    (
        "Pages are files",
        "Each page is a template and an async loader:\n\n- props\n- a redirect\n- or a 404",
        True,
    ),
    ("An unfinished thought", "Still a draft: only its author and admins can read it.", False),
]
DEMO = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
]


def sign_up(page, name: str, email: str) -> None:
    page.goto("/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/dashboard")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder)) as server:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            setup = browser.new_context(base_url=server.base)
            for name, email in reversed(DEMO):
                setup.clear_cookies()
                sign_up(setup.new_page(), name, email)
            server.promote("ada@example.com")
            writer = setup.new_page()  # Ada, the last to sign up, writes the demo posts
            for title, body, published in POSTS:
                writer.goto("/posts/new")
                writer.get_by_label("Title").fill(title)
                writer.get_by_label("Text").fill(body)
                if published:
                    writer.get_by_label("Published").check()
                writer.get_by_role("button", name="Save post").click()
                writer.wait_for_url("**/posts/*")
            admin_state = Path(folder) / "admin.json"
            setup.storage_state(path=str(admin_state))
            setup.close()

            for size, viewport in SIZES.items():
                visitor = browser.new_context(base_url=server.base, viewport=viewport).new_page()
                visitor.goto("/")
                visitor.screenshot(path=str(OUT / f"home-{size}.png"), full_page=True)
                visitor.goto("/login")
                visitor.get_by_label("Email").fill("ada@example.com")
                visitor.get_by_label("Password").fill("not the password")
                visitor.get_by_role("button", name="Log in").click()
                visitor.screenshot(path=str(OUT / f"login-{size}.png"), full_page=True)
                visitor.goto("/signup")
                visitor.screenshot(path=str(OUT / f"signup-{size}.png"), full_page=True)

                admin = browser.new_context(
                    base_url=server.base, viewport=viewport, storage_state=str(admin_state)
                )
                page = admin.new_page()
                for name in ("dashboard", "account", "admin", "posts"):
                    page.goto(f"/{name}")
                    page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=True)
                page.get_by_role("link", name="Pages are files").first.click()
                page.screenshot(path=str(OUT / f"post-{size}.png"), full_page=True)
            browser.close()
    print(f"saved {len(list(OUT.glob('*.png')))} screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
