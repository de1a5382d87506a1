"""A login racing a password change (or "sign out everywhere") never outlives it: twenty
logins with the old password are held between reading the account and finishing bcrypt while
the change lands; afterwards no cookie they got is signed in. Both session modes."""

import asyncio

import pytest

from dal import users as dal_users
from tests.auth_helpers import PASSWORD, login_api, me, signed_up
from tests.conftest import Client

pytestmark = pytest.mark.gen_test(timeout=60)

LOGINS = 20


@pytest.fixture
def settings_overrides():
    # twenty logins in flight at once for one account, from one address
    return {"login_max_failures": 100, "address_max_failures": 100}


@pytest.fixture
def app(real_app):
    return real_app


class Gate:
    """Holds the first `hold` password checks after the account was read (the app runs in this
    process): the race is made certain instead of likely."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.arrived = 0
        self.all_in = asyncio.Event()
        self.open = asyncio.Event()

    def wrap(self, real):
        async def held(*args):
            if self.arrived < self.hold:
                self.arrived += 1
                if self.arrived == self.hold:
                    self.all_in.set()
                await self.open.wait()
            return await real(*args)

        return held


@pytest.fixture
def gate(monkeypatch):
    gate = Gate(LOGINS)
    monkeypatch.setattr(dal_users, "verify_password", gate.wrap(dal_users.verify_password))
    return gate


async def race(client, crowd, base_url, gate, change):
    """Start LOGINS logins with the old password, make the change while they are held after
    reading the account, let them finish; returns their answers."""
    logins = [asyncio.ensure_future(login_api(Client(crowd, base_url))) for _ in range(LOGINS)]
    await asyncio.wait_for(gate.all_in.wait(), timeout=30)
    changed = await change()
    assert changed.status == 303, changed.text
    gate.open.set()
    return await asyncio.gather(*logins)


async def assert_no_login_outlived_it(responses, crowd, base_url):
    for response in responses:
        assert response.status in (200, 401), response.text
        if response.status == 200:
            browser = Client(crowd, base_url)
            browser.remember_cookies(response)
            assert (await me(browser)).status == 401


async def test_logins_in_flight_during_a_password_change_do_not_outlive_it(client, crowd, base_url, gate):
    await signed_up(client)
    new_password = "a brand new password"
    responses = await race(
        client,
        crowd,
        base_url,
        gate,
        lambda: client.post(
            "/account",
            form={"intent": "password", "current_password": PASSWORD, "new_password": new_password},
        ),
    )
    await assert_no_login_outlived_it(responses, crowd, base_url)
    assert (await me(client)).status == 200  # the session that made the change stays
    assert (await login_api(client.another(), password=new_password)).status == 200
    assert (await login_api(client.another())).status == 401


async def test_logins_in_flight_during_sign_out_everywhere_do_not_outlive_it(client, crowd, base_url, gate):
    await signed_up(client)
    responses = await race(
        client, crowd, base_url, gate, lambda: client.post("/account", form={"intent": "everywhere"})
    )
    await assert_no_login_outlived_it(responses, crowd, base_url)
    assert (await me(client)).status == 200
    assert (await login_api(client.another())).status == 200  # a login after it works
