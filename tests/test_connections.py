"""Keep-alive connections survive every refusal: a refused request's body is read and dropped
so the next request on the same connection is answered; a body over its limit gets
Connection: close and a clean end of stream, never a reset. Raw sockets, because an HTTP
library hides how a connection ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import replace

import pytest
import tornado.testing

from app import make_app
from core.server import make_server
from tests.raw_http import RawConnection, chunked, request_bytes

pytestmark = pytest.mark.gen_test(timeout=120)

REPEATS = 5
TOKEN = {"Cookie": "_xsrf=tok", "X-XSRFToken": "tok"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# a body a few reads long, so that the refusal is ready well before the body has arrived
LOGIN = json.dumps({"email": "ada@example.com", "password": "x" * 200_000}).encode()
FORM_BODY = b"name=Ada&intent=name&filler=" + b"x" * 200_000
NEXT = request_bytes("GET", "/healthz")


@pytest.fixture
def session_mode():
    return "database"  # how a connection ends does not depend on the session mode


@pytest.fixture(autouse=True)
def no_errors_logged(caplog):
    """Whatever a client sends, the server logs no error (an exception in its connection
    handling would be logged, not raised into the test)."""
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


@contextlib.asynccontextmanager
async def serving(application, settings):
    """The app behind the server `python app.py` runs (core.server), on a free port."""
    sock, port = tornado.testing.bind_unused_port()
    server = make_server(application, settings, max_body_size=application.max_body_size)
    server.add_socket(sock)
    try:
        yield port
    finally:
        server.stop()
        await server.close_all_connections()


async def in_thread(function, *args):
    """Blocking socket code, run beside the event loop that serves it."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def refused_then_answered(port: int, refused: bytes, status: int) -> None:
    """The refusal, then a good request on the same connection: one after the other, and
    pipelined (sent before the refusal is read)."""
    for _ in range(REPEATS):
        with RawConnection(port) as conn:
            first = conn.exchange(refused)
            assert first.status == status, first
            assert first.headers.get("connection") != "close"
            assert conn.exchange(NEXT).status == 200
        with RawConnection(port) as conn:
            conn.send(refused + NEXT)
            assert conn.read_response().status == status
            assert conn.read_response().status == 200


def refused_then_closed(port: int, refused: bytes, status: int) -> None:
    """The refusal says Connection: close and the connection ends cleanly (EOF, not a
    reset), even with a next request already sent behind the refused body."""
    for pipelined in (False, True) * REPEATS:
        with RawConnection(port) as conn:
            conn.send(refused + NEXT if pipelined else refused)
            first = conn.read_response()
            assert first.status == status, first
            assert first.headers.get("connection") == "close"
            assert conn.read_to_end() == b""


DRAINED = {
    "api, no XSRF token": (request_bytes("POST", "/api/auth/login", JSON, LOGIN), 403),
    "api, cross-site": (
        request_bytes("POST", "/api/auth/login", {**TOKEN, **JSON, "Sec-Fetch-Site": "cross-site"}, LOGIN),
        403,
    ),
    "api, signed out": (
        request_bytes("PUT", "/api/me/avatar", {**TOKEN, "Content-Type": "image/png"}, b"\x89PNG" + LOGIN),
        401,
    ),
    "api, method not allowed": (request_bytes("PATCH", "/api/auth/login", {**TOKEN, **JSON}, LOGIN), 405),
    "api, not JSON": (
        request_bytes("POST", "/api/auth/login", {**TOKEN, "Content-Type": "text/plain"}, LOGIN),
        415,
    ),
    "api, no such route": (request_bytes("POST", "/api/nowhere", {**TOKEN, **JSON}, LOGIN), 404),
    "api, chunked and refused": (
        request_bytes(
            "POST", "/api/auth/login", {**JSON, "Transfer-Encoding": "chunked"}, chunked(LOGIN, 4096)
        ),
        403,
    ),
    "page, no XSRF token": (request_bytes("POST", "/login", FORM, FORM_BODY), 403),
    "page, cross-site": (
        request_bytes("POST", "/login", {**TOKEN, **FORM, "Sec-Fetch-Site": "cross-site"}, FORM_BODY),
        403,
    ),
    "page, signed out": (request_bytes("POST", "/account", {**TOKEN, **FORM}, FORM_BODY), 303),
    "page without an action": (request_bytes("POST", "/dashboard", {**TOKEN, **FORM}, FORM_BODY), 405),
    "page, form over its limit": (
        request_bytes("POST", "/login", {**TOKEN, **FORM}, b"a=" + b"x" * (1024 * 1024)),
        413,
    ),
    "page, chunked form over its limit": (
        request_bytes(
            "POST",
            "/login",
            {**TOKEN, **FORM, "Transfer-Encoding": "chunked"},
            chunked(b"a=" + b"x" * (1024 * 1024)),
        ),
        413,
    ),
}


@pytest.mark.parametrize("case", DRAINED)
async def test_a_refused_request_leaves_the_connection_usable(real_app, auth_settings, case):
    refused, status = DRAINED[case]
    async with serving(real_app, auth_settings) as port:
        await in_thread(refused_then_answered, port, refused, status)


OVER_LIMIT = b"x" * (1024 * 1024 + 1)  # the API's default BODY_LIMIT is 1mb

CLOSED = {
    "api, declared length over the limit": (
        request_bytes("POST", "/api/auth/login", {**TOKEN, **JSON}, OVER_LIMIT),
        413,
    ),
    "api, chunked body over the limit": (
        request_bytes(
            "POST", "/api/auth/login", {**TOKEN, **JSON, "Transfer-Encoding": "chunked"}, chunked(OVER_LIMIT)
        ),
        413,
    ),
    "api, refused with a body over the limit": (
        request_bytes("POST", "/api/auth/login", JSON, OVER_LIMIT),
        403,
    ),
    "api, refused with a chunked body over the limit": (
        request_bytes(
            "POST", "/api/auth/login", {**JSON, "Transfer-Encoding": "chunked"}, chunked(OVER_LIMIT)
        ),
        403,
    ),
}


@pytest.mark.parametrize("case", CLOSED)
async def test_a_body_over_the_limit_ends_the_connection_cleanly(real_app, auth_settings, case):
    refused, status = CLOSED[case]
    async with serving(real_app, auth_settings) as port:
        await in_thread(refused_then_closed, port, refused, status)


async def test_a_body_over_what_the_server_reads_at_all_ends_cleanly(real_app, auth_settings):
    """A declared length past every route's limit (the server's max_body_size) is answered
    from the head alone; only part of the body is sent, as a client that reads the answer
    before sending everything would."""
    declared = real_app.max_body_size + 1
    headers = {**TOKEN, **FORM, "Content-Length": str(declared)}
    head = request_bytes("POST", "/login", headers)
    async with serving(real_app, auth_settings) as port:
        await in_thread(refused_then_closed, port, head + b"x" * 100_000, 413)


async def test_a_rate_limited_request_leaves_the_connection_usable(auth_settings):
    settings = replace(auth_settings, api_rate_limit=1)
    application = make_app(settings)
    body = request_bytes("POST", "/api/auth/login", {**TOKEN, **JSON}, LOGIN)
    form = request_bytes("POST", "/login", {**TOKEN, **FORM}, FORM_BODY)
    try:
        async with serving(application, settings) as port:

            def scenario() -> None:
                with RawConnection(port) as conn:  # the one request the limit allows
                    assert conn.exchange(body).status == 401
                refused_then_answered(port, body, 429)
                refused_then_answered(port, form, 429)

            await in_thread(scenario)
    finally:
        await application.db.dispose()
