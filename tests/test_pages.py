"""Pages over HTTP: loader results, rendering, caching, actions, methods, errors."""

import logging

import pytest

pytestmark = pytest.mark.gen_test

NO_STORE = "private, no-cache, no-store, max-age=0, must-revalidate"


async def test_props_are_the_template_variables(client):
    response = await client.get("/loader/props?title=Hello")
    assert response.status == 200
    assert '<h1 id="title">Hello</h1>' in response.text
    assert '<p id="items">1,2.5,None,True</p>' in response.text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_templates_are_autoescaped(client):
    response = await client.get("/loader/props?title=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_xsrf_form_html_renders_as_markup_not_text(client):
    response = await client.get("/", xsrf=False)
    assert '<input type="hidden" name="_xsrf" value="' in response.text
    cookie = response.headers.get_list("Set-Cookie")[0]
    assert cookie.startswith("_xsrf=") and "SameSite=Lax" in cookie


async def test_dataclass_dtos_are_accepted_as_props(client):
    response = await client.get("/loader/good_dto")
    assert response.status == 200
    assert '<p id="name">Ada &lt;admin&gt;</p>' in response.text


async def test_loader_pages_default_to_no_store(client):
    assert (await client.get("/loader/props")).headers["Cache-Control"] == NO_STORE


async def test_a_loader_may_set_cache_control_and_cookies(client):
    response = await client.get("/loader/cache")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    cookies = response.headers.get_list("Set-Cookie")
    visited = next(c for c in cookies if c.startswith("visited="))
    assert "HttpOnly" in visited and "SameSite=Lax" in visited and "Path=/" in visited


async def test_loader_headers_reach_the_response(client):
    assert (await client.get("/loader/props")).headers["X-Loader"] == "ran"


async def test_ctx_request_exposes_method_headers_and_cookies(client):
    client.cookies["flavour"] = "lemon"
    data = (await client.get("/loader/request", headers={"User-Agent": "pytest-agent"})).data()
    assert data == {"method": "GET", "user_agent": "pytest-agent", "cookie": "lemon"}


@pytest.mark.parametrize(
    "case, status",
    [("temporary", 307), ("307", 307), ("301", 301), ("302", 302), ("303", 303)],
)
async def test_redirect_results(client, case, status):
    response = await client.get(f"/loader/redirect?case={case}")
    assert response.status == status
    assert response.headers["Location"] == "/about"
    assert "Refresh" not in response.headers


@pytest.mark.parametrize("case", ["permanent", "308"])
async def test_permanent_redirects_are_308_with_refresh(client, case):
    response = await client.get(f"/loader/redirect?case={case}")
    assert response.status == 308
    assert response.headers["Location"] == "/about"
    assert response.headers["Refresh"] == "0;url=/about"


async def test_redirect_may_leave_the_site_when_the_loader_says_so(client):
    response = await client.get("/loader/redirect?case=external")
    assert (response.status, response.headers["Location"]) == (307, "https://example.org/x")


async def test_not_found_renders_the_404_page_with_status_404(client):
    response = await client.get("/loader/not_found")
    assert response.status == 404
    assert "fixture 404 page" in response.text
    assert "should not render" not in response.text


@pytest.mark.parametrize(
    "case, logged",
    [
        ("none", "must return a dict with 'props', 'redirect' or 'not_found', not NoneType"),
        ("list", "not list"),
        ("unknown_key", "got keys ['propz']"),
        ("two_kinds", "got keys ['not_found', 'props']"),
        ("props_not_dict", "props must be a dict, not list"),
        ("datetime", "not JSON-serialisable at .user.created_at (datetime)"),
        ("dto_datetime", "not JSON-serialisable at .user.created_at (datetime)"),
        ("set", "not JSON-serialisable at .tags[1] (set)"),
        ("model", "not JSON-serialisable at .user (Model)"),
        ("nan", "not JSON-serialisable at .x (float)"),
        ("reserved", "reserved names ['current_user']"),
        ("redirect_both", "exactly one of permanent or status_code"),
        ("redirect_neither", "exactly one of permanent or status_code"),
        ("redirect_code", "status_code must be one of (301, 302, 303, 307, 308), not 304"),
        ("redirect_bool_code", "status_code must be one of"),
        ("redirect_destination", "destination must be a non-empty string, not 42"),
        ("redirect_extra", "got keys ['basePath', 'destination', 'permanent']"),
        ("not_found_false", "not_found must be True, not False"),
        ("status_in_loader", "got keys ['props', 'status']"),
    ],
)
async def test_invalid_loader_results_are_500_with_a_log_line(client, caplog, case, logged):
    with caplog.at_level(logging.ERROR, logger="core.pages"):
        response = await client.get(f"/loader/bad?case={case}")
    assert response.status == 500
    assert "fixture 500 page" in response.text
    assert "should not render" not in response.text
    messages = [r.getMessage() for r in caplog.records if r.name == "core.pages"]
    assert any("loader/bad.py: get_server_side_props()" in m and logged in m for m in messages), messages


async def test_a_loader_that_raises_is_the_500_page_without_a_traceback(client):
    response = await client.get("/loader/boom")
    assert response.status == 500
    assert "fixture 500 page" in response.text
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_page_without_an_action_answers_405_with_allow(client, method):
    response = await client.request(method, "/about", body="", xsrf=False)
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"


async def test_a_page_with_an_action_allows_post(client):
    response = await client.request("PUT", "/form", body="")
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


async def test_head_works_wherever_get_does_with_no_body(client):
    for path in ("/", "/loader/props?title=x", "/blog/x", "/docs/a/b"):
        get = await client.get(path)
        head = await client.request("HEAD", path)
        assert head.status == get.status == 200, path
        assert head.body == b""
        assert head.headers["Content-Type"] == get.headers["Content-Type"]
        assert int(head.headers["Content-Length"]) == len(get.body)
    assert (await client.request("HEAD", "/loader/redirect?case=temporary")).status == 307
    assert (await client.request("HEAD", "/nope")).status == 404


async def test_action_rerenders_with_props_and_status_keeping_input(client):
    response = await client.post("/form", form={"name": "   "})
    assert response.status == 422
    assert '<p id="error">Name is required.</p>' in response.text
    assert 'value="   "' in response.text  # what was typed is kept (not stripped)


async def test_action_redirects_with_303_after_success(client):
    response = await client.post("/form", form={"name": "Ada"})
    assert response.status == 303
    assert response.headers["Location"] == "/about?name=Ada"


async def test_action_needs_the_xsrf_token(client):
    response = await client.post("/form", form={"name": "Ada"}, xsrf=False)
    assert response.status == 403
    assert "Missing or invalid XSRF token" in response.text


async def test_xsrf_token_in_the_form_field_is_accepted(client):
    client.cookies["_xsrf"] = "form-token"
    response = await client.post("/form", form={"name": "Ada", "_xsrf": "form-token"}, xsrf=False)
    assert response.status == 303


async def test_an_oversized_form_is_413(client):
    response = await client.post("/form", form={"name": "x" * (1024 * 1024 + 1)})
    assert response.status == 413


async def test_a_query_that_is_not_utf8_is_a_400_page(client):
    response = await client.get("/blog/x?q=%FF")
    assert response.status == 400
    assert "Query string is not valid UTF-8" in response.text


async def test_an_action_given_invalid_json_is_a_400_page(client):
    response = await client.post("/form", body="{", headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "Invalid JSON" in response.text
