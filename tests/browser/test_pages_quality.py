"""Pages worth using: no serious or critical accessibility violations (axe-core), a title and
a language on every page, a layout that fits 375 px and 1440 px, and nothing from another host."""

import pytest

from tests.browser.conftest import sign_up, unique_email
from tests.dbutil import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/",
    "/signup",
    "/login",
    "/dashboard",
    "/account",
    "/admin",
    "/posts",
    "/posts/new",
    "/forgot-password",
    "/verify-email",
]
WIDTHS = [375, 1440]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/test does)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def admin_state(browser, server, tmp_path_factory):
    """A signed-in admin's cookies, so every page can be visited."""
    context = browser.new_context(base_url=server.base)
    page = context.new_page()
    email = unique_email("axe")
    sign_up(page, "Axe Admin", email)
    server.promote(email)
    path = tmp_path_factory.mktemp("state") / "admin.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


def violations(page, axe_source):
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violations(new_context, admin_state, axe_source, width):
    # bypass_csp: the app's CSP (rightly) refuses the injected axe script; CSP is tested elsewhere
    viewport = {"width": width, "height": 900}
    signed_in = new_context(storage_state=admin_state, viewport=viewport, bypass_csp=True).new_page()
    signed_out = new_context(viewport=viewport, bypass_csp=True).new_page()
    found = {}
    for path in PAGES:
        page = signed_out if path in ("/signup", "/login") else signed_in
        response = page.goto(path)
        assert response.status == 200, path
        found[path] = violations(page, axe_source)
    # a form shown with its errors must pass too
    signed_out.goto("/signup")
    signed_out.get_by_role("button", name="Sign up").click()
    found["/signup (errors)"] = violations(signed_out, axe_source)
    assert found == {path: [] for path in found}


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_a_title_a_language_and_fits_the_width(new_context, admin_state, width):
    page = new_context(storage_state=admin_state, viewport={"width": width, "height": 800}).new_page()
    for path in PAGES:
        page.goto(path if path not in ("/signup", "/login") else "/")
        assert page.title().strip(), path
        assert page.evaluate("document.documentElement.lang") == "en"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than {width}px"


def test_nothing_loads_from_another_host(new_context, admin_state, server):
    page = new_context(storage_state=admin_state).new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in PAGES:
        page.goto(path if path not in ("/signup", "/login") else "/")
    page.context.clear_cookies()
    for path in ("/signup", "/login"):
        page.goto(path)
    assert requested
    assert [url for url in requested if not url.startswith(server.base + "/")] == []
