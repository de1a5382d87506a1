"""CSRF in depth, JSON-only auth endpoints, XSRF token rotation, CORS, security headers,
no-store on session answers, and the audit log."""

from dataclasses import replace

import pytest
import tornado.httpserver
import tornado.testing

from app import make_app
from tests.auth_helpers import PASSWORD, login_api, make_admin, signed_up
from tests.conftest import XSRF, Client

pytestmark = [pytest.mark.gen_test, pytest.mark.one_session_mode]


@pytest.fixture
def app(real_app):
    return real_app


async def serve(application):
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(application)
    server.add_socket(sock)
    return server, f"http://localhost:{port}"


async def stop(server, application):
    server.stop()
    await server.close_all_connections()
    await application.db.dispose()


# --- fetch metadata and Origin ------------------------------------------------------------

BODY = {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
    ],
)
@pytest.mark.one_database
async def test_cross_origin_unsafe_requests_are_refused_even_with_the_token(client, headers):
    api = await client.post("/api/auth/signup", json_body=BODY, headers=headers)
    assert api.status == 403 and "refused" in api.json()["error"]
    form = await client.post("/signup", form=BODY, headers=headers)
    assert form.status == 403
    assert (await login_api(client)).status == 401  # no account was made


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}, {"Origin": "self"}]
)
@pytest.mark.one_database
async def test_same_origin_and_non_browser_requests_pass(client, headers):
    if headers.get("Origin") == "self":
        headers = {"Origin": client.base_url}
    assert (await client.post("/api/auth/signup", json_body=BODY, headers=headers)).status == 201


async def test_safe_methods_are_not_checked(client):
    response = await client.get(
        "/api/posts", headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "email=ada%40example.com&password=correct+horse+battery"),
        ("text/plain", '{"email": "ada@example.com", "password": "correct horse battery"}'),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
@pytest.mark.one_database
async def test_json_auth_endpoints_accept_only_json(client, content_type, body):
    await signed_up(client)
    for path in ("/api/auth/login", "/api/auth/signup"):
        response = await client.post(path, body=body, headers={"Content-Type": content_type})
        assert response.status == 415, path
        assert response.json() == {"error": "Send a JSON body with Content-Type: application/json"}


async def test_the_xsrf_token_rotates_at_login_and_logout(client):
    await signed_up(client)
    await client.post("/api/auth/logout")
    response = await login_api(client)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("Set-Cookie")}
    assert "_xsrf" in cookies and f"_xsrf={XSRF}" not in cookies["_xsrf"]
    assert "SameSite=Lax" in cookies["_xsrf"]
    form_login = await client.another().post(
        "/login", form={"email": "ada@example.com", "password": PASSWORD}
    )
    assert any(c.startswith("_xsrf=") for c in form_login.headers.get_list("Set-Cookie"))


# --- CORS --------------------------------------------------------------------------------

ALLOWED = "https://app.example"


async def test_cors_is_off_by_default(client):
    for method in ("GET", "OPTIONS"):
        response = await client.request(
            method, "/api/posts", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}
        )
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_cors_allow_list(auth_settings, http_client):
    application = make_app(replace(auth_settings, cors_origins=(ALLOWED, "null")))
    server, base = await serve(application)
    try:
        c = Client(http_client, base)
        preflight = await c.request(
            "OPTIONS",
            "/api/posts",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
        assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
        assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST"
        assert "X-XSRFToken" in preflight.headers["Access-Control-Allow-Headers"]
        got = await c.get("/api/posts", headers={"Origin": ALLOWED})
        assert got.headers["Access-Control-Allow-Origin"] == ALLOWED and got.headers["Vary"] == "Origin"
        error = await c.get("/api/me", headers={"Origin": ALLOWED})
        assert error.status == 401 and error.headers["Access-Control-Allow-Origin"] == ALLOWED
        for origin in ("https://evil.example", "null", "https://app.example.evil.example"):
            other = await c.get("/api/posts", headers={"Origin": origin})
            assert "Access-Control-Allow-Origin" not in other.headers, origin
        # a listed origin may post (the fetch-metadata check trusts it); others may not
        ok = await c.post(
            "/api/auth/signup", json_body=BODY, headers={"Origin": ALLOWED, "Sec-Fetch-Site": "cross-site"}
        )
        assert ok.status == 201 and ok.headers["Access-Control-Allow-Origin"] == ALLOWED
        refused = await c.post(
            "/api/auth/login",
            json_body={"email": "x@example.com", "password": "y"},
            headers={"Origin": "null"},
        )
        assert refused.status == 403
    finally:
        await stop(server, application)


# --- production headers ------------------------------------------------------------------


async def test_production_answers_carry_the_security_headers(auth_settings, http_client):
    application = make_app(replace(auth_settings, app_env="production"))
    server, base = await serve(application)
    try:
        c = Client(http_client, base)
        answers = {
            "/": await c.get("/"),
            "/login": await c.get("/login"),
            "/nope": await c.get("/nope"),
            "/api/me": await c.get("/api/me"),
            "/api/nope": await c.get("/api/nope"),
            "/static/app.css": await c.get("/static/app.css"),
            "/healthz": await c.get("/healthz"),
            "POST /api/posts": await c.post(
                "/api/posts", body="{", headers={"Content-Type": "application/json"}
            ),
        }
        for name, response in answers.items():
            h = response.headers
            assert "frame-ancestors 'none'" in h["Content-Security-Policy"], name
            assert (
                "script-src 'self'" in h["Content-Security-Policy"]
                and "unsafe-inline" not in h["Content-Security-Policy"]
            )
            assert h["X-Content-Type-Options"] == "nosniff", name
            assert h["Referrer-Policy"] == "strict-origin-when-cross-origin", name
            assert h["Strict-Transport-Security"].startswith("max-age="), name
            assert "Access-Control-Allow-Origin" not in h, name
        assert answers["/api/nope"].json() == {"error": "Not found"}
        for name in ("POST /api/posts", "/api/me"):
            assert "Traceback" not in answers[name].text and "/work/" not in answers[name].text
    finally:
        await stop(server, application)


async def test_no_answer_names_the_server_or_its_version(client):
    """Tornado sends Server: TornadoServer/<version> on every answer unless told otherwise."""
    await client.get("/")  # the _xsrf cookie, so that the refusals below are the ones meant
    answers = {
        "page": await client.get("/"),
        "page HEAD": await client.request("HEAD", "/login"),
        "404 page": await client.get("/nope"),
        "500 page": await client.get("/500"),
        "405 page": await client.post("/dashboard"),
        "403 page": await client.post("/login", form={}, xsrf=False),
        "signed-out redirect": await client.get("/dashboard"),
        "slash redirect": await client.get("/login/"),
        "double slash redirect": await client.get("//login"),
        "api": await client.get("/api/auth/csrf"),
        "api 401": await client.get("/api/me"),
        "api 404": await client.get("/api/nope"),
        "api 400": await client.post("/api/posts", body="{", headers={"Content-Type": "application/json"}),
        "api OPTIONS": await client.request("OPTIONS", "/api/posts"),
        "static": await client.get("/static/app.css"),
        "static 404": await client.get("/static/nope.css"),
        "media 404": await client.get("/media/nope.png"),
        "healthz": await client.get("/healthz"),
        "readyz": await client.get("/readyz"),
    }
    assert answers["slash redirect"].status == 308 and answers["double slash redirect"].status == 308
    assert {answers[n].status for n in ("404 page", "api 404", "static 404", "media 404")} == {404}
    for name, response in answers.items():
        assert "Server" not in response.headers, (name, response.headers.get("Server"))


async def test_answers_that_depend_on_the_session_are_not_stored(client):
    await signed_up(client)
    for path in ("/login", "/api/me", "/dashboard", "/account", "/posts"):
        response = await client.get(path)
        assert "no-store" in response.headers["Cache-Control"], path
    for response in (
        await client.post("/logout"),
        await login_api(client),
        await client.post("/api/auth/logout"),
    ):
        assert "no-store" in response.headers["Cache-Control"]
    assert "no-store" not in (await client.get("/static/app.css")).headers.get("Cache-Control", "")


# --- the audit log -----------------------------------------------------------------------


async def test_the_audit_log_records_authentication_events_for_admins(client):
    await signed_up(client)
    await make_admin("ada@example.com")
    bob = client.another()
    bob_user = await signed_up(bob, name="Bob", email="bob@example.com")
    await login_api(client.another(), email="bob@example.com", password="not bobs password")
    await login_api(client.another(), email="ghost@example.com", password="boo boo boo")
    await bob.post(
        "/account", form={"intent": "password", "current_password": "nope nope", "new_password": "x" * 10}
    )
    await bob.post(
        "/account", form={"intent": "password", "current_password": PASSWORD, "new_password": "y" * 10}
    )
    await client.post("/admin", form={"user_id": str(bob_user["id"]), "role": "admin"})
    await bob.post("/account", form={"intent": "everywhere"})
    await bob.post("/api/auth/logout")
    page = await client.get("/admin")
    assert page.status == 200
    events = page.text.split('<table class="events')[1]
    for kind in (
        "signup",
        "login failed",
        "password change failed",
        "password changed",
        "role changed",
        "signed out everywhere",
        "logout",
    ):
        assert f'data-label="Event">{kind}</td>' in events, kind
    assert "unknown email" in events and "wrong password" in events
    assert "ghost@example.com" in events.replace("<wbr>", "")  # may break after @ and before a dot
    assert "not bobs password" not in events and "boo boo boo" not in events
    assert (await bob.get("/admin")).status in (307, 403)
