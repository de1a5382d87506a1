"""Input classes a careless client or an attacker sends, each answered with a clear 4xx that
names the field (or a safe fallback), never a 500: lone surrogates, control characters, deep
nesting (in bodies and in validly signed cookies), values of the wrong JSON type, odd ?next=
and page numbers; and one password rule everywhere."""

from __future__ import annotations

import json

import pytest

from tests.auth_helpers import PASSWORD, login_api, me, signed_up

pytestmark = pytest.mark.gen_test


@pytest.fixture(params=["database"])
def session_mode(request) -> str:
    """Most of these do not depend on the session mode: one mode, both databases."""
    return request.param


@pytest.fixture
def app(real_app):
    return real_app


def raw_json(client, path, text, method="POST"):
    """Send text as the JSON body exactly as written (json.dumps would escape differently)."""
    return client.request(method, path, body=text.encode(), headers={"Content-Type": "application/json"})


SURROGATE = r"\ud800"  # a lone surrogate, as a JSON escape: valid JSON, not valid text

SIGNUP = {"name": "Ada Lovelace", "email": "ada@example.com", "password": PASSWORD}


@pytest.mark.parametrize("field", ["name", "email", "password"])
async def test_a_lone_surrogate_in_any_signup_field_is_400_naming_it(client, field):
    body = {**SIGNUP, field: "x" * 8 + "SURROGATE"}
    response = await raw_json(client, "/api/auth/signup", json.dumps(body).replace("SURROGATE", SURROGATE))
    assert response.status == 400
    assert response.json()["issues"][0]["path"] == [field]
    assert (await me(client)).status == 401  # nothing was created, no session
    assert (await client.post("/api/auth/signup", json_body=SIGNUP)).status == 201


@pytest.mark.parametrize("field", ["email", "password"])
async def test_a_lone_surrogate_at_login_is_400_naming_it(client, field):
    await signed_up(client)
    body = {"email": "ada@example.com", "password": PASSWORD, field: "SURROGATE"}
    response = await raw_json(
        client, "/api/auth/login", json.dumps(body).replace('"SURROGATE"', f'"{SURROGATE}"')
    )
    assert response.status == 400 and response.json()["issues"][0]["path"] == [field]


@pytest.mark.parametrize("field", ["title", "body"])
async def test_a_lone_surrogate_in_a_post_is_400_naming_it(client, field):
    await signed_up(client)
    body = {"title": "t", "body": "b", field: "SURROGATE"}
    response = await raw_json(client, "/api/posts", json.dumps(body).replace('"SURROGATE"', f'"{SURROGATE}"'))
    assert response.status == 400 and response.json()["issues"][0]["path"] == [field]


async def test_a_form_that_is_not_utf8_is_400_on_pages(client):
    response = await client.post(
        "/signup",
        body=b"name=%ED%A0%80&email=a%40b.c&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400


@pytest.mark.parametrize("depth", [33, 500, 990, 1000, 100_000])
async def test_json_nested_deeper_than_the_limit_is_400(client, depth):
    nested = "[" * depth + "]" * depth
    response = await raw_json(client, "/api/auth/login", f'{{"email": {nested}, "password": "x"}}')
    assert response.status == 400
    assert response.json()["error"] in ("Invalid JSON", "JSON nested deeper than 32 levels")
    assert (await client.get("/api/posts")).status == 200


async def test_json_nested_within_the_limit_is_a_plain_validation_error(client):
    nested = "[" * 10 + "]" * 10
    response = await raw_json(client, "/api/auth/login", f'{{"email": {nested}, "password": "x"}}')
    assert response.status == 400 and response.json()["issues"][0]["path"] == ["email"]


@pytest.mark.parametrize("value", [["a"], 42, 4.5, True, None, {"a": "b"}, 10**30])
async def test_json_fields_are_typed(client, value):
    response = await client.post("/api/auth/signup", json_body={**SIGNUP, "name": value})
    assert response.status == 400
    assert response.json()["issues"][0]["path"] == ["name"]


async def test_a_repeated_form_field_takes_its_last_value(client):
    form = {"name": ["Someone", "Ada Lovelace"], "email": "ada@example.com", "password": PASSWORD}
    response = await client.post("/signup", form=form)
    assert response.status == 303
    assert (await me(client)).json()["user"]["name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    "next_", ["/da\x00sh", "/da\u00e9sh", "/caf\u00e9", "/a b", "/x\r\nSet-Cookie: a=b", "/\u2028"]
)
async def test_an_unusable_next_falls_back_to_the_dashboard_and_keeps_the_session(client, next_):
    await signed_up(client)
    await client.post("/api/auth/logout")
    response = await client.post(
        "/login", form={"email": "ada@example.com", "password": PASSWORD}, query={"next": next_}
    )
    assert (response.status, response.headers["Location"]) == (303, "/dashboard")
    assert (await me(client)).status == 200
    other = client.another()
    signup = await other.post(
        "/signup",
        form={"name": "Grace", "email": "grace@example.com", "password": PASSWORD},
        query={"next": next_},
    )
    assert (signup.status, signup.headers["Location"]) == (303, "/dashboard")


@pytest.mark.parametrize("page", ["999999999", "99999999999999999999999", "1000001", "0", "-1", "x"])
async def test_any_page_number_on_posts_is_a_page_not_an_error(client, page):
    response = await client.get("/posts", query={"page": page})
    assert response.status == 200


@pytest.mark.parametrize("page", ["99999999999999999999999", "1000001", "0"])
async def test_the_posts_api_refuses_page_numbers_out_of_range(client, page):
    response = await client.get("/api/posts", query={"page": page})
    assert response.status == 400 and response.json()["issues"][0]["path"] == ["page"]


# --- one password rule ---------------------------------------------------------------------------

PASSWORD_CASES = [
    ("short", "Password must be at least 8 characters"),
    ("é" * 37, "Password must be at most 72 bytes"),  # 74 bytes
    ("tab\there-long", "Password must not contain control characters"),
    ("line\nbreak-long", "Password must not contain control characters"),
    ("c1\u0085control-long", "Password must not contain control characters"),
]


@pytest.mark.parametrize("password, message", PASSWORD_CASES)
async def test_a_password_refused_at_signup_is_refused_by_a_change_with_the_same_message(
    client, password, message
):
    refused = await client.post("/api/auth/signup", json_body={**SIGNUP, "password": password})
    assert refused.status == 400
    [issue] = refused.json()["issues"]
    assert issue["path"] == ["password"] and issue["message"].startswith(message)
    form = await client.post("/signup", form={**SIGNUP, "password": password})
    assert form.status == 400 and message in form.text
    await signed_up(client)
    change = await client.post(
        "/account", form={"intent": "password", "current_password": PASSWORD, "new_password": password}
    )
    assert change.status == 400 and message in change.text
    assert (await login_api(client.another())).status == 200  # the old password still works


@pytest.mark.parametrize(
    "password",
    [
        "  spaces around  ",
        "ünïcödé pässwörd",
        "é" * 36,  # exactly 72 bytes
        "emoji 🙂 password",
        "quotes \" ' and \\ backslash",
    ],
)
async def test_a_password_accepted_at_signup_always_logs_in(client, password):
    assert (await client.post("/api/auth/signup", json_body={**SIGNUP, "password": password})).status == 201
    assert (await login_api(client.another(), password=password)).status == 200
    form = await client.another().post("/login", form={"email": "ada@example.com", "password": password})
    assert form.status == 303


@pytest.mark.parametrize("name", ["a\x01b", "\x7fname", "bell\x07"])
async def test_names_with_control_characters_are_refused(client, name):
    response = await client.post("/api/auth/signup", json_body={**SIGNUP, "name": name})
    assert response.status == 400 and response.json()["issues"][0]["path"] == ["name"]
