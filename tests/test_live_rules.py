"""Live pages as a page author writes them (the project's pages plus a few written here, on a
real database): LIVE and DEPENDS declarations checked at start, the layout's marks, and what a
run sends when the loader redirects, the middleware answers, or the loader fails."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from app import live_options, make_app
from config import SettingsError, load_settings
from core.application import load_routes
from core.responses import Response, redirect
from core.routing import RouteDeclarationError
from tests.auth_helpers import signed_up
from tests.live_helpers import digest_of, open_live, settled

pytestmark = pytest.mark.gen_test(timeout=60)
ROOT = Path(__file__).resolve().parent.parent

WATCH_PY = '''"""A live page whose loader redirects when the post's title says where it moved."""

from dal import posts

LIVE = True
DEPENDS = ["post:{id}"]
FAIL = []  # the test makes the loader fail by putting something here


async def get_server_side_props(req):
    if FAIL:
        raise RuntimeError("the loader broke")
    post = await posts.get_post(req.user, req.params["id"])
    if post.title.startswith("moved:"):
        return {"redirect": {"destination": post.title[len("moved:"):], "permanent": False}}
    return {"props": {"post": post}}
'''
WATCH_HTML = """{% extends "_layout.html" %}
{% block title %}{{ post.title }}{% endblock %}
{% block content %}<h1>{{ post.title }}</h1>{% endblock %}
"""
ANSWER: dict[str, Response | None] = {"now": None}  # what the test's middleware answers


async def middleware(req):
    return ANSWER["now"] if req.path.startswith("/watch/") else None


@pytest.fixture
def pages(tmp_path) -> Path:
    folder = tmp_path / "pages"
    shutil.copytree(ROOT / "pages", folder)
    (folder / "watch").mkdir()
    (folder / "watch" / "[id].py").write_text(WATCH_PY)
    (folder / "watch" / "[id].html").write_text(WATCH_HTML)
    return folder


@pytest.fixture
def app(io_loop, auth_settings, pages):
    ANSWER["now"] = None
    application = make_app(auth_settings, pages_dir=pages, middleware=middleware)
    yield application
    io_loop.run_sync(application.live.close)
    io_loop.run_sync(application.db.dispose)


@pytest.fixture
def watcher(app):
    return next(route.module for route in app.site.routes if route.pattern == "/watch/[id]")


async def watched(client, title: str):
    created = await client.post("/api/posts", json_body={"title": title, "body": "b", "published": True})
    assert created.status == 201
    post_id = created.json()["id"]
    page = await client.get(f"/watch/{post_id}")
    assert page.status == 200
    live = await open_live(client.base_url, client.cookies, f"/watch/{post_id}", digest_of(page.text))
    return post_id, live


async def retitle(client, post_id: int, title: str) -> None:
    assert (await client.request("PATCH", f"/api/posts/{post_id}", json_body={"title": title})).status == 200


@pytest.mark.parametrize("session_mode", ["database"], indirect=True)
async def test_a_loaders_redirect_on_a_run_navigates_the_browser(client):
    await signed_up(client)
    post_id, live = await watched(client, "Here")
    await retitle(client, post_id, "moved:/posts")
    assert await live.next() == {"type": "navigate", "url": "/posts"}
    live.close()


@pytest.mark.parametrize("session_mode", ["database"], indirect=True)
async def test_a_middleware_answer_on_a_run_is_applied_by_the_browser(client):
    await signed_up(client)
    post_id, live = await watched(client, "Here")
    ANSWER["now"] = redirect("/about-us")
    await retitle(client, post_id, "Still here")
    assert await live.next() == {"type": "navigate", "url": "/about-us"}
    ANSWER["now"] = Response("I'm a teapot", status=418)  # only a reload can show it
    await retitle(client, post_id, "Here again")
    assert await live.next() == {"type": "navigate", "url": f"/watch/{post_id}"}
    live.close()


@pytest.mark.parametrize("session_mode", ["database"], indirect=True)
async def test_a_failing_run_keeps_what_the_page_shows(app, client, watcher, caplog):
    await signed_up(client)
    post_id, live = await watched(client, "Before")
    await asyncio.wait_for(app.live.options.fanout.listening.wait(), 10)
    await settled(app)
    watcher.FAIL.append(True)
    await retitle(client, post_id, "During")
    await settled(app)
    assert live.received == []  # nothing sent: the page keeps what it shows
    assert "answered 500" in caplog.text
    watcher.FAIL.clear()
    await retitle(client, post_id, "After")
    assert "After" in (await live.next())["main"]
    live.close()


def test_live_declarations_are_checked_at_start(tmp_path):
    cases = {
        "LIVE = 'yes'\n": "LIVE = 'yes'; use True or False",
        "LIVE = True\nDEPENDS = 'posts'\n": "DEPENDS must be a list of topics",
        "LIVE = True\nDEPENDS = ['post:{slug}']\n": "DEPENDS names {slug}, which is not a param of /thing/[id]",
        "LIVE = True\nDEPENDS = ['two words']\n": "topics are words without spaces",
    }
    for n, (source, message) in enumerate(cases.items()):
        pages = tmp_path / str(n) / "pages"
        (pages / "thing").mkdir(parents=True)
        (pages / "thing" / "[id].py").write_text(
            source + "async def get_server_side_props(req):\n    return {'props': {}}\n"
        )
        (pages / "thing" / "[id].html").write_text("x")
        with pytest.raises(RouteDeclarationError) as caught:
            load_routes(pages, tmp_path / "handlers")
        assert message in str(caught.value) and "pages/thing/[id].py" in str(caught.value)
    pages = tmp_path / "template-less" / "pages"
    pages.mkdir(parents=True)
    (pages / "feed.py").write_text(
        "LIVE = True\nasync def get_server_side_props(req):\n    return {'redirect': {'destination': '/', 'permanent': False}}\n"
    )
    with pytest.raises(RouteDeclarationError, match="LIVE = True needs a template"):
        load_routes(pages, tmp_path / "handlers")


@pytest.mark.parametrize("session_mode", ["database"], indirect=True)
async def test_only_live_pages_load_the_script(client):
    await signed_up(client)
    for path in ("/posts", "/dashboard"):
        page = (await client.get(path)).text
        assert '<script src="/static/live.js?v=' in page and digest_of(page)
    for path in ("/", "/account", "/posts/new"):
        page = (await client.get(path)).text
        assert "live.js" not in page and "data-live" not in page, path
        assert '<meta name="build-id"' in page
    script = await client.get("/static/live.js")
    assert script.status == 200 and script.headers["Content-Type"] == "text/javascript"
    assert "new WebSocket(" in script.text


def test_live_settings_have_defaults_and_refuse_bad_values():
    defaults = load_settings({"SECRET_KEY": "a-key"})
    assert (
        defaults.live_sockets_per_user,
        defaults.live_sockets_per_process,
        defaults.live_idle_seconds,
        defaults.live_heartbeat_seconds,
    ) == (20, 5000, 900.0, 25.0)
    chosen = load_settings(
        {
            "SECRET_KEY": "a-key",
            "LIVE_SOCKETS_PER_USER": "3",
            "LIVE_SOCKETS_PER_PROCESS": "100",
            "LIVE_IDLE_SECONDS": "60",
            "LIVE_HEARTBEAT_SECONDS": "10",
        }
    )
    options = live_options(chosen)
    assert (options.per_user, options.per_process, options.idle_seconds, options.heartbeat_seconds) == (
        3,
        100,
        60,
        10,
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "SECRET_KEY": "a-key",
                "LIVE_SOCKETS_PER_USER": "0",
                "LIVE_SOCKETS_PER_PROCESS": "many",
                "LIVE_IDLE_SECONDS": "-1",
                "LIVE_HEARTBEAT_SECONDS": "0",
            }
        )
    for name in (
        "LIVE_SOCKETS_PER_USER",
        "LIVE_SOCKETS_PER_PROCESS",
        "LIVE_IDLE_SECONDS",
        "LIVE_HEARTBEAT_SECONDS",
    ):
        assert name in str(caught.value)
