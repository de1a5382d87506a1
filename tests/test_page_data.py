"""The page data route, GET /_data/<build_id>/<path>.json, with Next.js /_next/data semantics:
a page's loader props as JSON, behind the page's own middleware and ACCESS; redirects as
200 data, not found as 404 {"notFound": true}, another build as 404; Cache-Control as the
page's, never public. The JSON form is chosen by this path only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.pages import build_id
from tests.auth_helpers import make_admin, signed_up
from tests.live_helpers import build_id_of

pytestmark = pytest.mark.gen_test(timeout=60)
ROOT = Path(__file__).resolve().parent.parent
NO_STORE = "private, no-cache, no-store, max-age=0, must-revalidate"


def data(response) -> dict:
    assert response.headers["Content-Type"] == "application/json; charset=utf-8", response.headers
    return json.loads(response.body)


# --- the app's own pages, on a real database ----------------------------------------------------


@pytest.fixture
def app(real_app):
    return real_app


@pytest.fixture
def people(client, io_loop):
    ada, bob = client, client.another()

    async def setup():
        users = {
            "ada": await signed_up(ada, name="Ada Lovelace", email="ada@example.com"),
            "bob": await signed_up(bob, name="Bob Bell", email="bob@example.com"),
        }
        for title, published in (("One", True), ("Two", True), ("Ada's draft", False)):
            answer = await ada.post(
                "/api/posts", json_body={"title": title, "body": "Text", "published": published}
            )
            assert answer.status == 201
            users[title] = answer.json()
        return users

    return {"ada": ada, "bob": bob, "anon": client.another(), "made": io_loop.run_sync(setup)}


async def build_of(client) -> str:
    return build_id_of((await client.get("/posts")).text)


async def test_a_pages_data_is_its_loaders_props(people):
    anon = people["anon"]
    build = await build_of(anon)
    answer = await anon.get(f"/_data/{build}/posts.json")
    assert answer.status == 200 and answer.headers["Cache-Control"] == NO_STORE
    props = data(answer)["pageProps"]
    assert [post["title"] for post in props["result"]["posts"]] == ["Two", "One"]
    assert (props["result"]["page"], props["result"]["total"], props["pages"]) == (1, 2, 1)
    assert props["result"]["posts"][0]["author"] == {
        "id": people["made"]["ada"]["id"],
        "name": "Ada Lovelace",
    }
    # the query goes to the loader as on the page
    second = data(await anon.get(f"/_data/{build}/posts.json?page=2"))["pageProps"]
    assert second["result"]["page"] == 2 and second["result"]["posts"] == []
    # as the viewer: Ada's dashboard data has her draft and her email
    mine = data(await people["ada"].get(f"/_data/{build}/dashboard.json"))["pageProps"]
    assert mine["user"]["email"] == "ada@example.com"
    assert {post["title"] for post in mine["my_posts"]} == {"One", "Two", "Ada's draft"}


async def test_redirects_are_data(people):
    anon, ada = people["anon"], people["ada"]
    build = await build_of(anon)
    signed_out = await anon.get(f"/_data/{build}/dashboard.json?deleted=1")
    assert signed_out.status == 200 and signed_out.headers["Cache-Control"] == NO_STORE
    assert data(signed_out) == {
        "redirect": {"destination": "/login?next=%2Fdashboard%3Fdeleted%3D1", "statusCode": 307}
    }
    signed_in = await ada.get(f"/_data/{build}/login.json")
    assert data(signed_in) == {"redirect": {"destination": "/dashboard", "statusCode": 307}}


async def test_not_found_is_404_not_found_and_access_applies(people):
    anon, ada, bob = people["anon"], people["ada"], people["bob"]
    build = await build_of(anon)
    draft = people["made"]["Ada's draft"]["id"]
    for client, path in (
        (anon, "posts/999"),
        (bob, f"posts/{draft}"),  # a draft does not exist for Bob
        (anon, "posts/x"),
        (anon, "nowhere"),
        (anon, "index"),  # the home page has no loader: no data
        (anon, "posts/"),
    ):
        answer = await client.get(f"/_data/{build}/{path}.json")
        assert (answer.status, data(answer)) == (404, {"notFound": True}), path
        assert answer.headers["Cache-Control"] == NO_STORE
    assert (
        data(await ada.get(f"/_data/{build}/posts/{draft}.json"))["pageProps"]["post"]["title"]
        == "Ada's draft"
    )
    forbidden = await bob.get(f"/_data/{build}/admin.json")
    assert (forbidden.status, data(forbidden)) == (403, {"error": "This needs the admin role."})
    await make_admin("bob@example.com")
    users = data(await bob.get(f"/_data/{build}/admin.json"))["pageProps"]["users"]
    assert {user["email"] for user in users} == {"ada@example.com", "bob@example.com"}


async def test_another_build_is_404(people):
    anon = people["anon"]
    build = await build_of(anon)
    for path in (
        f"/_data/0{build[1:]}/posts.json",
        "/_data/x/posts.json",
        f"/_data/{build}",
        f"/_data/{build}/posts",
    ):
        answer = await anon.get(path)
        assert answer.status == 404, path
    wrong = await anon.get(f"/_data/0{build[1:]}/posts.json")
    assert data(wrong) == {"error": "Unknown build: reload the page"}


async def test_the_build_id_is_in_every_page_and_is_one_for_the_same_files(people, app, tmp_path):
    ids = {
        build_id_of((await people["ada"].get(path)).text)
        for path in ("/", "/posts", "/dashboard", "/account")
    }
    assert ids == {app.site.build_id}
    assert build_id(ROOT / "pages", ROOT / "static") == app.site.build_id  # every worker and instance
    shutil.copytree(ROOT / "pages", tmp_path / "pages")
    (tmp_path / "pages" / "about.html").write_text("{% extends '_layout.html' %}")
    assert build_id(tmp_path / "pages", ROOT / "static") != app.site.build_id


async def test_the_pages_own_url_never_answers_json(people):
    anon = people["anon"]
    for path, headers in (
        ("/posts", {"Accept": "application/json"}),
        ("/posts?format=json", {}),
        ("/posts?_data=1", {}),
        ("/posts?__nextDataReq=1", {"X-Nextjs-Data": "1"}),
    ):
        answer = await anon.get(path, headers=headers)
        assert answer.status == 200 and answer.headers["Content-Type"] == "text/html; charset=utf-8", path
    assert (await anon.get("/posts.json")).status == 404


async def test_only_get_and_head(people):
    anon = people["anon"]
    build = await build_of(anon)
    head = await anon.request("HEAD", f"/_data/{build}/posts.json")
    assert head.status == 200 and head.body == b""
    for method in ("POST", "PUT", "DELETE"):
        answer = await anon.request(method, f"/_data/{build}/posts.json", body=b"")
        assert answer.status == 405, method
