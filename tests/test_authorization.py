"""Authorization in layers: optimistic middleware, secure DAL checks, 401 vs 403, admins."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from models import Session, User
from tests.auth_helpers import PASSWORD, login_api, make_admin, me, signed_up
from tests.dbutil import ROOT

pytestmark = pytest.mark.gen_test


@pytest.fixture
def app(real_app):
    return real_app


@pytest.mark.parametrize("path", ["/dashboard", "/account", "/admin", "/account?x=1", "/posts/new"])
async def test_protected_pages_send_signed_out_visitors_to_login(client, path):
    response = await client.get(path)
    assert response.status == 307
    assert response.headers["Location"].startswith("/login?next=")
    from urllib.parse import parse_qs, urlsplit

    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == [path]


async def test_admin_api_is_401_signed_out_403_for_users_200_for_admins(client):
    signed_out = await client.get("/api/admin/users")
    assert (signed_out.status, signed_out.json()) == (401, {"error": "User is not authenticated"})
    await signed_up(client)
    user = await client.get("/api/admin/users")
    assert (user.status, user.json()) == (403, {"error": "This needs the admin role."})
    await make_admin("ada@example.com")
    admin = await client.get("/api/admin/users")
    assert admin.status == 200
    (listed,) = admin.json()["users"]
    assert listed["email"] == "ada@example.com" and listed["role"] == "admin"
    assert set(listed) == {"id", "name", "email", "role", "created_at"}


async def test_roles_are_checked_against_the_database_not_the_cookie(client):
    await signed_up(client)
    assert (await client.get("/api/admin/users")).status == 403
    await make_admin("ada@example.com")  # no new login: the very next request knows
    assert (await client.get("/api/admin/users")).status == 200


async def test_a_non_admin_sees_the_403_page_on_admin(client):
    await signed_up(client)
    response = await client.get("/admin")
    assert response.status == 403
    assert "This needs the admin role." in response.text
    assert "<title>" in response.text and "ada@example.com" not in response.text.split("<main")[1]


async def test_an_admin_sees_users_and_changes_a_role(client):
    await signed_up(client)
    bob = client.another()
    bob_user = await signed_up(bob, name="Bob", email="bob@example.com")
    await make_admin("ada@example.com")
    page = await client.get("/admin")
    assert page.status == 200
    shown = page.text.replace("<wbr>", "")  # addresses may break after @ and before a dot
    assert "bob@example.com" in shown and "ada@example.com" in shown
    response = await client.post("/admin", form={"user_id": str(bob_user["id"]), "role": "admin"})
    assert (response.status, response.headers["Location"]) == (303, "/admin?done=role")
    assert (await bob.get("/api/admin/users")).status == 200
    response = await client.post("/admin", form={"user_id": str(bob_user["id"]), "role": "user"})
    assert (await bob.get("/api/admin/users")).status == 403


async def test_admin_role_changes_refuse_bad_input(client):
    me_user = await signed_up(client)
    await make_admin("ada@example.com")
    own = await client.post("/admin", form={"user_id": str(me_user["id"]), "role": "user"})
    assert own.status == 400 and "You cannot change your own role" in own.text
    bad_role = await client.post("/admin", form={"user_id": "1", "role": "root"})
    assert bad_role.status == 400 and "Role must be one of" in bad_role.text
    missing = await client.post("/admin", form={"user_id": "999", "role": "user"})
    assert missing.status == 404 and "User not found" in missing.text
    assert (await me(client)).json()["user"]["role"] == "admin"


async def test_a_non_admin_cannot_post_role_changes(client):
    await signed_up(client)
    response = await client.post("/admin", form={"user_id": "1", "role": "admin"})
    assert response.status == 403
    assert (await me(client)).json()["user"]["role"] == "user"


async def test_a_revoked_session_that_middleware_trusts_is_caught_by_the_dal(client, app, session_mode):
    await signed_up(client)
    other = client.another()
    await login_api(other)
    await client.post("/account", form={"intent": "everywhere"})  # ends `other`
    # the optimistic check lets /dashboard through (the cookie is validly signed) ...
    response = await other.get("/dashboard")
    # ... the secure check does not, and clears the cookie: no redirect loop
    assert (response.status, response.headers["Location"]) == (307, "/login?next=%2Fdashboard")
    assert "session" not in other.cookies
    assert (await other.get("/login")).status == 200


async def test_the_password_hash_never_reaches_a_response(client, app):
    await signed_up(client)
    await make_admin("ada@example.com")
    bob = client.another()
    await signed_up(bob, name="Bob", email="bob@example.com")
    for path in ("/", "/dashboard", "/account", "/admin", "/api/me", "/api/admin/users"):
        assert (await client.get(path)).status == 200, path
    await client.post("/account", form={"intent": "name", "name": "Ada"})
    await client.post("/api/auth/logout")
    await login_api(client)
    await login_api(client, password="wrong password!")
    async with app.db.session() as db:
        hashes = (await db.scalars(select(User.password_hash))).all()
        tokens = (await db.scalars(select(Session.token_hash))).all()
    bodies = [r.text for r in client.seen + bob.seen]
    assert len(bodies) > 10
    for secret in [*hashes, *tokens, "password_hash", "session_version", "token_hash", PASSWORD]:
        assert not any(secret in body for body in bodies), secret


async def test_promote_from_the_command_line(client, auth_settings):
    await signed_up(client)
    env = {
        **os.environ,
        "DATABASE_URL": auth_settings.database_url,
        "APP_ENV": "test",
        "SECRET_KEY": "k" * 40,
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "app.py", "promote", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    done = run("ADA@example.com")
    assert done.returncode == 0, done.stderr
    assert "Ada Lovelace <ada@example.com> is now an admin." in done.stdout
    assert (await client.get("/admin")).status == 200
    missing = run("nobody@example.com")
    assert missing.returncode == 1
    assert "No user with the email 'nobody@example.com'" in missing.stderr
    assert run().returncode == 2
