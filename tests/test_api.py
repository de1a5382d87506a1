"""API routes over HTTP: dispatch, answers, body parsing and limits, errors."""

import asyncio
import json
import logging

import pytest

from tests.conftest import XSRF

pytestmark = pytest.mark.gen_test

MIB = 1024 * 1024


async def test_methods_dispatch_to_functions_of_the_same_name(client):
    assert (await client.get("/api/echo")).json()["method"] == "GET"
    for method in ("POST", "PUT", "PATCH"):
        response = await client.request(method, "/api/echo", json_body={"a": 1})
        assert response.json()["method"] == method


async def test_request_exposes_params_query_cookies_and_headers(client):
    client.cookies["flavour"] = "mint"
    data = (await client.get("/api/echo?x=1&x=2&y=", headers={"X-Test": "yes"})).json()
    assert data["query"] == {"x": ["1", "2"], "y": ""}
    assert data["params"] == {}
    assert data["cookies"]["flavour"] == "mint"
    assert data["header"] == "yes"


async def test_an_undefined_method_is_405_listing_the_defined_ones(client):
    response = await client.post("/api/items/1", json_body={})
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD, DELETE"
    assert response.json() == {"error": "Method not allowed"}


async def test_405_comes_before_the_xsrf_check(client):
    response = await client.post("/api/items/1", xsrf=False)
    assert response.status == 405


async def test_options_lists_the_allowed_methods(client):
    response = await client.request("OPTIONS", "/api/items/1")
    assert response.status == 204
    assert response.headers["Allow"] == "GET, HEAD, DELETE, OPTIONS"


async def test_head_answers_like_get_without_a_body(client):
    get = await client.get("/api/items/3")
    head = await client.request("HEAD", "/api/items/3")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) == len(get.body)


async def test_a_dict_is_200_json(client):
    response = await client.get("/api/items/3")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"id": "3", "query": {"id": "3"}}


async def test_a_list_is_json_too(client):
    assert (await client.get("/api/responses?kind=list")).json() == [1, "two", {"three": 3}]


async def test_a_response_sets_status_and_headers(client):
    response = await client.get("/api/responses?kind=status")
    assert response.status == 201
    assert response.headers["Location"] == "/api/items/1"
    assert response.json() == {"created": True}


async def test_a_response_sets_cookies_with_safe_defaults(client):
    response = await client.get("/api/responses?kind=cookie")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("flavour=mint")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # only in production


async def test_redirect_defaults_to_307(client):
    response = await client.get("/api/responses?kind=redirect")
    assert (response.status, response.headers["Location"]) == (307, "/api/echo")
    response = await client.get("/api/responses?kind=redirect301")
    assert response.status == 301


async def test_empty_is_204_with_no_body(client):
    for path in ("/api/responses?kind=empty",):
        response = await client.get(path)
        assert response.status == 204 and response.body == b""
    response = await client.request("DELETE", "/api/items/9")
    assert response.status == 204 and response.body == b""


async def test_a_file_is_sent_with_its_type(client):
    response = await client.get("/api/responses?kind=file")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain"
    assert response.text == "a small file served by file_response\n"


async def test_text_with_another_content_type(client):
    response = await client.get("/api/responses?kind=text")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "plain words"


async def test_api_error_carries_status_message_headers_and_extra_fields(client):
    response = await client.get("/api/responses?kind=error")
    assert response.status == 409
    assert response.headers["Retry-After"] == "5"
    assert response.json() == {"error": "Already there", "field": "name"}
    missing = await client.get("/api/items/missing")
    assert (missing.status, missing.json()) == (404, {"error": "Item not found"})


async def test_an_exception_is_500_json_with_the_traceback_only_in_the_log(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/responses?kind=boom")
    assert response.status == 500
    assert response.json() == {"error": "Internal server error"}
    assert "handler exploded: secret detail" in caplog.text
    assert "Traceback" in caplog.text


async def test_returning_nothing_is_a_500_that_says_why_in_the_log(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/responses?kind=none")
    assert response.status == 500
    assert "returned NoneType; return a dict, a list, a pydantic model or a Response" in caplog.text


async def test_json_body_is_parsed(client):
    response = await client.post("/api/echo", json_body={"name": "Ada", "tags": [1, 2]})
    assert response.json()["body"] == {"name": "Ada", "tags": [1, 2]}


async def test_an_empty_json_body_is_an_empty_object(client):
    response = await client.post("/api/echo", body="", headers={"Content-Type": "application/json"})
    assert response.json()["body"] == {}


@pytest.mark.parametrize("body", ["{", "{'a': 1}", "[1,]", "\xff"])
async def test_invalid_json_is_400(client, body):
    response = await client.post(
        "/api/echo", body=body.encode("latin-1"), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status == 400
    assert response.json() == {"error": "Invalid JSON"}


async def test_form_body_keeps_repeated_keys_as_lists(client):
    response = await client.post("/api/echo", form={"a": ["1", "2"], "b": "  spaced  ", "c": ""})
    assert response.json()["body"] == {"a": ["1", "2"], "b": "  spaced  ", "c": ""}


async def test_multipart_form_fields_are_parsed(client):
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nHello\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nfile text\r\n--{boundary}--\r\n"
    )
    response = await client.post(
        "/api/echo", body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.json()["body"] == {"title": "Hello"}


async def test_files_can_be_read_before_the_body(client):
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nfile text\r\n--{boundary}--\r\n"
    )
    response = await client.post(
        "/api/upload", body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.json() == {"f": ["a.txt"]}


async def test_other_bodies_are_text(client):
    response = await client.post("/api/echo", body="just words", headers={"Content-Type": "text/plain"})
    assert response.json()["body"] == "just words"


async def test_body_of_exactly_the_default_limit_is_accepted(client):
    response = await client.post(
        "/api/default_limit", body=b"x" * MIB, headers={"Content-Type": "application/octet-stream"}
    )
    assert (response.status, response.json()) == (200, {"size": MIB})


async def test_one_byte_over_the_default_limit_is_413(client):
    response = await client.post(
        "/api/default_limit", body=b"x" * (MIB + 1), headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status == 413
    assert response.json() == {"error": "Body exceeded 1mb limit"}


async def test_the_limit_is_per_route(client):
    ok = await client.post("/api/big", body=b"x" * (MIB + MIB // 2))
    assert ok.json() == {"size": MIB + MIB // 2}
    small = await client.post("/api/small", body=b"x" * 17)
    assert (small.status, small.json()) == (413, {"error": "Body exceeded 16b limit"})
    assert (await client.post("/api/small", body=b"x" * 16)).json() == {"size": 16}


async def test_a_chunked_body_over_the_limit_is_413(client):
    async def producer(write):
        for _ in range(4):
            await write(b"x" * 10)

    raw = await client.http.fetch(
        client.base_url + "/api/small",
        method="POST",
        body_producer=producer,
        headers={"Cookie": f"_xsrf={XSRF}", "X-XSRFToken": XSRF},
        raise_error=False,
    )
    assert raw.code == 413
    assert json.loads(raw.body) == {"error": "Body exceeded 16b limit"}


async def test_an_oversized_body_is_refused_before_it_is_read(base_url, http_server):
    # Declare 50 MB and send none of it: the answer must come without waiting for the body.
    port = int(base_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/default_limit HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/octet-stream\r\n"
        + f"Cookie: _xsrf={XSRF}\r\nX-XSRFToken: {XSRF}\r\n".encode()
        + b"Content-Length: 52428800\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), timeout=5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'{"error":"Body exceeded 1mb limit"}' in answer


async def test_unsafe_methods_need_the_xsrf_token(client):
    response = await client.post("/api/echo", json_body={}, xsrf=False)
    assert response.status == 403
    assert response.json() == {
        "error": "Missing or invalid XSRF token: send the _xsrf cookie with the X-XSRFToken header "
        "(GET /api/auth/csrf gives both)"
    }


@pytest.mark.parametrize(
    "content_type, body, message",
    [
        ("application/x-www-form-urlencoded", b"name=%FF", "Form body is not valid UTF-8"),
        ("multipart/form-data; boundary=XyZ", b"--XyZ\r\nno headers here", "Malformed multipart body"),
        ("text/plain", b"\xff\xfe", "Body is not valid UTF-8 text"),
    ],
)
async def test_bodies_that_cannot_be_parsed_are_400(client, content_type, body, message):
    response = await client.post("/api/echo", body=body, headers={"Content-Type": content_type})
    assert (response.status, response.json()) == (400, {"error": message})


async def test_a_query_that_is_not_utf8_is_400(client):
    response = await client.get("/api/echo?x=%FF")
    assert (response.status, response.json()) == (400, {"error": "Query string is not valid UTF-8"})


async def test_access_user_answers_401_before_the_handler_runs(client):
    # the fixture site has no sessions: nobody is signed in, whatever the body
    response = await client.post("/api/wrapped", json_body={})
    assert (response.status, response.json()) == (401, {"error": "User is not authenticated"})
    response = await client.post("/api/wrapped", body="x", headers={"Content-Type": "text/plain"})
    assert response.status == 401  # ACCESS is checked before with_json_body: it answers first
