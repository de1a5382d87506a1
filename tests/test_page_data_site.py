"""The page data route on the routing fixture site: every loader result as data, the page's
middleware (which sees the page's path), the loader's headers, and Cache-Control never public."""

from __future__ import annotations

import json

import pytest

from app import make_app
from core.responses import Response, redirect
from tests.conftest import SITE

pytestmark = pytest.mark.gen_test


async def middleware(req):
    """Answers for the page's own path, as it does for the page."""
    if req.path == "/loader/props" and req.query.get("title") == "blocked":
        return redirect("/about?from=" + req.path)
    if req.path == "/loader/props" and req.query.get("title") == "teapot":
        return Response("short and stout", status=418)
    return None


@pytest.fixture
def app(io_loop, settings):
    application = make_app(
        settings, pages_dir=SITE / "pages", handlers_dir=SITE / "handlers", middleware=middleware
    )
    yield application
    io_loop.run_sync(application.live.close)
    io_loop.run_sync(application.db.dispose)


def data(response) -> dict:
    assert response.headers["Content-Type"] == "application/json; charset=utf-8", response.headers
    return json.loads(response.body)


async def test_props_headers_and_the_pages_request(client, app):
    build = app.site.build_id
    answer = await client.get(f"/_data/{build}/loader/props.json?title=Hi", headers={"User-Agent": "probe"})
    assert answer.status == 200 and answer.headers["X-Loader"] == "ran"
    assert data(answer) == {"pageProps": {"title": "Hi", "items": [1, 2.5, None, True]}}
    seen = data(await client.get(f"/_data/{build}/loader/request.json", headers={"User-Agent": "probe"}))
    assert seen["pageProps"]["data"] == {"method": "GET", "user_agent": "probe", "cookie": None}
    dto = await client.get(f"/_data/{build}/loader/good_dto.json")
    assert dto.status == 200 and isinstance(data(dto)["pageProps"], dict)


@pytest.mark.parametrize(
    "case, status", [("temporary", 307), ("permanent", 308), ("301", 301), ("303", 303), ("external", 307)]
)
async def test_a_loaders_redirect_is_data(client, app, case, status):
    answer = await client.get(f"/_data/{app.site.build_id}/loader/redirect.json?case={case}")
    destination = "https://example.org/x" if case == "external" else "/about"
    assert answer.status == 200 and "Location" not in answer.headers
    assert data(answer) == {"redirect": {"destination": destination, "statusCode": status}}


async def test_a_loaders_not_found_is_404_not_found(client, app):
    answer = await client.get(f"/_data/{app.site.build_id}/loader/not_found.json")
    assert (answer.status, data(answer)) == (404, {"notFound": True})


async def test_the_pages_middleware_applies(client, app):
    build = app.site.build_id
    blocked = await client.get(f"/_data/{build}/loader/props.json?title=blocked")
    assert data(blocked) == {"redirect": {"destination": "/about?from=/loader/props", "statusCode": 307}}
    teapot = await client.get(f"/_data/{build}/loader/props.json?title=teapot")
    assert (teapot.status, teapot.text) == (418, "short and stout")


async def test_cache_control_is_the_pages_but_never_public(client, app):
    page = await client.get("/loader/cache")
    assert page.headers["Cache-Control"] == "public, max-age=60"
    answer = await client.get(f"/_data/{app.site.build_id}/loader/cache.json")
    assert answer.status == 200 and answer.headers["Cache-Control"] == "private, max-age=60"
    assert "visited=yes" in answer.headers["Set-Cookie"]  # the loader's cookie, as on the page


async def test_a_loaders_mistake_is_a_json_500(client, app):
    answer = await client.get(f"/_data/{app.site.build_id}/loader/boom.json")
    assert answer.status == 500 and data(answer) == {"error": "Internal server error"}


async def test_hostile_data_paths_are_refused_not_errors(client, app):
    build = app.site.build_id
    for path in (
        f"/_data/{build}/%zz.json",
        f"/_data/{build}/%FF.json",
        f"/_data/{build}/.json",
        f"/_data/{build}/" + "a/" * 300 + "b.json",
        "/_data/",
        "/_data",
    ):
        answer = await client.get(path)
        assert answer.status in (308, 400, 404), (path, answer.status)  # "/_data/": to "/_data"
