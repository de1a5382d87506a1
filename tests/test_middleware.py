"""middleware.py runs for every page request, after slash normalisation, before routing."""

import pytest

pytestmark = pytest.mark.gen_test


async def test_middleware_can_redirect(client):
    response = await client.get("/guarded")
    assert (response.status, response.headers["Location"]) == (307, "/about?from=/guarded")


async def test_middleware_can_let_the_request_through(client):
    client.cookies["pass"] = "yes"
    response = await client.get("/guarded")
    assert response.status == 200 and "guarded content" in response.text


async def test_middleware_runs_before_routing(client):
    # no page exists at /mw-answer: the middleware answers it directly
    response = await client.get("/mw-answer")
    assert response.status == 200
    assert response.text == "answered by middleware"
    assert response.headers["X-From"] == "middleware"


async def test_middleware_covers_paths_with_no_page(client):
    response = await client.get("/guarded/deeper/still")
    assert (response.status, response.headers["Location"]) == (307, "/about?from=/guarded/deeper/still")


@pytest.mark.parametrize(
    "header, value",
    [
        ("x-middleware-subrequest", "middleware:middleware:middleware:middleware:middleware"),
        ("x-middleware-subrequest", "pages/_middleware"),
        ("x-middleware-prefetch", "1"),
        ("x-invoke-path", "/guarded"),
    ],
)
async def test_no_request_header_makes_middleware_skip(client, header, value):
    response = await client.get("/guarded", headers={header: value})
    assert response.status == 307


async def test_middleware_runs_for_unsafe_methods_too(client):
    response = await client.post("/guarded", form={})
    assert response.status == 307
