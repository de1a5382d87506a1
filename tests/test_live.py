"""Live pages over real WebSockets against the app on a real database (both databases, both
session modes): what a page's socket is sent when something it depends on changes, run as its
viewer (drafts, roles), coalesced; sessions that end close it; who may open one; the limits."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.auth_helpers import PASSWORD, login_api, make_admin, signed_up
from tests.live_helpers import LivePage, digest_of, frames_of_a_silent_client, handshake, open_live, settled

pytestmark = pytest.mark.gen_test(timeout=60)


@pytest.fixture
def app(real_app):
    return real_app


@pytest.fixture
def settings_overrides(request):
    return getattr(request, "param", {})


@pytest.fixture
def sockets(io_loop):
    """Sockets a test opens, closed at its end."""
    opened: list[LivePage] = []
    yield opened
    for page in opened:
        page.close()


@pytest.fixture
def people(client, io_loop):
    """Ada and Bob, signed in, and a signed-out visitor."""
    ada, bob = client, client.another()

    async def sign_up_both():
        return {
            "ada": await signed_up(ada, name="Ada Lovelace", email="ada@example.com"),
            "bob": await signed_up(bob, name="Bob Bell", email="bob@example.com"),
        }

    users = io_loop.run_sync(sign_up_both)
    return {"ada": ada, "bob": bob, "anon": client.another(), "users": users}


async def watch(client, page: str, sockets: list, *, digest: bool = True) -> LivePage:
    """Load the page as a browser does, then open its socket with the digest it carries."""
    html = await client.get(page)
    assert html.status == 200, html.text
    live = await open_live(client.base_url, client.cookies, page, digest_of(html.text) if digest else "")
    sockets.append(live)
    return live


async def publish(client, title: str, published: bool = True, body: str = "Some *text*") -> dict:
    response = await client.post(
        "/api/posts", json_body={"title": title, "body": body, "published": published}
    )
    assert response.status == 201, response.text
    return response.json()


async def quiet(app) -> None:
    """The first run of every open socket, and the change listener's start, are over."""
    await asyncio.wait_for(app.live.options.fanout.listening.wait(), 10)
    await settled(app)


# --- what a page is sent ------------------------------------------------------------------------


async def test_a_published_post_reaches_another_viewers_posts_page(people, sockets):
    seen_by_bob = await watch(people["bob"], "/posts", sockets)
    seen_by_anon = await watch(people["anon"], "/posts", sockets)
    await publish(people["ada"], "Fresh from Ada")
    for live in (seen_by_bob, seen_by_anon):
        update = await live.until("Fresh from Ada")
        assert update["status"] == 200 and update["title"].startswith("Posts")
        assert "Ada Lovelace" in update["main"]


async def test_a_page_opened_with_its_own_digest_is_sent_nothing_until_something_changes(
    app, people, sockets
):
    """The digest in the page is the one the server computes (the XSRF token in /admin's forms
    masked anew each render does not change it): the first message is the change itself."""
    await make_admin("ada@example.com")
    posts = await watch(people["bob"], "/posts", sockets)
    admin = await watch(people["ada"], "/admin", sockets)
    await quiet(app)
    assert posts.received == [] and admin.received == []
    await signed_up(people["anon"].another(), name="Carol Cole", email="carol@example.com")
    assert "Carol Cole" in (await admin.next())["main"]
    await publish(people["ada"], "Only now")
    assert "Only now" in (await posts.next())["main"]


async def test_a_draft_never_reaches_anyone_but_its_author(app, people, sockets):
    bob_list = await watch(people["bob"], "/posts", sockets)
    anon_list = await watch(people["anon"], "/posts", sockets)
    ada_dashboard = await watch(people["ada"], "/dashboard", sockets)
    draft = await publish(people["ada"], "Secret draft", published=False)
    assert "Secret draft" in (await ada_dashboard.until("Secret draft"))["main"]
    bob = people["bob"]  # the draft's page is a 404 for Bob, even on a socket opened for it
    bob_view = await open_live(bob.base_url, bob.cookies, f"/posts/{draft['id']}")
    sockets.append(bob_view)
    first = await bob_view.next()
    assert first["status"] == 404 and "Secret draft" not in first["main"]
    await publish(people["ada"], "Public post")
    for live in (bob_list, anon_list):
        await live.until("Public post")
        assert "Secret draft" not in live.mains()
    # published, it reaches everyone
    assert (
        await people["ada"].request("PATCH", f"/api/posts/{draft['id']}", json_body={"published": True})
    ).status == 200
    await bob_list.until("Secret draft")
    await bob_view.until("Secret draft")


async def test_an_edit_updates_the_post_page_and_its_title(people, sockets):
    post = await publish(people["ada"], "First title")
    live = await watch(people["bob"], f"/posts/{post['id']}", sockets)
    changed = await people["ada"].request(
        "PATCH", f"/api/posts/{post['id']}", json_body={"title": "Second title", "body": "New *words*"}
    )
    assert changed.status == 200
    update = await live.until("Second title")
    assert update["title"].startswith("Second title") and "<em>words</em>" in update["main"]


async def test_a_deleted_post_shows_the_not_found_page(people, sockets):
    post = await publish(people["ada"], "Short-lived")
    live = await watch(people["bob"], f"/posts/{post['id']}", sockets)
    assert (await people["ada"].request("DELETE", f"/api/posts/{post['id']}")).status == 204
    update = await live.next()
    assert update["type"] == "update" and update["status"] == 404
    assert "There is no page at this address" in update["main"]


async def test_an_authors_new_name_reaches_the_lists_that_show_it(people, sockets):
    await publish(people["ada"], "Named post")
    live = await watch(people["bob"], "/posts", sockets)
    renamed = await people["ada"].post("/account", form={"intent": "name", "name": "Countess Ada"})
    assert renamed.status == 303
    await live.until("Countess Ada")


async def test_a_dashboard_follows_its_owners_posts_from_another_device(people, sockets):
    phone = people["ada"].another()
    assert (await login_api(phone)).status == 200
    live = await watch(people["ada"], "/dashboard", sockets)
    await publish(phone, "Written on the phone", published=False)
    update = await live.until("Written on the phone")
    assert "draft" in update["main"]


async def test_a_demoted_admin_sees_the_403_page_on_the_next_push(people, sockets):
    """A role change takes effect on the next push: ACCESS runs again before every run."""
    await make_admin("ada@example.com")
    await make_admin("bob@example.com")
    live = await watch(people["bob"], "/admin", sockets)
    bob_id = people["users"]["bob"]["id"]
    demoted = await people["ada"].post("/admin", form={"user_id": str(bob_id), "role": "user"})
    assert demoted.status == 303
    update = await live.next()
    assert update["status"] == 403
    assert "does not have access" in update["main"] and "bob@example.com" not in update["main"]


async def test_many_changes_at_once_give_one_run_per_page(app, people, sockets):
    lists = [await watch(people[name], "/posts", sockets) for name in ("ada", "bob", "anon")]
    await quiet(app)
    runs = app.live.runs
    for n in range(100):  # a burst of announcements, as a busy minute of writes would make
        app.live.changed({"posts", f"post:{n}"})
    await settled(app)
    assert app.live.runs - runs == len(lists)


async def test_concurrent_writes_are_coalesced(app, people, sockets, crowd):
    live = await watch(people["bob"], "/posts", sockets)
    await quiet(app)
    runs = app.live.runs
    ada = people["ada"]
    ada.http = crowd  # twenty requests at once, each on its own connection
    titles = [f"Burst {n}" for n in range(20)]
    await asyncio.gather(*(publish(ada, title) for title in titles))
    await settled(app)
    while len(live.received) < 1 or live.received[-1]["main"].count("Burst ") < 10:
        await live.next()  # the last update shows the ten newest (a page of the list)
    assert app.live.runs - runs < len(titles)
    assert len(live.received) < len(titles)


# --- sessions rule the socket --------------------------------------------------------------------


async def test_logging_out_closes_the_sockets_of_that_session(people, sockets):
    ada = people["ada"]
    tabs = [await watch(ada, "/dashboard", sockets), await watch(ada, "/posts", sockets)]
    other_device = people["ada"].another()
    assert (await login_api(other_device)).status == 200
    elsewhere = await watch(other_device, "/posts", sockets)
    assert (await ada.post("/api/auth/logout", json_body={})).status == 200
    for tab in tabs:
        assert await tab.closed() == (4401, "Your session has ended.")
    await publish(other_device, "Still here")  # another session of hers goes on
    await elsewhere.until("Still here")


async def test_logging_out_through_the_nav_form_closes_the_socket(people, sockets):
    tab = await watch(people["bob"], "/posts", sockets)
    assert (await people["bob"].post("/logout", form={})).status == 303
    assert (await tab.closed())[0] == 4401


async def test_a_password_change_closes_the_users_other_sockets(people, sockets):
    ada = people["ada"]
    other_device = ada.another()
    assert (await login_api(other_device)).status == 200
    elsewhere = await watch(other_device, "/dashboard", sockets)
    changed = await ada.post(
        "/account",
        form={"intent": "password", "current_password": PASSWORD, "new_password": "another long password"},
    )
    assert changed.status == 303
    assert (await elsewhere.closed())[0] == 4401


async def test_sign_out_everywhere_closes_the_users_other_sockets(people, sockets):
    ada = people["ada"]
    other_device = ada.another()
    assert (await login_api(other_device)).status == 200
    elsewhere = await watch(other_device, "/posts", sockets)
    assert (await ada.post("/account", form={"intent": "everywhere"})).status == 303
    assert (await elsewhere.closed())[0] == 4401


@pytest.mark.parametrize("session_mode", ["database"], indirect=True)  # stateless has no session list
async def test_a_revoked_session_closes_its_sockets(people, sockets):
    ada = people["ada"]
    other_device = ada.another()
    assert (await login_api(other_device, headers={"User-Agent": "Phone"})).status == 200
    elsewhere = await watch(other_device, "/posts", sockets)
    mine = await watch(ada, "/posts", sockets)
    account = await ada.get("/account")
    ids = re.findall(r'name="session_id" value="(\d+)"', account.text)
    assert len(ids) == 1  # the other one (the current session has no button)
    assert (await ada.post("/account", form={"intent": "session", "session_id": ids[0]})).status == 303
    assert (await elsewhere.closed())[0] == 4401
    await publish(ada, "Mine still live")
    await mine.until("Mine still live")


# --- who may open one ----------------------------------------------------------------------------


async def test_a_socket_needs_this_sites_origin(people):
    for origin in (None, "https://evil.example", "null", "http://localhost.evil.example"):
        refused = await handshake(people["bob"], "/posts", origin=origin)
        assert refused.status == 403, origin
        assert "Origin" in refused.json()["error"]


async def test_a_socket_is_for_a_live_page_the_viewer_may_see(people):
    anon, bob = people["anon"], people["bob"]
    for page in ("/account", "/login", "/nowhere", "/posts/", "/", "/api/me"):
        assert (await handshake(bob, page)).status == 404, page
    for page in ("", "posts", "//evil.example/posts", "/posts\\x", "/%zz", "http://x/posts"):
        assert (await handshake(bob, page)).status in (400, 404), page
    assert (await handshake(anon, "/dashboard")).status == 401
    assert (await handshake(bob, "/admin")).status == 403


async def test_a_socket_opens_with_a_valid_session_or_none(people, sockets, session_mode):
    bob = people["bob"]
    stale = dict(bob.cookies)
    assert (await bob.post("/api/auth/logout", json_body={})).status == 200
    replay = bob.another()
    replay.cookies = stale
    if session_mode == "database":  # the session is gone: its cookie opens nothing
        refused = await handshake(replay, "/posts")
        assert refused.status == 401 and refused.json() == {"error": "The session has ended: sign in again."}
    # without a cookie a public page opens, as for a signed-out visitor
    sockets.append(await open_live(bob.base_url, {}, "/posts"))
    assert (await sockets[-1].next())["status"] == 200


@pytest.mark.parametrize("settings_overrides", [{"live_sockets_per_user": 2}], indirect=True)
async def test_sockets_per_user_are_limited(people, sockets):
    ada = people["ada"]
    for _ in range(2):
        await watch(ada, "/posts", sockets)
    refused = await handshake(ada, "/posts")
    assert refused.status == 429 and "Too many live pages" in refused.json()["error"]
    await watch(people["bob"], "/posts", sockets)  # another user's count is their own
    sockets[0].close()
    await sockets[0].closed()
    await watch(ada, "/posts", sockets)  # one closed: one may open


@pytest.mark.parametrize("settings_overrides", [{"live_sockets_per_process": 3}], indirect=True)
async def test_sockets_per_process_are_limited(people, sockets):
    for name in ("ada", "bob", "anon"):
        await watch(people[name], "/posts", sockets)
    refused = await handshake(people["ada"], "/posts")
    assert refused.status == 503 and refused.headers["Retry-After"] == "5"


@pytest.mark.parametrize("settings_overrides", [{"live_idle_seconds": 2}], indirect=True)
async def test_an_idle_socket_is_closed_and_one_whose_tab_is_in_view_is_not(people, sockets):
    idle = await watch(people["bob"], "/posts", sockets)
    seen = await watch(people["ada"], "/posts", sockets)

    async def in_view():
        while seen.close_code is None:
            seen.send("active")
            await asyncio.sleep(0.2)

    keeping = asyncio.ensure_future(in_view())
    assert await idle.closed() == (4408, "idle")
    await publish(people["ada"], "After the idle one left")
    await seen.until("After the idle one left")
    keeping.cancel()


async def test_a_message_larger_than_the_limit_closes_the_socket(people, sockets):
    live = await watch(people["bob"], "/posts", sockets)
    live.send("x" * 5000)
    assert (await live.closed())[0] == 1009  # message too big


@pytest.mark.parametrize("settings_overrides", [{"live_heartbeat_seconds": 1}], indirect=True)
async def test_heartbeats_close_a_socket_whose_pongs_stop_and_keep_the_others(people, sockets):
    answering = await watch(people["ada"], "/posts", sockets)  # Tornado's client answers pings
    frames = await frames_of_a_silent_client(people["bob"].base_url, "/posts")
    opcodes = [opcode for opcode, _ in frames]
    assert 0x9 in opcodes and opcodes[-1] == 0x8  # pinged, then closed
    assert frames[-1][1][2:] == b"ping timed out"
    await publish(people["ada"], "Heard after the heartbeats")
    await answering.until("Heard after the heartbeats")
