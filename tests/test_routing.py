"""File routing over HTTP: names, params, precedence, decoding, normalisation, private names."""

import pytest

pytestmark = pytest.mark.gen_test


async def test_static_page_and_index_collapse(client):
    assert "fixture home" in (await client.get("/")).text
    assert "static about page" in (await client.get("/about")).text
    assert "blog index" in (await client.get("/blog")).text  # pages/blog/index.html


async def test_dynamic_segment_is_one_string(client):
    data = (await client.get("/blog/hello-world")).data()
    assert data["route"] == "blog/[slug]"
    assert data["params"] == {"slug": "hello-world"}


async def test_catch_all_is_a_list_of_one_or_more(client):
    assert (await client.get("/docs/a")).data()["params"] == {"slug": ["a"]}
    assert (await client.get("/docs/a/b/c")).data()["params"] == {"slug": ["a", "b", "c"]}


async def test_catch_all_does_not_match_the_bare_parent(client):
    response = await client.get("/docs")
    assert response.status == 404
    assert "fixture 404 page" in response.text


async def test_optional_catch_all_matches_zero_or_more(client):
    bare = (await client.get("/shop")).data()
    assert bare["route"] == "shop/[[...path]]"
    assert bare["params"] == {}  # key absent when empty
    assert (await client.get("/shop/a/b")).data()["params"] == {"path": ["a", "b"]}


async def test_static_beats_dynamic(client):
    assert "static blog/new" in (await client.get("/blog/new")).text


async def test_precedence_is_decided_segment_by_segment_from_the_left(client):
    # /blog/[slug] and /[name]/[comment] both match /blog/x: the static first segment wins
    assert (await client.get("/blog/x")).data()["route"] == "blog/[slug]"
    other = (await client.get("/other/x")).data()
    assert other["route"] == "[name]/[comment]"
    assert other["params"] == {"name": "other", "comment": "x"}


async def test_segments_are_percent_decoded_after_matching(client):
    assert (await client.get("/blog/caf%C3%A9%20au%20lait")).data()["params"] == {"slug": "café au lait"}


async def test_encoded_slash_never_splits_a_catch_all(client):
    assert (await client.get("/docs/a/b%2Fc")).data()["params"] == {"slug": ["a", "b/c"]}
    # and it does not make a one-segment route match two segments
    assert (await client.get("/blog/a%2Fb")).data()["params"] == {"slug": "a/b"}


@pytest.mark.parametrize("path", ["/blog/%zz", "/blog/%E", "/blog/%FF%FE"])
async def test_malformed_escape_in_a_page_path_is_400(client, path):
    response = await client.get(path)
    assert response.status == 400
    assert "error page 400" in response.text


async def test_malformed_escape_in_an_api_path_is_json_400(client):
    response = await client.get("/api/items/%zz")
    assert response.status == 400
    assert response.json() == {"error": "Malformed percent-escape in the URL"}


async def test_trailing_slash_redirects_308_keeping_the_query(client):
    response = await client.get("/about/?a=1&b=2")
    assert response.status == 308
    assert response.headers["Location"] == "/about?a=1&b=2"


async def test_double_slashes_redirect_308_to_the_collapsed_path(client):
    response = await client.get("//blog//x?q=1")
    assert response.status == 308
    assert response.headers["Location"] == "/blog/x?q=1"


async def test_normalisation_runs_before_anything_else(client):
    # before middleware (which would redirect /guarded to /about) ...
    response = await client.get("/guarded/")
    assert (response.status, response.headers["Location"]) == (308, "/guarded")
    # ... before the XSRF check and the method check ...
    response = await client.post("/about/", xsrf=False)
    assert (response.status, response.headers["Location"]) == (308, "/about")
    # ... and for the API and static files too
    assert (await client.get("/api/echo/")).headers["Location"] == "/api/echo"
    assert (await client.get("/static/app.css/")).headers["Location"] == "/static/app.css"


@pytest.mark.parametrize("path", ["/_echo", "/_layout", "/_private/deep/secret", "/_error"])
async def test_underscore_names_are_not_routable(client, path):
    response = await client.get(path)
    assert response.status == 404
    assert "fixture 404 page" in response.text


async def test_underscore_api_modules_are_not_routable(client):
    response = await client.get("/api/_private")
    assert response.status == 404
    assert response.json() == {"error": "Not found"}


async def test_unknown_page_is_the_404_page(client):
    response = await client.get("/no/such/page/here")
    assert response.status == 404
    assert "fixture 404 page" in response.text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_unknown_api_route_is_json_404(client):
    for path in ("/api/nope", "/api/items", "/api/items/1/extra"):
        response = await client.get(path)
        assert response.status == 404, path
        assert response.json() == {"error": "Not found"}


async def test_404_and_500_paths_show_their_pages_with_their_status(client):
    not_found = await client.get("/404")
    assert not_found.status == 404 and "fixture 404 page" in not_found.text
    error = await client.get("/500")
    assert error.status == 500 and "fixture 500 page" in error.text


async def test_query_is_merged_with_params_and_params_win(client):
    data = (await client.get("/blog/real?slug=fake&tag=a&tag=b&empty=")).data()
    assert data["params"] == {"slug": "real"}
    assert data["query"] == {"slug": "real", "tag": ["a", "b"], "empty": ""}
    assert data["resolved_url"] == "/blog/real?slug=fake&tag=a&tag=b&empty="


async def test_api_index_file_serves_the_api_root(client):
    assert (await client.get("/api")).json() == {"api": "root"}


async def test_api_routes_follow_the_same_naming_rules(client):
    assert (await client.get("/api/items/7?id=9&x=1&x=2")).json() == {
        "id": "7",
        "query": {"id": "7", "x": ["1", "2"]},
    }
    assert (await client.get("/api/files/a/b%2Fc")).json() == {"params": {"path": ["a", "b/c"]}}
    assert (await client.get("/api/files")).status == 404  # catch-all needs one segment
    assert (await client.get("/api/opt")).json() == {"params": {}}
    assert (await client.get("/api/opt/x/y")).json() == {"params": {"rest": ["x", "y"]}}


async def test_static_files_are_served_with_a_cache_busting_url(client):
    home = await client.get("/")
    assert "/static/app.css?v=" in home.text
    css = await client.get("/static/app.css")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")


@pytest.mark.parametrize("path", ["/static/app.css/%00", "/static/%00", "/media/%00", "/media/avatars/a%00.png"])
async def test_a_nul_in_a_file_path_is_404_not_500(client, path):
    assert (await client.get(path)).status == 404
    assert (await client.get("/static/app.css")).status == 200
