"""The end of an account: deleting it (DELETE /api/me and /account/delete, re-authenticated)
leaves nothing of the user in any table but the audit rows, touches nobody else, mails a
notice (read from a real SMTP server), signs every session out and tells live pages; the last
admin cannot delete themselves, even when admins race; the export holds exactly the user's
data and is rate-limited. Both session modes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, Text, inspect, text

from dal import accounts
from tests.auth_helpers import PASSWORD, login_api, make_admin, me, signed_up
from tests.images import tiny_png
from tests.live_helpers import digest_of, open_live
from tests.mail_helpers import all_delivered, scalar

pytestmark = pytest.mark.gen_test(timeout=120)


@pytest.fixture
def settings_overrides(mail_settings):
    return {**mail_settings, "email_verification": "off"}


@pytest.fixture
def app(real_app, mailer):
    return real_app


async def publish(client, title: str, published: bool = True) -> dict:
    answer = await client.post(
        "/api/posts", json_body={"title": title, "body": "Some *text*", "published": published}
    )
    assert answer.status == 201, answer.text
    return answer.json()


async def everything_about(app, user_id: int, email: str) -> dict[str, int]:
    """Every table of the real database, every column that can name a user (an integer
    column called id in users, user_id or author_id anywhere) or hold their address (any
    text column): the rows per table that still do."""

    def tables(connection):
        found = {}
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            found[table] = inspector.get_columns(table)
        return found

    async with app.db.engine.connect() as connection:
        schema = await connection.run_sync(tables)
        left = {}
        for table, columns in schema.items():
            conditions = []
            for column in columns:
                name, kind = column["name"], column["type"]
                if isinstance(kind, Integer) and (
                    name in ("user_id", "author_id") or (table == "users" and name == "id")
                ):
                    conditions.append(f'"{name}" = {int(user_id)}')
                elif isinstance(kind, String | Text):
                    conditions.append(f'lower(CAST("{name}" AS TEXT)) LIKE :email')
            if conditions:
                count = (
                    await connection.execute(
                        text(f'SELECT count(*) FROM "{table}" WHERE {" OR ".join(conditions)}'),
                        {"email": f"%{email.lower()}%"},
                    )
                ).scalar()
                if count:
                    left[table] = count
    return left


async def test_deleting_the_account_leaves_only_its_audit_rows(client, smtp, app, auth_settings):
    ada = await signed_up(client, name="Ada Lovelace", email="ada@example.com")
    phone = client.another()
    assert (await login_api(phone)).status == 200  # a second session of Ada's
    bob_client = client.another()
    bob = await signed_up(bob_client, name="Bob Bell", email="bob@example.com")
    await publish(client, "Ada's published post")
    await publish(client, "Ada's draft", published=False)
    bobs_post = await publish(bob_client, "Bob's post")
    avatar = await client.request(
        "PUT", "/api/me/avatar", body=tiny_png(), headers={"Content-Type": "image/png"}
    )
    assert avatar.status == 200
    avatars = Path(auth_settings.upload_dir) / "avatars"
    assert len(list(avatars.iterdir())) == 1
    await bob_client.request("PUT", "/api/me/avatar", body=tiny_png(), headers={"Content-Type": "image/png"})
    # mail waiting to go to Ada (an email change: the mail server is down for a moment), which
    # must not go out once she is gone
    smtp.stop()
    assert (await client.post("/api/me/email", json_body={"email": "ada@new.example"})).status == 202

    before = await everything_about(app, ada["id"], "ada@example.com")
    assert {"users", "posts", "auth_events", "outbox", "one_time_tokens"} <= set(before), before
    deleted = await client.request("DELETE", "/api/me")
    assert (deleted.status, deleted.json()) == (200, {"success": True})
    assert "session" not in client.cookies  # this browser is signed out
    assert (await me(client)).status == 401
    assert (await me(phone)).status == 401  # and every other session of hers
    assert (await login_api(client.another())).status == 401

    smtp.start()
    notice = (await smtp.wait_for("ada@example.com"))[-1]
    assert notice.subject == "Your Tornado Pages account was deleted"
    assert "was deleted at your request" in notice.text and "Ada Lovelace" in notice.text
    await all_delivered(app)
    assert [m.subject for m in smtp.to("ada@example.com")] == ["Your Tornado Pages account was deleted"]
    assert smtp.to("ada@new.example") == []  # the change's link died with the account

    left = await everything_about(app, ada["id"], "ada@example.com")
    assert set(left) == {"auth_events"}, left
    assert set(await everything_about(app, ada["id"], "ada@new.example")) <= {"auth_events"}
    event = await scalar(
        app, "SELECT count(*) FROM auth_events WHERE kind = 'account_deleted' AND user_id = :id", id=ada["id"]
    )
    assert event == 1
    assert len(list(avatars.iterdir())) == 1  # Bob's picture only

    # Bob is untouched
    assert (await me(bob_client)).json()["user"]["email"] == bob["email"]
    assert (await bob_client.get(f"/api/posts/{bobs_post['id']}")).status == 200
    assert (await client.get("/api/posts")).json()["total"] == 1
    assert await scalar(app, "SELECT count(*) FROM posts WHERE author_id = :id", id=bob["id"]) == 1


async def test_deleting_from_the_account_page_goes_through_reauth_and_signs_out(
    client, app, smtp, monkeypatch
):
    import time

    from dal import reauth as dal_reauth

    start = time.time()
    monkeypatch.setattr(dal_reauth, "clock", lambda: start)
    await signed_up(client)
    account = await client.get("/account")
    assert 'href="/account/delete"' in account.text and 'href="/api/me/export"' in account.text
    monkeypatch.setattr(dal_reauth, "clock", lambda: start + 601)
    asked = await client.get("/account/delete")
    assert (asked.status, asked.headers["Location"]) == (307, "/reauth?next=%2Faccount%2Fdelete")
    confirmed = await client.post("/reauth?next=%2Faccount%2Fdelete", form={"password": PASSWORD})
    assert (confirmed.status, confirmed.headers["Location"]) == (303, "/account/delete")
    page = await client.get("/account/delete")
    assert page.status == 200 and "Delete my account" in page.text
    done = await client.post("/account/delete", form={})
    assert (done.status, done.headers["Location"]) == (303, "/goodbye")
    assert "session" not in client.cookies
    goodbye = await client.get("/goodbye")
    assert goodbye.status == 200 and "Your account was deleted" in goodbye.text
    assert (await me(client)).status == 401
    assert (await client.get("/account")).status == 307  # signed out: to log in
    await smtp.wait_for("ada@example.com")


async def test_live_pages_hear_that_the_posts_are_gone(client, app):
    await signed_up(client)
    bob = client.another()
    await signed_up(bob, name="Bob Bell", email="bob@example.com")
    post = await publish(client, "Soon gone")
    html = await bob.get(f"/posts/{post['id']}")
    live = await open_live(bob.base_url, bob.cookies, f"/posts/{post['id']}", digest_of(html.text))
    try:
        assert (await client.request("DELETE", "/api/me")).status == 200
        update = await live.next()
        assert update["type"] == "update" and update["status"] == 404
    finally:
        live.close()


@pytest.mark.one_session_mode
async def test_the_last_admin_cannot_delete_themselves(client, app):
    await signed_up(client)
    await make_admin("ada@example.com")
    refused = await client.request("DELETE", "/api/me")
    assert (refused.status, refused.json()) == (409, {"error": accounts.LAST_ADMIN})
    page = await client.post("/account/delete", form={})
    assert page.status == 409 and "You are the only admin" in page.text
    assert (await me(client)).status == 200
    bob = client.another()
    await signed_up(bob, name="Bob Bell", email="bob@example.com")
    await make_admin("bob@example.com")
    assert (await client.request("DELETE", "/api/me")).status == 200  # another admin remains
    assert (await bob.request("DELETE", "/api/me")).status == 409


@pytest.mark.one_session_mode
async def test_admins_deleting_themselves_at_once_leave_one(client, app, crowd):
    for round_ in range(3):
        admins = []
        for index in range(4):
            person = client.another()
            person.http = crowd  # each on its own connection, at once
            email = f"admin{round_}-{index}@example.com"
            await signed_up(person, name=f"Admin {index}", email=email)
            await make_admin(email)
            admins.append(person)
        answers = await asyncio.gather(*(person.request("DELETE", "/api/me") for person in admins))
        statuses = sorted(answer.status for answer in answers)
        remaining = await scalar(app, "SELECT count(*) FROM users WHERE role = 'admin'")
        assert remaining >= 1
        if round_ == 0:
            assert statuses == [200, 200, 200, 409] and remaining == 1
        # the next round's admins join the one left: still at least one at the end
    assert await scalar(app, "SELECT count(*) FROM users WHERE role = 'admin'") == 1


# --- export -------------------------------------------------------------------------------------


async def test_the_export_holds_exactly_the_users_data(client, app, session_mode):
    ada = await signed_up(client, name="Ada Lovelace", email="ada@example.com")
    phone = client.another()
    assert (
        await login_api(phone, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"})
    ).status == 200
    bob_client = client.another()
    await signed_up(bob_client, name="Bob Bell", email="bob@example.com")
    assert (await login_api(bob_client.another(), email="bob@example.com")).status == 200
    assert (
        await login_api(client.another(), email="bob@example.com", password="wrong password")
    ).status == 401
    await publish(client, "Ada's published post")
    await publish(client, "Ada's draft", published=False)
    await publish(bob_client, "Bob's secret draft", published=False)

    answer = await client.get("/api/me/export")
    assert answer.status == 200
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="tornado-pages-account-') and disposition.endswith(
        '.json"'
    )
    document = answer.json()
    assert list(document) == [
        "format",
        "version",
        "exported_at",
        "profile",
        "posts",
        "sessions",
        "two_factor",
        "passkeys",
        "audit_events",
    ]
    assert document["profile"]["email"] == "ada@example.com" and document["profile"]["id"] == ada["id"]
    assert [p["title"] for p in document["posts"]] == ["Ada's published post", "Ada's draft"]
    assert document["posts"][1]["published"] is False
    if session_mode == "database":
        assert len(document["sessions"]) == 2
        assert {s["device"] for s in document["sessions"]} >= {"Firefox on Linux"}
    else:
        assert document["sessions"] == []  # stateless sessions are stored nowhere
    kinds = [event["kind"] for event in document["audit_events"]]
    assert kinds[0] == "signup" and "login" in kinds and kinds[-1] == "account_exported"
    raw = answer.text
    for foreign in ("bob@example.com", "Bob Bell", "Bob's secret draft"):
        assert foreign not in raw
    for secret in ("token_hash", "password_hash", "$2b$", "session_version"):
        assert secret not in raw
    ids = await scalar(
        app,
        "SELECT count(*) FROM auth_events WHERE kind = 'account_exported' AND user_id = :id",
        id=ada["id"],
    )
    assert ids == 1
    json.loads(raw)  # a plain JSON document


@pytest.mark.one_session_mode
async def test_exports_are_limited_per_account(client, app):
    await signed_up(client)
    for _ in range(3):
        assert (await client.get("/api/me/export")).status == 200
    limited = await client.get("/api/me/export")
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many attempts" in limited.json()["error"]
    bob = client.another()
    await signed_up(bob, name="Bob Bell", email="bob@example.com")
    assert (await bob.get("/api/me/export")).status == 200  # per account
    assert (await client.another().get("/api/me/export")).status == 401


@pytest.mark.one_session_mode
class TestUnverified:
    """EMAIL_VERIFICATION=required holds an unverified user back everywhere but their account:
    leaving (re-authenticating, deleting, exporting) stays open to them."""

    @pytest.fixture
    def settings_overrides(self, mail_settings):
        return {**mail_settings, "email_verification": "required"}

    async def test_an_unverified_user_can_still_export_and_delete(self, client, app):
        await signed_up(client)
        assert (await client.get("/dashboard")).status == 307  # held back
        assert (await client.get("/api/me/export")).status == 200
        assert (await client.post("/api/auth/reauth", json_body={"password": PASSWORD})).status == 200
        assert (await client.get("/account/delete")).status == 200
        done = await client.post("/account/delete", form={})
        assert (done.status, done.headers["Location"]) == (303, "/goodbye")
