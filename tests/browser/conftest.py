"""Browser fixtures: the real app (`python app.py` on a fresh database migrated with
`alembic upgrade head`) in each session mode, and Debian's Chromium driven by Playwright.

Chromium missing is a failure, never a skip: the browser suite must run in CI.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest

from tests.browser.support import CHROMIUM, LAUNCH_ARGS, ROOT, running_app

SCREENSHOTS = ROOT / "test-output" / "screenshots"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=["database", "stateless"])
def server(request, tmp_path_factory):
    with running_app(tmp_path_factory.mktemp(f"browser-{request.param}"), request.param) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, server, request):
    """Open browser contexts (separate cookie jars) that are closed after the test."""
    contexts = request.node.contexts = []

    def make(**options):
        context = browser.new_context(base_url=server.base, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context(viewport={"width": 1280, "height": 900}).new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", item.nodeid)
        pages = [p for context in getattr(item, "contexts", []) for p in context.pages]
        for index, open_page in enumerate(pages):
            try:
                open_page.screenshot(path=str(SCREENSHOTS / f"{name}-{index}.png"), full_page=True)
            except Exception:  # a closed page: nothing to save
                pass
    return report


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.com"


def sign_up(page, name: str, email: str, password: str = PASSWORD) -> None:
    page.goto("/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/dashboard")


def log_in(page, email: str, password: str = PASSWORD, path: str = "/login") -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
