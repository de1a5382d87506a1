"""What only a browser shows: invalid fields visibly marked, long emails and IPv6 addresses
wrapping at sensible points on a phone, the nav's name coloured and aligned like its
neighbours, the picture controls in one aligned column, no empty labels in the stacked audit
log, and space after a table in a post. Measured from the rendered page (computed styles and
the boxes of the text), in Debian's Chromium. The session mode changes none of it: one server."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_up, unique_email
from tests.browser.support import running_app
from tests.images import tiny_png

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1440, "height": 900}
IPV6 = "2001:db8:85a3:1234:5678:8a2e:370:7334"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"

# the lines an element's text is laid out in, as the reader sees them
LINES = """(element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const lines = [];
  let top = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (!box) continue;
      if (top === null || box.top > top + 2) lines.push("");
      top = box.top;
      lines[lines.length - 1] += node.data[i];
    }
  }
  return lines;
}"""
# the box of an element's text alone (not its padding or a picture beside it)
TEXT_BOX = """(element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const boxes = [...range.getClientRects()].filter((b) => b.width > 0 && b.height > 0 && b.height < 40);
  const text = boxes[boxes.length - 1];
  return {top: text.top, bottom: text.bottom};
}"""
BOX = "(element) => { const b = element.getBoundingClientRect(); return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # X-Forwarded-For from 127.0.0.1 is believed: a browser here can come from an IPv6 address
    with running_app(tmp_path_factory.mktemp("browser-polish"), TRUSTED_PROXIES="127.0.0.1") as running:
        yield running


def style(locator, prop: str) -> str:
    return locator.evaluate(f"(e) => getComputedStyle(e).getPropertyValue('{prop}')")


def test_an_invalid_field_is_visibly_marked(page):
    page.goto("/signup")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(unique_email("marked"))
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("Please correct the highlighted field.")
    invalid, valid = page.locator("#password"), page.locator("#email")
    expect(invalid).to_have_attribute("aria-invalid", "true")
    danger = "rgb(180, 35, 24)"  # --danger
    assert style(invalid, "border-top-color") == danger
    assert danger in style(invalid, "box-shadow")
    assert style(valid, "border-top-color") != danger and style(valid, "box-shadow") == "none"


def test_a_long_email_breaks_after_the_at_or_before_a_dot_on_a_phone(new_context, server):
    email = f"ada.augusta.lovelace.king{uuid.uuid4().hex[:6]}@analyticalengine.example.org"
    page = new_context(viewport=PHONE).new_page()
    sign_up(page, "Ada King", email)
    server.promote(email)
    for path in ("/dashboard", "/admin"):
        page.goto(path)
        element = (
            page.locator("#user-email")
            if path == "/dashboard"
            else page.locator("table.users tr", has_text=email).locator('td[data-label="Email"]')
        )
        lines = element.evaluate(LINES)
        assert "".join(lines) == email and len(lines) > 1, (path, lines)
        for before, after in zip(lines, lines[1:], strict=False):
            assert before.endswith("@") or after.startswith("."), (path, lines)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path


def test_the_nav_name_is_a_link_like_the_others_and_on_their_line(new_context):
    page = new_context(viewport=DESKTOP).new_page()
    sign_up(page, "Nav Person", unique_email("nav"))
    page.goto("/account")
    page.get_by_label("Choose an image").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": tiny_png()}
    )
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_role("status")).to_have_text("Your picture was saved.")
    page.goto("/posts")  # a page where no nav item is the current one
    nav = page.get_by_role("navigation", name="Main")
    name, home = nav.get_by_role("link", name="Nav Person"), nav.get_by_role("link", name="Home")
    expect(name.locator("img.avatar")).to_be_visible()
    assert style(name, "color") == style(home, "color")
    name_text, home_text = name.evaluate(TEXT_BOX), home.evaluate(TEXT_BOX)
    assert (
        abs(name_text["top"] - home_text["top"]) <= 1 and abs(name_text["bottom"] - home_text["bottom"]) <= 1
    )
    picture = name.locator("img.avatar").evaluate(BOX)
    assert picture["bottom"] - picture["top"] <= 28  # the picture does not make the bar taller


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "375"])
def test_the_picture_controls_line_up(new_context, viewport):
    page = new_context(viewport=viewport).new_page()
    sign_up(page, "Picture Person", unique_email("picture"))
    page.goto("/account")
    page.get_by_label("Choose an image").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": tiny_png()}
    )
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_role("status")).to_have_text("Your picture was saved.")
    card = page.locator("section", has=page.get_by_role("heading", name="Picture"))
    picture = card.get_by_role("img", name="Your current picture").evaluate(BOX)
    label = card.get_by_text("Choose an image").evaluate(BOX)
    chooser = card.get_by_label("Choose an image").evaluate(BOX)
    upload = card.get_by_role("button", name="Upload picture").evaluate(BOX)
    remove = card.get_by_role("button", name="Remove picture").evaluate(BOX)
    # one column: label, file chooser and the first button start at the same left edge
    assert abs(label["left"] - chooser["left"]) <= 1 and abs(label["left"] - upload["left"]) <= 1
    if viewport is DESKTOP:
        # the picture beside the column, level with the label, with room; the buttons on one row
        assert label["left"] - picture["right"] >= 16 and abs(picture["top"] - label["top"]) <= 4
        assert abs(upload["top"] - remove["top"]) <= 1 and remove["left"] - upload["right"] >= 8
    else:
        # the picture above the column, with room; the buttons one above the other, as wide
        assert label["top"] - picture["bottom"] >= 12
        assert (remove["left"], remove["right"]) == (upload["left"], upload["right"])
        assert remove["top"] - upload["bottom"] >= 8
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.get_by_role("button", name="Remove picture").click()
    expect(page.get_by_role("status")).to_have_text("Your picture was removed.")


def test_session_addresses_stay_whole(new_context):
    email = unique_email("whole")
    first = new_context(viewport=DESKTOP).new_page()
    sign_up(first, "Whole Address", email)
    phone = new_context(
        viewport=PHONE, user_agent=FIREFOX_WINDOWS, extra_http_headers={"X-Forwarded-For": IPV6}
    ).new_page()
    phone.goto("/login")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url("**/dashboard")
    for page in (first, phone):
        page.goto("/account")
        cells = page.locator('table.sessions td[data-label="Address"]')
        expect(cells).to_have_count(2)
        lines = {" | ".join(lines) for lines in (cells.nth(i).evaluate(LINES) for i in range(2))}
        if page is first:  # at 1440 px each address keeps to one line
            assert lines == {"127.0.0.1", IPV6}
        else:  # on a phone an IPv6 address may break after a colon, never inside a group
            assert "127.0.0.1" in lines
            [v6] = lines - {"127.0.0.1"}
            assert v6.replace(" | ", "") == IPV6
            assert all(part.endswith(":") for part in v6.split(" | ")[:-1]), v6
        device = page.locator("table.sessions tr", has_text=IPV6).locator('td[data-label="Device"]')
        expect(device).to_contain_text("Firefox on Windows")


def test_no_empty_labels_in_the_audit_log_on_a_phone(new_context, server):
    email = unique_email("audit")
    page = new_context(viewport=PHONE).new_page()
    sign_up(page, "Audit Person", email)
    server.promote(email)
    page.goto("/admin")
    shown = page.locator("table.events td").evaluate_all(
        """(cells) => cells
            .filter((c) => getComputedStyle(c).display !== "none")
            .map((c) => [c.dataset.label || null, c.textContent.trim()])"""
    )
    labelled = [(label, text) for label, text in shown if label is not None]
    assert labelled and all(text for _, text in labelled), labelled  # no "Detail:" with nothing after it
    assert ("Detail", "to admin by the command line") in labelled
    assert len(labelled) < len(page.locator("table.events td").all())  # empty cells are hidden


def test_a_table_in_a_post_keeps_its_distance_from_what_follows(new_context):
    page = new_context(viewport=DESKTOP).new_page()
    sign_up(page, "Table Writer", unique_email("table"))
    page.goto("/posts/new")
    page.get_by_label("Title").fill("With a table")
    page.get_by_label("Text").fill("# Results\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter the table.")
    page.get_by_role("button", name="Save post").click()
    expect(page.get_by_role("status")).to_have_text("The post was saved as a draft.")
    expect(page.locator(".post-body h2")).to_have_text("Results")
    expect(page.locator("h1")).to_have_count(1)
    table = page.locator(".post-body table").evaluate(BOX)
    after = page.get_by_text("After the table.").evaluate(BOX)
    assert after["top"] - table["bottom"] >= 12
