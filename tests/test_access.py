"""ACCESS, declared in the route file and enforced by core in two stages, for pages and API
routes, in both session modes; and the builder's measure: a protected page is one loader and
one template, a protected API route one file, with no other file touched.

The app here is the project's own pages and handlers plus tests/fixtures/builder copied
beside them (pages/access/{public,user,admin,guest}, handlers/access/..., the notes example).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import tornado.web
from sqlalchemy import event

from app import make_app
from core.application import key_versions
from tests.auth_helpers import make_admin, signed_up

pytestmark = pytest.mark.gen_test

ROOT = Path(__file__).resolve().parent.parent
BUILDER = Path(__file__).parent / "fixtures" / "builder"


@pytest.fixture
def app(io_loop, auth_settings, tmp_path):
    for tree in ("pages", "handlers"):
        shutil.copytree(ROOT / tree, tmp_path / tree)
        shutil.copytree(BUILDER / tree, tmp_path / tree, dirs_exist_ok=True)
    application = make_app(auth_settings, pages_dir=tmp_path / "pages", handlers_dir=tmp_path / "handlers")
    yield application
    io_loop.run_sync(application.db.dispose)


def forged(app, settings) -> str:
    """A validly signed session cookie that no session stands behind: it passes the optimistic
    stage (signature and expiry) and fails the secure one."""
    if settings.session_mode == "stateless":
        payload = '{"uid":2147483000,"role":"admin","exp":4102444800,"ver":1}'
    else:
        payload = "x" * 43
    secrets, newest = key_versions(settings.secret_keys)
    return tornado.web.create_signed_value(secrets, "session", payload, key_version=newest).decode()


class Statements:
    """Counts the SQL statements the app runs (every connection of its engine)."""

    def __init__(self, app) -> None:
        self.count = 0
        event.listen(app.db.engine.sync_engine, "before_cursor_execute", self.seen)

    def seen(self, *args) -> None:
        self.count += 1


def login_target(response) -> list[str]:
    location = response.headers["Location"]
    assert location.startswith("/login?")
    return parse_qs(urlsplit(location).query)["next"]


# --- pages ---------------------------------------------------------------------------------------


async def test_public_pages_serve_everyone(client):
    assert 'id="who">nobody<' in (await client.get("/access/public")).text
    await signed_up(client)
    assert 'id="who">Ada Lovelace<' in (await client.get("/access/public")).text
    assert (await client.post("/access/public", form={})).status == 200


async def test_user_pages_send_signed_out_visitors_to_log_in_without_touching_the_database(client, app):
    statements = Statements(app)
    got = await client.get("/access/user?x=1")
    assert got.status == 307 and login_target(got) == ["/access/user?x=1"]
    posted = await client.post("/access/user", form={})
    assert posted.status == 303 and login_target(posted) == ["/access/user"]
    assert statements.count == 0  # the optimistic stage: the cookie alone
    await signed_up(client)
    assert 'id="who">Ada Lovelace<' in (await client.get("/access/user")).text
    assert (await client.post("/access/user", form={})).status == 200


async def test_a_forged_looking_cookie_passes_the_optimistic_stage_and_gets_the_secure_answer(
    client, app, auth_settings
):
    client.cookies["session"] = forged(app, auth_settings)
    statements = Statements(app)
    response = await client.get("/access/user")
    assert response.status == 307 and login_target(response) == ["/access/user"]
    assert statements.count >= 1  # the session was looked up: the secure stage answered
    assert "session" not in client.cookies  # and the cookie was cleared
    client.cookies["session"] = forged(app, auth_settings)
    api = await client.get("/api/access/user")
    assert (api.status, api.json()) == (401, {"error": "User is not authenticated"})
    client.cookies["session"] = forged(app, auth_settings)
    assert (await client.get("/access/admin")).status == 307


async def test_a_revoked_session_gets_the_secure_answer(client):
    await signed_up(client)
    old = client.cookies["session"]
    assert (await client.post("/api/auth/logout")).status == 200
    client.cookies["session"] = old
    response = await client.get("/access/user")
    if response.status == 200:  # stateless: a logout alone cannot revoke a copied cookie
        assert "session" in client.cookies
    else:
        assert response.status == 307 and login_target(response) == ["/access/user"]


async def test_admin_pages_redirect_signed_out_refuse_users_and_serve_admins(client):
    assert (await client.get("/access/admin")).status == 307
    await signed_up(client)
    refused = await client.get("/access/admin")
    assert refused.status == 403 and "This needs the admin role." in refused.text
    assert (await client.post("/access/admin", form={})).status == 403
    await make_admin("ada@example.com")  # roles are read at every request
    assert 'id="who">Ada Lovelace<' in (await client.get("/access/admin")).text


async def test_guest_pages_send_signed_in_visitors_home(client, app, auth_settings):
    assert 'id="who">nobody<' in (await client.get("/access/guest")).text
    await signed_up(client)
    home = await client.get("/access/guest")
    assert (home.status, home.headers["Location"]) == (307, "/dashboard")
    assert (await client.post("/access/guest", form={})).status == 303
    # a forged-looking cookie: optimistically sent home, where the secure stage clears it
    other = client.another()
    other.cookies["session"] = forged(app, auth_settings)
    assert (await other.get("/access/guest")).headers["Location"] == "/dashboard"
    assert (await other.get("/dashboard")).status == 307
    assert (await other.get("/access/guest")).status == 200


# --- API routes ----------------------------------------------------------------------------------


async def test_api_access_levels(client):
    assert (await client.get("/api/access/public")).json() == {"who": None}
    signed_out = await client.get("/api/access/user")
    assert (signed_out.status, signed_out.json()) == (401, {"error": "User is not authenticated"})
    assert (await client.post("/api/access/admin", json_body={})).status == 401
    assert (await client.get("/api/access/guest")).json() == {"who": None}

    await signed_up(client)
    assert (await client.get("/api/access/user")).json() == {"who": "Ada Lovelace"}
    refused = await client.get("/api/access/admin")
    assert (refused.status, refused.json()) == (403, {"error": "This needs the admin role."})
    guest = await client.get("/api/access/guest")
    assert guest.status == 403 and "log out first" in guest.json()["error"]
    await make_admin("ada@example.com")
    assert (await client.post("/api/access/admin", json_body={})).json() == {"who": "Ada Lovelace"}


async def test_access_by_method(client):
    """ACCESS = {"GET": "public", "POST": "user"} on /api/posts."""
    assert (await client.get("/api/posts")).status == 200
    assert (await client.post("/api/posts", json_body={"title": "t", "body": "b"})).status == 401


# --- the builder's measure -----------------------------------------------------------------------


def python_lines(path: Path) -> int:
    """Lines of Python: every line that is not blank (docstring and imports included)."""
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_a_protected_page_and_a_protected_route_are_small():
    assert python_lines(BUILDER / "pages" / "notes.py") <= 15
    assert python_lines(BUILDER / "handlers" / "notes.py") <= 10


async def test_the_builder_examples_work_with_no_other_file_touched(client):
    assert (await client.get("/notes")).status == 307
    assert (await client.get("/api/notes")).status == 401
    await signed_up(client)
    created = await client.post("/api/posts", json_body={"title": "My note", "body": "x"})
    assert created.status == 201
    page = await client.get("/notes")
    assert page.status == 200 and f'href="/posts/{created.json()["id"]}">My note<' in page.text
    notes = (await client.get("/api/notes")).json()
    assert [p["title"] for p in notes["posts"]] == ["My note"]
    # someone else sees their own (empty) list
    other = client.another()
    await signed_up(other, name="Grace", email="grace@example.com")
    assert (await other.get("/api/notes")).json()["posts"] == []
