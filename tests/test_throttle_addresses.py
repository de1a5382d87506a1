"""Addresses and the audit log: per-address throttles and the rate limit count an IPv6 client
by its /64 and an IPv4-mapped IPv6 address as the IPv4 address; a refused attempt is logged
as `throttled` at most once per key and window, however many are refused."""

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from models import AuthEvent
from models.types import utcnow
from tests.auth_helpers import PASSWORD, in_a_fresh_minute, login_api, served, signed_up, signup_api
from tests.conftest import Client

pytestmark = [
    pytest.mark.gen_test(timeout=60),
    pytest.mark.parametrize("session_mode", ["database"], indirect=True),
]


@pytest.fixture
def proxied(auth_settings):
    """Settings behind a trusted proxy on 127.0.0.1, so X-Forwarded-For names the client."""
    return replace(
        auth_settings,
        trusted_proxies=("127.0.0.1",),
        login_max_failures=100,
        address_max_failures=3,
        signup_max_per_address=2,
        api_rate_limit=0,
    )


def fails_from(client, address, email):
    return login_api(client, email=email, password="wrong guess!", headers={"X-Forwarded-For": address})


async def test_ipv6_addresses_in_one_64_share_a_login_count(proxied, http_client):
    async with served(proxied) as (_app, base):
        browser = Client(http_client, base)
        await signed_up(browser, headers={"X-Forwarded-For": "2001:db8:1:2::1"})
        for i, address in enumerate(
            ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa:bbbb:cccc:dddd")
        ):
            assert (await fails_from(browser.another(), address, f"guess{i}@example.com")).status == 401
        same_64 = await login_api(browser.another(), headers={"X-Forwarded-For": "2001:db8:1:2:ffff::9"})
        assert same_64.status == 429 and "Too many attempts" in same_64.text
        next_64 = await login_api(browser.another(), headers={"X-Forwarded-For": "2001:db8:1:3::1"})
        assert next_64.status == 200


async def test_ipv6_addresses_in_one_64_share_a_signup_count(proxied, http_client):
    async with served(proxied) as (_app, base):
        browser = Client(http_client, base)
        for i in range(2):
            headers = {"X-Forwarded-For": f"2001:db8:5:6::{i + 1}"}
            assert (
                await signup_api(browser.another(), email=f"u{i}@example.com", headers=headers)
            ).status == 201
        headers = {"X-Forwarded-For": "2001:db8:5:6:1:2:3:4"}
        assert (await signup_api(browser.another(), email="u9@example.com", headers=headers)).status == 429


@pytest.mark.parametrize(
    ("first", "then"), [("::ffff:10.0.0.1", "10.0.0.1"), ("10.0.0.1", "::ffff:10.0.0.1")]
)
async def test_an_ipv4_mapped_address_counts_as_the_ipv4_address(proxied, http_client, first, then):
    async with served(proxied) as (_app, base):
        browser = Client(http_client, base)
        await signed_up(browser, headers={"X-Forwarded-For": "192.0.2.1"})
        for i in range(3):
            assert (await fails_from(browser.another(), first, f"guess{i}@example.com")).status == 401
        refused = await login_api(browser.another(), headers={"X-Forwarded-For": then})
        assert refused.status == 429
        assert (await login_api(browser.another(), headers={"X-Forwarded-For": "10.0.0.2"})).status == 200


async def test_the_rate_limit_counts_an_ipv6_64_and_a_mapped_address_as_one_client(proxied, http_client, monkeypatch):
    async with served(replace(proxied, api_rate_limit=4)) as (_app, base):
        browser = Client(http_client, base)
        in_a_fresh_minute(monkeypatch)
        for i in range(4):
            response = await browser.get("/api/posts", headers={"X-Forwarded-For": f"2001:db8:9:9::{i + 1}"})
            assert response.status == 200
        refused = await browser.get("/api/posts", headers={"X-Forwarded-For": "2001:db8:9:9:ffff::1"})
        assert refused.status == 429
        assert (await browser.get("/api/posts", headers={"X-Forwarded-For": "2001:db8:9:8::1"})).status == 200
        for _ in range(4):
            assert (
                await browser.get("/api/posts", headers={"X-Forwarded-For": "::ffff:198.51.100.7"})
            ).status == 200
        assert (await browser.get("/api/posts", headers={"X-Forwarded-For": "198.51.100.7"})).status == 429


async def throttled_events(app) -> int:
    async with app.db.session() as db:
        return await db.scalar(
            select(func.count()).select_from(AuthEvent).where(AuthEvent.kind == "throttled")
        )


async def test_fifty_refused_attempts_write_one_throttled_event_per_window(auth_settings, crowd):
    settings = replace(auth_settings, login_max_failures=3, address_max_failures=1000)
    async with served(settings) as (application, base):
        browser = Client(crowd, base)
        await signed_up(browser)
        for _ in range(3):
            assert (await login_api(browser.another(), password="wrong guess!")).status == 401
        refused = await asyncio.gather(*(login_api(Client(crowd, base)) for _ in range(50)))
        assert [r.status for r in refused] == [429] * 50
        assert await throttled_events(application) == 1
        async with application.db.session() as db:  # the window passes
            await db.execute(update(AuthEvent).values(created_at=utcnow().replace(year=2000)))
            await db.commit()
        for _ in range(3):
            assert (await login_api(browser.another(), password="wrong guess!")).status == 401
        for _ in range(5):
            assert (await login_api(browser.another(), password=PASSWORD)).status == 429
        assert await throttled_events(application) == 2  # one more for the new window


async def test_an_account_lock_and_an_address_lock_each_log_once(auth_settings, crowd):
    settings = replace(auth_settings, login_max_failures=2, address_max_failures=4)
    async with served(settings) as (application, base):
        for i in range(2):
            for _ in range(2):
                response = await login_api(
                    Client(crowd, base), email=f"ghost{i}@example.com", password="nope!"
                )
                assert response.status == 401
        tries = [login_api(Client(crowd, base), email=f"ghost{i % 3}@example.com") for i in range(30)]
        assert {r.status for r in await asyncio.gather(*tries)} == {429}
        async with application.db.session() as db:
            rows = (
                await db.execute(
                    select(AuthEvent.email, AuthEvent.detail).where(AuthEvent.kind == "throttled")
                )
            ).all()
        # two locked accounts and the locked address: one event each
        assert sorted(rows, key=str) == sorted(
            [
                ("ghost0@example.com", "login: account locked"),
                ("ghost1@example.com", "login: account locked"),
                (None, "login: address locked"),
            ],
            key=str,
        )
