"""Sign-up, login and logout, through the forms and through the API, in both session modes
and on both databases."""

import asyncio

import pytest

from tests.auth_helpers import PASSWORD, login_api, me, session_cookie, signed_up, signup_api

pytestmark = pytest.mark.gen_test


@pytest.fixture
def app(real_app):
    return real_app


# --- through the forms ---------------------------------------------------------------------


async def test_signup_form_lands_on_the_dashboard(client):
    page = await client.get("/signup")
    assert page.status == 200
    for needle in (
        'name="name"',
        'autocomplete="name"',
        'autocomplete="email"',
        'autocomplete="new-password"',
        'name="_xsrf"',
        '<label for="email">',
        "aria-live",
    ):
        assert needle in page.text, needle
    response = await client.post(
        "/signup", form={"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    )
    assert (response.status, response.headers["Location"]) == (303, "/dashboard")
    dashboard = await client.get("/dashboard")
    assert dashboard.status == 200
    assert '<dd id="user-name">Ada</dd>' in dashboard.text
    # the address may break after its @ and before a dot (<wbr>), and reads the same
    assert '<dd id="user-email">ada@example.com</dd>' in dashboard.text.replace("<wbr>", "")
    assert '<dd id="user-role">user</dd>' in dashboard.text
    assert "Member since" in dashboard.text


async def test_logout_button_ends_the_session_and_closes_the_dashboard(client):
    await signed_up(client)
    dashboard = await client.get("/dashboard")
    assert 'action="/logout"' in dashboard.text  # the nav's button
    response = await client.post("/logout")
    assert (response.status, response.headers["Location"]) == (303, "/login?signed_out=1")
    closed = await client.get("/dashboard")
    assert (closed.status, closed.headers["Location"]) == (307, "/login?next=%2Fdashboard")


async def test_login_form_lands_on_the_dashboard(client):
    await signed_up(client)
    await client.post("/logout")
    response = await client.post("/login", form={"email": "ADA@example.com ", "password": PASSWORD})
    assert (response.status, response.headers["Location"]) == (303, "/dashboard")
    assert (await client.get("/dashboard")).status == 200


async def test_login_form_wrong_password_keeps_the_email_and_says_so(client):
    await signed_up(client)
    await client.post("/logout")
    response = await client.post("/login", form={"email": "ada@example.com", "password": "not it at all"})
    assert response.status == 401
    assert 'role="alert">Invalid email or password.</p>' in response.text
    assert 'value="ada@example.com"' in response.text
    assert "not it at all" not in response.text


async def test_signup_form_errors_stay_beside_fields_and_keep_input_but_not_password(client):
    response = await client.post(
        "/signup", form={"name": "Grace", "email": "not-an-email", "password": "short"}
    )
    assert response.status == 400
    assert 'id="email-error" aria-live="polite">Enter a valid email address' in response.text
    assert 'id="password-error" aria-live="polite">Password must be at least 8 characters' in response.text
    assert 'value="Grace"' in response.text and 'value="not-an-email"' in response.text
    assert 'value="short"' not in response.text


async def test_signup_form_duplicate_email_is_409_with_the_reason(client):
    await signed_up(client)
    other = client.another()
    response = await other.post(
        "/signup", form={"name": "Eve", "email": "Ada@Example.com", "password": PASSWORD}
    )
    assert response.status == 409
    assert "This email is already registered" in response.text


@pytest.mark.parametrize(
    "evil", ["//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/x"]
)
@pytest.mark.one_session_mode
@pytest.mark.one_database
async def test_next_that_leaves_the_site_is_ignored(client, evil):
    await signed_up(client)
    await client.post("/logout")
    response = await client.post(
        "/login", form={"email": "ada@example.com", "password": PASSWORD}, query={"next": evil}
    )
    assert response.headers["Location"] == "/dashboard"


async def test_same_site_next_is_honoured_by_login_and_signup(client):
    response = await client.post(
        "/signup",
        form={"name": "Ada", "email": "ada@example.com", "password": PASSWORD},
        query={"next": "/account?tab=1"},
    )
    assert response.headers["Location"] == "/account?tab=1"
    await client.post("/logout")
    response = await client.post(
        "/login", form={"email": "ada@example.com", "password": PASSWORD}, query={"next": "/account"}
    )
    assert response.headers["Location"] == "/account"


async def test_signed_in_visitors_are_sent_from_login_and_signup_to_the_dashboard(client):
    await signed_up(client)
    for path in ("/login", "/signup", "/login?next=/account"):
        response = await client.get(path)
        assert (response.status, response.headers["Location"]) == (307, "/dashboard"), path


async def test_forms_need_the_xsrf_token_and_change_nothing_without_it(client):
    response = await client.post(
        "/signup", form={"name": "Ada", "email": "ada@example.com", "password": PASSWORD}, xsrf=False
    )
    assert response.status == 403
    assert (await login_api(client)).status == 401  # no user was created


# --- through the API -----------------------------------------------------------------------


async def test_api_signup_is_201_with_the_user_and_a_session_cookie(client):
    response = await signup_api(client, email="  Ada@Example.COM ")
    assert response.status == 201
    assert response.json() == {
        "user": {
            "id": 1,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "role": "user",
            "email_verified": False,
        }
    }
    cookie = session_cookie(response)
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"):  # sign-up: 30 days
        assert attribute in cookie
    assert "Secure" not in cookie  # only in production
    assert (await me(client)).json() == response.json()


async def test_api_login_and_logout(client):
    await signed_up(client)
    assert (await client.post("/api/auth/logout")).json() == {"success": True}
    assert "session" not in client.cookies
    assert (await me(client)).status == 401
    response = await login_api(client)
    assert (response.status, response.json()) == (200, {"success": True})
    session_cookie(response)
    assert (await me(client)).json()["user"]["email"] == "ada@example.com"


async def test_me_signed_out_is_401(client):
    response = await me(client)
    assert (response.status, response.json()) == (401, {"error": "User is not authenticated"})


async def test_wrong_password_and_unknown_email_get_the_same_401(client):
    await signed_up(client)
    other = client.another()
    wrong = await login_api(other, password="wrong password!")
    unknown = await login_api(other, email="nobody@example.com")
    too_long = await login_api(other, password="x" * 100)
    for response in (wrong, unknown, too_long):
        assert (response.status, response.body) == (401, b'{"error":"Invalid credentials."}')
        assert "session" not in other.cookies


async def test_duplicate_email_in_another_case_is_409(client):
    await signed_up(client)
    response = await signup_api(client.another(), email="ADA@example.com")
    assert response.status == 409
    assert response.json()["error"] == "Email already registered"


@pytest.mark.parametrize(
    "body, path, message",
    [
        (
            {"name": "Ada", "email": "ada@example.com", "password": "seven77"},
            ["password"],
            "at least 8 characters",
        ),
        ({"name": "Ada", "email": "ada@example.com", "password": "a" * 73}, ["password"], "at most 72 bytes"),
        ({"name": "Ada", "email": "ada@example.com", "password": "é" * 37}, ["password"], "at most 72 bytes"),
        ({"name": "Ada", "email": "ada@example", "password": PASSWORD}, ["email"], "valid email address"),
        (
            {"name": "Ada", "email": "ada@@example.com", "password": PASSWORD},
            ["email"],
            "valid email address",
        ),
        ({"email": "ada@example.com", "password": PASSWORD}, ["name"], "Enter your name."),
        ({"name": "Ada", "password": PASSWORD}, ["email"], "Enter your email address."),
        ({"name": "Ada", "email": "ada@example.com"}, ["password"], "Choose a password."),
        ({"name": "   ", "email": "ada@example.com", "password": PASSWORD}, ["name"], "Enter your name"),
        ({"name": "Ada", "email": 5, "password": PASSWORD}, ["email"], "Must be a string"),
    ],
)
@pytest.mark.one_session_mode
@pytest.mark.one_database
async def test_each_validation_rule_is_a_400_naming_the_field(client, body, path, message):
    response = await client.post("/api/auth/signup", json_body=body)
    assert response.status == 400
    data = response.json()
    assert data["error"] == "Validation error"
    assert any(i["path"] == path and message in i["message"] for i in data["issues"]), data
    assert (
        await login_api(client, email="ada@example.com", password=body.get("password", PASSWORD))
    ).status == 401


async def test_a_password_of_exactly_72_bytes_works(client):
    password = "a" * 70 + "é"  # 72 bytes in UTF-8
    await signed_up(client, password=password)
    await client.post("/api/auth/logout")
    assert (await login_api(client, password=password)).status == 200
    assert (await login_api(client.another(), password=password[:-1] + "e")).status == 401


async def test_a_body_that_is_not_an_object_is_a_validation_error(client):
    response = await client.post("/api/auth/signup", json_body=["ada"])
    assert response.status == 400
    assert response.json()["issues"] == [{"path": [], "message": "Expected a JSON object or a form."}]


async def test_api_needs_the_xsrf_token_and_creates_nothing_without_it(client):
    response = await client.post(
        "/api/auth/signup",
        json_body={"name": "Ada", "email": "ada@example.com", "password": PASSWORD},
        xsrf=False,
    )
    assert (response.status, response.json()) == (
        403,
        {
            "error": "Missing or invalid XSRF token: send the _xsrf cookie with the X-XSRFToken header "
            "(GET /api/auth/csrf gives both)"
        },
    )
    assert (await signup_api(client)).status == 201  # the address was still free


async def test_csrf_endpoint_hands_out_a_working_token(client):
    fresh = client.another()
    response = await fresh.get("/api/auth/csrf", xsrf=False)
    token = response.json()["csrfToken"]
    assert fresh.cookies.get("_xsrf")
    signup = await fresh.post(
        "/api/auth/signup",
        json_body={"name": "Ada", "email": "ada@example.com", "password": PASSWORD},
        headers={"X-XSRFToken": token},
        xsrf=False,
    )
    assert signup.status == 201


async def test_ten_concurrent_signups_with_one_email_make_one_account(client):
    clients = [client.another() for _ in range(10)]
    responses = await asyncio.gather(*(signup_api(c, name=f"User {i}") for i, c in enumerate(clients)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 9, statuses


async def test_logout_is_a_post_only_page(client):
    response = await client.get("/logout")
    assert (response.status, response.headers["Allow"]) == (405, "POST")


@pytest.mark.parametrize("field", ["name", "email", "password"])
@pytest.mark.one_session_mode
async def test_nul_characters_are_a_validation_error_not_a_crash(client, field):
    body = {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    body[field] = body[field][:3] + "\x00" + body[field][3:]
    response = await client.post("/api/auth/signup", json_body=body)
    assert response.status == 400
    assert response.json()["issues"] == [{"path": [field], "message": "Must not contain NUL characters."}]
    login = await client.post("/api/auth/login", json_body={"email": "a\x00@example.com", "password": "x"})
    assert login.status == 400
