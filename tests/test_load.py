"""A bounded load: concurrent people signing up, logging in and reading pages. No 5xx, no
lost sign-up (everyone who got a 201 can log in), no session crossed between people."""

import asyncio

import pytest

from tests.auth_helpers import PASSWORD

pytestmark = pytest.mark.gen_test(timeout=120)

PEOPLE = 16


@pytest.fixture
def settings_overrides():
    # a load from one address: the per-address limits are raised through their settings
    return {"api_rate_limit": 0, "signup_max_per_address": 0, "address_max_failures": 0}


@pytest.fixture
def app(real_app):
    return real_app


async def journey(client, n: int) -> list[tuple[str, int, bool]]:
    """One person's visit; returns (step, status, answer was about this person)."""
    email = f"person{n}@example.com"
    seen = []

    async def step(name, response, mine=True):
        seen.append((name, response.status, mine))
        return response

    r = await client.post(
        "/api/auth/signup", json_body={"name": f"Person {n}", "email": email, "password": PASSWORD}
    )
    await step("signup", r, r.status == 201 and r.json()["user"]["email"] == email)
    r = await client.get("/api/me")
    await step("me", r, r.json().get("user", {}).get("email") == email)
    r = await client.get("/dashboard")
    await step("dashboard", r, f'<dd id="user-email">{email}</dd>' in r.text.replace("<wbr>", ""))
    r = await client.post("/api/posts", json_body={"title": f"By {n}", "body": "x", "published": True})
    await step("post", r, r.json()["author"]["name"] == f"Person {n}")
    await step("posts", await client.get("/posts"))
    await step("logout", await client.post("/api/auth/logout"))
    r = await client.post("/api/auth/login", json_body={"email": email, "password": PASSWORD})
    await step("login", r)
    r = await client.get("/api/me")
    await step("me again", r, r.json().get("user", {}).get("email") == email)
    return seen


async def test_concurrent_people_get_no_errors_and_their_own_sessions(client):
    browsers = [client.another() for _ in range(PEOPLE)]
    results = await asyncio.gather(*(journey(b, n) for n, b in enumerate(browsers)))
    steps = [s for person in results for s in person]
    assert len(steps) == PEOPLE * 8
    assert [s for s in steps if s[1] >= 500] == []
    assert [s for s in steps if not s[2]] == []  # nobody saw somebody else
    assert {s[1] for s in steps if s[0] == "signup"} == {201}
    # no sign-up was lost: everyone can log in afterwards
    again = await asyncio.gather(
        *(
            client.another().post(
                "/api/auth/login", json_body={"email": f"person{n}@example.com", "password": PASSWORD}
            )
            for n in range(PEOPLE)
        )
    )
    assert [r.status for r in again] == [200] * PEOPLE
    listed = (await client.get("/api/posts?per_page=100")).json()
    assert listed["total"] == PEOPLE
