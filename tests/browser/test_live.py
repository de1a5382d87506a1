"""Live pages in real Chromium, in both session modes: two people in two browser contexts;
what one publishes appears on the other's /posts within 2 seconds with no reload, a draft
never does; an edit updates /posts/<id>, a deletion shows the not-found page; focus, scroll
and a polite announcement; logging out in one tab closes the other tab's socket; with
JavaScript off the pages are as they were."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_up, unique_email

LIVE = 2000  # ms: the promise for a change to reach another person's page


def write(page, title: str, published: bool = True, body: str = "Written *live*.") -> str:
    """Write a post through the form; returns its URL."""
    page.goto("/posts/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Text").fill(body)
    if published:
        page.get_by_label("Published").check()
    page.get_by_role("button", name="Save post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url


def open_live(page, path: str):
    """Go to a live page and wait for its socket to open; returns the WebSocket."""
    with page.expect_websocket(lambda ws: "/_live?page=" in ws.url) as opened:
        page.goto(path)
    socket = opened.value
    page.evaluate("window.stayedOnThisPage = true")  # gone if the page reloads
    return socket


def stayed(page) -> bool:
    return page.evaluate("window.stayedOnThisPage === true")


def test_a_published_post_appears_for_another_person_and_a_draft_never_does(page, new_context):
    sign_up(page, "Ada Reader", unique_email("reader"))
    open_live(page, "/posts")
    bob = new_context().new_page()
    sign_up(bob, "Bob Writer", unique_email("writer"))

    write(bob, "Live from Bob")
    expect(page.get_by_role("link", name="Live from Bob")).to_be_visible(timeout=LIVE)
    write(bob, "Bob's secret draft", published=False)
    write(bob, "Bob's second post")
    expect(page.get_by_role("link", name="Bob's second post")).to_be_visible(timeout=LIVE)
    expect(page.get_by_role("link", name="Bob's secret draft")).to_have_count(0)
    assert stayed(page)


def test_an_edit_updates_the_post_page_and_a_deletion_shows_not_found(page, new_context):
    bob = new_context().new_page()
    sign_up(bob, "Bob Editor", unique_email("editor"))
    url = write(bob, "Before the edit")
    open_live(page, url)  # a signed-out reader
    expect(page.get_by_role("heading", level=1)).to_have_text("Before the edit")

    bob.get_by_role("link", name="Edit", exact=True).click()
    bob.get_by_label("Title").fill("After the edit")
    bob.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("After the edit", timeout=LIVE)
    expect(page).to_have_title(re.compile("^After the edit"))

    bob.get_by_role("link", name="Delete…").click()
    bob.get_by_role("button", name="Delete the post").click()
    expect(page.get_by_text("There is no page at this address")).to_be_visible(timeout=LIVE)
    expect(page.locator("#live-announcer")).to_have_text("This page no longer exists.")
    assert stayed(page) and page.url == url


def test_an_update_keeps_focus_and_scroll_and_is_announced_politely(page, new_context, server):
    bob = new_context().new_page()
    sign_up(bob, "Bob Many", unique_email("many"))
    for n in range(6):
        write(bob, f"Older post {n}")
    page.set_viewport_size({"width": 700, "height": 420})
    open_live(page, "/posts")
    link = page.get_by_role("link", name="Older post 2")
    link.focus()
    link.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    assert before > 0

    write(bob, "Newest post")
    expect(page.get_by_role("link", name="Newest post")).to_be_attached(timeout=LIVE)
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["A", "Older post 2"]
    assert page.evaluate("window.scrollY") == before
    announcer = page.locator("#live-announcer")
    expect(announcer).to_have_text("This page was updated.")
    assert announcer.get_attribute("aria-live") == "polite"
    assert stayed(page)


def test_logging_out_in_one_tab_closes_the_other_tabs_socket(new_context):
    context = new_context()
    first = context.new_page()
    sign_up(first, "Two Tabs", unique_email("tabs"))
    closed = []
    first.on("websocket", lambda ws: ws.on("close", lambda ws: closed.append(ws.url)))
    socket = open_live(first, "/dashboard")
    second = context.new_page()
    second.goto("/posts")
    second.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    second.wait_for_url("**/login?signed_out=1")
    # its socket is closed, and the tab shows what the server says now: log in again
    expect(first).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"), timeout=2 * LIVE)
    assert closed == [socket.url]


def test_with_javascript_off_the_pages_are_as_they_were(new_context):
    page = new_context(java_script_enabled=False).new_page()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    sign_up(page, "No Script Live", unique_email("nojslive"))
    url = write(page, "Written without script")
    page.goto("/posts")
    expect(page.get_by_role("link", name="Written without script")).to_be_visible()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Written without script")
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="My posts")).to_be_visible()
    expect(page.locator(".my-posts")).to_contain_text("Written without script")
    assert sockets == []
    assert page.locator("#live-announcer").count() == 0
