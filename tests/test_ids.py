"""Ids are never reused: a deleted post's or account's id is never handed out again (SQLite
with AUTOINCREMENT, PostgreSQL with its sequences), so an old link can never open someone
else's post. Both databases."""

import pytest
from sqlalchemy import delete, func, select

from dal import db
from models import Session, User
from tests.auth_helpers import PASSWORD, login_api, signed_up

pytestmark = [pytest.mark.gen_test, pytest.mark.parametrize("session_mode", ["database"])]


@pytest.fixture
def app(real_app):
    return real_app


async def test_a_deleted_posts_id_is_never_given_to_the_next_post(client):
    await signed_up(client)
    first = (
        await client.post("/api/posts", json_body={"title": "Mine", "body": "x", "published": True})
    ).json()
    last = (
        await client.post("/api/posts", json_body={"title": "Gone", "body": "y", "published": True})
    ).json()
    assert (await client.request("DELETE", f"/api/posts/{last['id']}")).status == 204
    other = client.another()
    await signed_up(other, name="Eve", email="eve@example.com")
    new = (
        await other.post("/api/posts", json_body={"title": "Eve's", "body": "z", "published": True})
    ).json()
    assert new["id"] not in (first["id"], last["id"])
    old_link = await client.another().get(f"/posts/{last['id']}")
    assert old_link.status == 404 and "Eve&#39;s" not in old_link.text and "Eve's" not in old_link.text


async def test_a_deleted_accounts_id_is_never_given_to_the_next_account(client):
    await signed_up(client)
    gone = await signed_up(client.another(), name="Gone", email="gone@example.com")
    async with db.session() as session:  # accounts cannot be deleted through the app yet
        await session.execute(delete(User).where(User.id == gone["id"]))
        await session.commit()
    new = await signed_up(client.another(), name="New", email="new@example.com")
    assert new["id"] > gone["id"]


async def test_an_ended_sessions_id_is_never_given_to_the_next_session(client):
    await signed_up(client)
    await client.post("/api/auth/logout")
    assert (await login_api(client, password=PASSWORD)).status == 200
    async with db.read() as session:
        ended = await session.scalar(select(func.max(Session.id)))
    assert (await client.post("/api/auth/logout")).status == 200
    assert (await login_api(client)).status == 200
    async with db.read() as session:
        assert await session.scalar(select(func.max(Session.id))) > ended
