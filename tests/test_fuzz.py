"""No input a client can send produces a 5xx: schemathesis against the published OpenAPI
document, and hypothesis throwing generated paths, queries, headers, cookies and bodies at
every page and API route, in both session modes, on SQLite and PostgreSQL. The generators
produce the hostile classes on purpose: lone surrogates, control characters, deep nesting,
huge integers, values of the wrong type, validly signed cookies with garbage inside. Bounded
in examples; the limits that would turn fuzzing into 429s are raised through their settings."""

from __future__ import annotations

import http.client
import json
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import schemathesis
import tornado.web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from core.application import key_versions
from core.pages import build_id
from tests.dbutil import BACKENDS, ROOT, alembic, fresh_database
from tests.harness import RunningApp, app_environment, free_port, run_app

XSRF = "fuzz-token"
PASSWORD = "correct horse battery"


@dataclass
class Running:
    base: str
    port: int
    cookie: str  # a signed-in admin's session cookie (and the XSRF cookie)
    mode: str


SECRET = "fuzz-secret-key-0123456789-abcdefghijklmn"


def sign_up_an_admin(app: RunningApp) -> str:
    """The session cookie (and the XSRF pair) of an admin signed up on the running app."""
    body = json.dumps({"name": "Fuzz Admin", "email": "fuzz@example.com", "password": PASSWORD}).encode()
    request = urllib.request.Request(
        app.base + "/api/auth/signup",
        data=body,
        headers={"Content-Type": "application/json", "Cookie": f"_xsrf={XSRF}", "X-XSRFToken": XSRF},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        session = response.headers["Set-Cookie"].split(";")[0]
    assert app.command("promote", "fuzz@example.com").returncode == 0
    return f"{session}; _xsrf={XSRF}"


@pytest.fixture(
    scope="module",
    params=[(mode, backend) for backend in BACKENDS for mode in ("database", "stateless")],
    ids=lambda p: "-".join(p),
)
def running(request, tmp_path_factory):
    mode, backend = request.param
    folder = tmp_path_factory.mktemp(f"fuzz-{mode}-{backend}")
    with fresh_database(backend, folder) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        port = free_port()
        env = app_environment(
            url,
            SESSION_MODE=mode,
            APP_ENV="production",
            SECRET_KEY=SECRET,
            BCRYPT_ROUNDS="10",  # the least production accepts
            UPLOAD_DIR=str(folder / "uploads"),
            API_RATE_LIMIT="0",
            LOGIN_MAX_FAILURES="0",
            ADDRESS_MAX_FAILURES="0",
            SIGNUP_MAX_PER_ADDRESS="0",
            PASSWORD_RESET_MAX_PER_EMAIL="0",
            PASSWORD_RESET_MAX_PER_ADDRESS="0",
            APP_URL=f"http://localhost:{port}",  # a host name: passkeys are on (WebAuthn takes no IP)
            MAIL_URL="smtp://127.0.0.1:1",  # production needs a mail server; none answers here
        )
        with run_app(env, "--workers", "1", log=folder / "server.log", port=port) as app:
            yield Running(app.base, app.port, sign_up_an_admin(app), mode)
    log = (folder / "server.log").read_text()
    assert "Traceback" not in log, log[-4000:]


# --- schemathesis, from the OpenAPI document --------------------------------------------------


def test_the_api_keeps_to_its_openapi_document(running):
    """Every operation, with cases generated from its schema: no 5xx, and each answer's status,
    content type and body as documented. (Driven by hand: schemathesis' pytest plugin and
    pytest 9 do not get along.)"""
    schema = schemathesis.openapi.from_url(running.base + "/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(
                base_url=running.base,
                headers={"X-XSRFToken": XSRF, "Cookie": running.cookie},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        check()


def test_the_document_covers_every_api_route(running):
    with urllib.request.urlopen(running.base + "/api/openapi.json", timeout=10) as response:
        document = json.load(response)
    assert document["openapi"] == "3.1.0"
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert {
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/csrf", "get"),
        ("/api/me", "get"),
        ("/api/admin/users", "get"),
        ("/api/posts", "get"),
        ("/api/posts", "post"),
        ("/api/posts/{id}", "get"),
        ("/api/posts/{id}", "put"),
        ("/api/posts/{id}", "patch"),
        ("/api/posts/{id}", "delete"),
        ("/api/me/avatar", "put"),
        ("/api/me/avatar", "delete"),
        ("/api", "get"),
        ("/api/auth/reauth", "post"),
        ("/api/me", "delete"),
        ("/api/me/export", "get"),
    } <= operations


# --- hypothesis, at every page and route ---------------------------------------------------

BUILD = build_id(ROOT / "pages", ROOT / "static")  # the page data route's, as the app computes it
PATHS = [
    "/",
    "/signup",
    "/login",
    "/logout",
    "/dashboard",
    "/account",
    "/account/delete",
    "/reauth",
    "/goodbye",
    "/admin",
    "/posts",
    "/posts/new",
    "/posts/1",
    "/posts/1/edit",
    "/posts/1/delete",
    "/api",
    "/api/auth/signup",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/auth/csrf",
    "/api/me",
    "/api/me/avatar",
    "/api/me/export",
    "/api/auth/reauth",
    "/api/admin/users",
    "/api/posts",
    "/api/posts/1",
    "/api/openapi.json",
    "/healthz",
    "/readyz",
    "/404",
    "/500",
    "/static/app.css",
    "/media/x",
    "/_live",
    "/_live?page=/posts",
    "/_data/0000000000000000/posts.json",
    f"/_data/{BUILD}/posts.json",
    f"/_data/{BUILD}/posts/1.json",
    f"/_data/{BUILD}/dashboard.json",
    f"/_data/{BUILD}/admin.json",
]
ALLOWED_STATUSES = {200, 201, 204, 301, 302, 303, 304, 307, 308}
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
# what a JSON body may carry that no text field should hold: lone surrogates and controls
hostile_text = st.one_of(
    text,
    st.text(st.characters(categories=("Cs", "Cc")), min_size=1, max_size=8),
    st.builds(lambda a, b: a + "\ud800" + b, text, text),
)
huge_integers = st.one_of(
    st.integers(), st.integers(min_value=2**31, max_value=10**40).map(lambda n: n * 10**300)
)
json_scalars = st.one_of(hostile_text, huge_integers, st.floats(), st.booleans(), st.none())
json_values = st.one_of(
    json_scalars,
    st.lists(json_scalars, max_size=3),
    st.dictionaries(text, json_scalars, max_size=3),
    st.lists(st.dictionaries(text, st.lists(json_scalars, max_size=2), max_size=2), max_size=2),
)  # deeper nesting comes from deeply_nested below
FIELDS = [
    "name", "email", "password", "title", "body", "published", "current_password", "new_password",
    "page", "per_page", "author", "intent", "session_id", "user_id", "role",
]  # fmt: skip


def deeply_nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


# header names: RFC 9110 token characters
token = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"),
    min_size=1,
    max_size=20,
)
header_value = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@st.composite
def requests_(draw):
    path = draw(st.sampled_from(PATHS))
    extra = draw(st.lists(text, max_size=3))
    if extra:
        path = path.rstrip("/") + "/" + "/".join(quote(e, safe="") or "x" for e in extra)
    if draw(st.booleans()):
        path += "?" + "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}"
            for k, v in draw(st.lists(st.tuples(text, text), max_size=4))
        )
    if draw(st.booleans()):
        path += draw(st.sampled_from(["%", "%zz", "%FF", "//x", "/", "%2F..%2F", "/..", "%00"]))
    method = draw(st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
    headers = dict(draw(st.lists(st.tuples(token.map(lambda t: "X-" + t), header_value), max_size=3)))
    for name in draw(
        st.lists(
            st.sampled_from(
                [
                    "Content-Type",
                    "Origin",
                    "Sec-Fetch-Site",
                    "X-Forwarded-For",
                    "Accept",
                    "User-Agent",
                    "X-XSRFToken",
                ]
            ),
            max_size=4,
            unique=True,
        )
    ):
        headers[name] = draw(
            st.one_of(
                header_value,
                st.sampled_from(
                    [
                        "application/json",
                        "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=b",
                        "text/plain",
                        "null",
                        "cross-site",
                        "same-origin",
                        XSRF,
                        "1.2.3.4, 5.6.7.8",
                    ]
                ),
            )
        )
    if draw(st.booleans()):  # known query fields with odd values: huge page numbers and the like
        path += ("&" if "?" in path else "?") + "&".join(
            f"{k}={quote(str(v), safe='')}"
            for k, v in draw(
                st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(text, huge_integers)), max_size=3)
            )
        )
    cookie = draw(st.sampled_from(["signed-in", "garbage", "none", "tampered", "signed-garbage"]))
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            st.builds(
                lambda d: json.dumps(d, allow_nan=True).encode(),
                st.dictionaries(st.one_of(st.sampled_from(FIELDS), text), json_values, max_size=5),
            ),
            st.integers(min_value=1, max_value=3000).map(deeply_nested),
            st.builds(
                lambda field, depth: f'{{"{field}": {deeply_nested(depth).decode()}}}'.encode(),
                st.sampled_from(FIELDS),
                st.integers(min_value=1, max_value=1200),
            ),
            st.just(
                b'{"title": "t", "body": "b", "published": true, "name": "N", "email": "n@example.com", "password": "correct horse battery"}'
            ),
        )
    )
    payload = draw(st.one_of(json_values.map(lambda v: json.dumps(v, allow_nan=True)), text))
    return method, path, headers, (cookie, payload), body


def signed(payload: str) -> str:
    """A session cookie with a valid signature around whatever payload: what only a key holder
    could make, so it must still never be a server error."""
    secrets, newest = key_versions((SECRET,))
    return tornado.web.create_signed_value(secrets, "session", payload, key_version=newest).decode()


def send(running: Running, method: str, path: str, headers: dict, cookie_kind, body: bytes) -> int:
    cookie, payload = cookie_kind
    cookies = {
        "signed-in": running.cookie,
        "garbage": "session=%%%garbage; _xsrf=" + XSRF,
        "none": "",
        "tampered": running.cookie.replace("|", "|0", 1),
        "signed-garbage": f'session="{signed(payload)}"; _xsrf={XSRF}',
    }[cookie]
    all_headers = {**headers}
    if cookies:
        all_headers["Cookie"] = cookies
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=15)
    try:
        connection.request(
            method, path, body=body if method not in ("GET", "HEAD") else None, headers=all_headers
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@given(request=requests_())
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_generated_request_gets_a_server_error(running, request):
    method, path, headers, cookie, body = request
    status = send(running, method, path, headers, cookie, body)
    if path.split("?", 1)[0] == "/500" and method in ("GET", "HEAD"):
        return  # the error page's own address answers 500 by design (the contract)
    assert status < 500, (status, method, path, headers, cookie, body[:100])
    assert status in ALLOWED_STATUSES or 400 <= status < 500, status
