"""Role changes are atomic and audited: two admins demoting each other at the same moment
leave at least one admin; each change commits with exactly one audit row, whose detail names
the acting admin by id (it never overflows its column, however long their email)."""

import asyncio

import pytest
from sqlalchemy import func, select

from models import AuthEvent, User
from tests.auth_helpers import make_admin, me, signed_up

pytestmark = [
    pytest.mark.gen_test(timeout=60),
    pytest.mark.parametrize("session_mode", ["database"], indirect=True),
]

ROUNDS = 6
# the changes made through /admin (make_admin, the command line's promote, is audited too)
BY_AN_ADMIN = (AuthEvent.kind == "role_changed", AuthEvent.detail.like("% by user %"))


@pytest.fixture
def app(real_app):
    return real_app


async def scalar(app, statement):
    async with app.db.session() as db:
        return await db.scalar(statement)


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client, app, crowd, base_url):
    ada = await signed_up(client, email="ada@example.com")
    bob_client = client.another()
    bob = await signed_up(bob_client, name="Bob", email="bob@example.com")
    ada_client = client
    ada_client.http = bob_client.http = crowd  # one connection per request: truly concurrent
    changes = 0
    for _ in range(ROUNDS):
        await make_admin("ada@example.com")
        await make_admin("bob@example.com")
        answers = await asyncio.gather(
            ada_client.post("/admin", form={"user_id": str(bob["id"]), "role": "user"}),
            bob_client.post("/admin", form={"user_id": str(ada["id"]), "role": "user"}),
        )
        assert await scalar(app, select(func.count()).select_from(User).where(User.role == "admin")) >= 1
        statuses = sorted(a.status for a in answers)
        assert statuses in ([303, 400], [303, 403]), statuses
        for answer in answers:
            if answer.status == 400:
                assert "There must be at least one admin" in answer.text
        changes += statuses.count(303)
    audited = await scalar(app, select(func.count()).select_from(AuthEvent).where(*BY_AN_ADMIN))
    assert audited == changes == ROUNDS


async def test_the_audit_row_names_the_actor_by_id_whatever_their_email(client, app):
    long_email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "example.com"
    admin = await signed_up(client, email=long_email)
    await make_admin(long_email)
    bob = await signed_up(client.another(), name="Bob", email="bob@example.com")
    response = await client.post("/admin", form={"user_id": str(bob["id"]), "role": "admin"})
    assert response.status == 303, response.text
    async with app.db.session() as db:
        rows = (await db.execute(select(AuthEvent.user_id, AuthEvent.detail).where(*BY_AN_ADMIN))).all()
    assert rows == [(bob["id"], f"to admin by user {admin['id']}")]
    assert (await me(client)).json()["user"]["role"] == "admin"
