"""The database path: counted, not timed. A warm /api/me is one statement on one check-out, a
warm /dashboard two (three with a count) on one check-out, in both session modes; dead
connections are replaced without a 5xx; a request never holds more than one connection, and
gives it back whatever the client does; the pool does not churn under load."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

import pytest
import tornado.httpclient
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.auth_helpers import signed_up
from tests.conftest import Client
from tests.dbutil import BACKENDS

pytestmark = pytest.mark.gen_test


@pytest.fixture
def settings_overrides():
    # the rate counter is a statement of its own, and the load test signs up many people
    return {"api_rate_limit": 0, "signup_max_per_address": 0}


@pytest.fixture
def app(real_app):
    return real_app


class Counter:
    """Statements run, connections checked out and connections opened, by the app's engine."""

    def __init__(self, app) -> None:
        self.statements: list[str] = []
        self.checkouts = 0
        self.connects = 0
        engine = app.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "connect", self._connect)

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)

    def _checkout(self, *_args) -> None:
        self.checkouts += 1

    def _connect(self, *_args) -> None:
        self.connects += 1

    def reset(self) -> None:
        self.statements.clear()
        self.checkouts = self.connects = 0


async def test_a_warm_api_me_is_one_statement_on_one_checkout(client, app):
    await signed_up(client)
    assert (await client.get("/api/me")).status == 200  # warm: the session's clock is fresh
    counter = Counter(app)
    assert (await client.get("/api/me")).status == 200
    assert (len(counter.statements), counter.checkouts) == (1, 1), counter.statements


async def test_a_warm_dashboard_is_two_statements_on_one_checkout(client, app):
    await signed_up(client)
    assert (await client.post("/api/posts", json_body={"title": "t", "body": "b"})).status == 201
    assert (await client.get("/dashboard")).status == 200
    counter = Counter(app)
    assert (await client.get("/dashboard")).status == 200
    assert (len(counter.statements), counter.checkouts) == (2, 1), counter.statements


async def test_a_write_gives_the_read_connection_back_first(client, app):
    """POST /api/posts reads (the session) then writes: never two connections at once."""
    await signed_up(client)
    pool = app.db.engine.sync_engine.pool
    most = []
    event.listen(pool, "checkout", lambda *_: most.append(pool.checkedout()))
    assert (await client.post("/api/posts", json_body={"title": "t", "body": "b"})).status == 201
    assert most and max(most) == 1


async def test_every_connection_is_back_after_a_request(client, app):
    await signed_up(client)
    for path in ("/api/me", "/dashboard", "/posts", "/account", "/api/posts"):
        assert (await client.get(path)).status == 200
        assert app.db.engine.sync_engine.pool.checkedout() == 0, path


async def test_clients_that_drop_their_socket_mid_request_leave_no_connection_checked_out(
    client, app, base_url
):
    await signed_up(client)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    for path in ("/dashboard", "/api/me", "/api/posts") * 5:
        with socket.create_connection((host, port)) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n".encode())
        # the socket is gone before (or while) the answer is written
    await asyncio.sleep(0.3)
    for path in ("/dashboard", "/api/me"):
        assert (await client.get(path)).status == 200
    assert app.db.engine.sync_engine.pool.checkedout() == 0


@pytest.mark.gen_test(timeout=120)
async def test_a_closed_loop_load_at_three_times_the_pool_size_has_no_5xx_and_opens_no_connections(
    client, app, base_url
):
    from models.db import POOL_SIZE

    await signed_up(client)
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=3 * POOL_SIZE)
    try:
        people = [Client(http, base_url) for _ in range(3 * POOL_SIZE)]
        for i, person in enumerate(people):
            await signed_up(person, name=f"P{i}", email=f"p{i}@example.com")

        async def work(person: Client, rounds: int) -> list[int]:
            statuses = []
            for n in range(rounds):
                statuses.append((await person.get("/api/me")).status)
                statuses.append((await person.get("/dashboard")).status)
                if n % 3 == 0:
                    posted = await person.post("/api/posts", json_body={"title": f"t{n}", "body": "b"})
                    statuses.append(posted.status)
            return statuses

        await asyncio.gather(*(work(p, 2) for p in people))  # warm-up: the pool fills
        counter = Counter(app)
        results = await asyncio.gather(*(work(p, 6) for p in people))
        statuses = [s for r in results for s in r]
        assert set(statuses) <= {200, 201}, sorted(set(statuses))
        if app.db.engine.dialect.name == "postgresql":  # SQLite has no server connections to spare
            assert counter.connects == 0
        assert app.db.engine.sync_engine.pool.checkedout() == 0
    finally:
        http.close()


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"], indirect=True)
async def test_terminated_backends_are_replaced_without_an_error(client, app):
    """pg_terminate_backend: every server connection of the app dies at once."""
    await signed_up(client)
    assert (await client.get("/dashboard")).status == 200
    killer = create_async_engine(app.db.url, poolclass=NullPool)  # not one of the app's connections
    try:
        async with killer.connect() as conn:
            killed = await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert len(killed.all()) >= 1
    finally:
        await killer.dispose()
    assert (await client.get("/api/me")).status == 200
    assert (await client.get("/dashboard")).status == 200


async def test_the_session_cookie_is_checked_once_per_request(client, monkeypatch):
    """The optimistic stage hands what it read to the secure one: one HMAC check per request."""
    import tornado.web

    await signed_up(client)
    checks = []
    real = tornado.web.decode_signed_value
    monkeypatch.setattr(
        tornado.web, "decode_signed_value", lambda *a, **k: checks.append(a[1]) or real(*a, **k)
    )
    for path in ("/dashboard", "/api/me", "/posts"):
        assert (await client.get(path)).status == 200
        assert checks == ["session"], path
        checks.clear()


async def test_the_access_log_is_one_short_line(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="tornado.access"):
        assert (await client.get("/api/posts?page=1")).status == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "tornado.access"]
    assert line.startswith("200 GET /api/posts?page=1 ") and line.endswith("ms")


async def test_no_connection_is_held_while_bcrypt_runs(client, app, monkeypatch):
    """bcrypt takes a quarter of a second at cost 12: the request's connection waits in the pool."""
    from dal import passwords

    pool = app.db.engine.sync_engine.pool
    held = []
    real = passwords.bcrypt.checkpw
    monkeypatch.setattr(passwords.bcrypt, "checkpw", lambda *a: held.append(pool.checkedout()) or real(*a))
    await signed_up(client)
    assert (
        await client.post("/api/auth/login", json_body={"email": "ada@example.com", "password": "x" * 8})
    ).status == 401
    assert (
        await client.post("/api/auth/login", json_body={"email": "nobody@example.com", "password": "x" * 8})
    ).status == 401
    assert held == [0, 0]


SLOW_PAGE = """
import asyncio

from dal import posts

ACCESS = "user"


async def get_server_side_props(req):
    await posts.list_posts(req.user, posts.ListQuery())  # the request now holds a connection
    await asyncio.sleep(1)
    return {"props": {}}
"""


async def test_shutting_down_waits_for_a_request_whose_client_left_to_give_its_connection_back(
    io_loop, auth_settings, tmp_path
):
    """SIGTERM's shut_down: a request whose client went away is no longer in flight, but its
    loader still holds a connection: the pool is disposed only after it gave it back."""
    import shutil

    import tornado.httpserver
    import tornado.netutil

    from app import ROOT, make_app, shut_down
    from dal import db as dal_db

    shutil.copytree(ROOT / "pages", tmp_path / "pages")
    (tmp_path / "pages" / "slow.py").write_text(SLOW_PAGE)
    (tmp_path / "pages" / "slow.html").write_text("slow")
    app = make_app(auth_settings, pages_dir=tmp_path / "pages")
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets([sock])
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    person = Client(tornado.httpclient.AsyncHTTPClient(), base)
    await signed_up(person)
    cookie = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
    pool = app.db.engine.sync_engine.pool
    with socket.create_connection(sock.getsockname()) as raw:
        raw.sendall(f"GET /slow HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n".encode())
        while pool.checkedout() == 0:  # noqa: ASYNC110 (the loader has its connection)
            await asyncio.sleep(0.01)
    # the client is gone: the request is no longer in flight, its loader still runs
    await asyncio.sleep(0.1)
    disposed_with = []
    real_dispose = app.db.dispose

    async def dispose():
        disposed_with.append((pool.checkedout(), dal_db.open_scopes()))
        await real_dispose()

    app.db.dispose = dispose
    await shut_down(app, server)
    assert disposed_with == [(0, 0)]
