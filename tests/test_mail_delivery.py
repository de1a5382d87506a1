"""Mail off the request path: a request that causes mail only writes it to the outbox; the
sender in the app's process delivers it. The SMTP server down or slow never fails or holds a
request, and the mail arrives exactly once when the server is back; a refusal for good is
not retried; two senders (two workers of `python app.py`, or two senders on one database)
deliver every mail exactly once; the console transport prints the whole message. SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app import mail_sender
from tests.auth_helpers import signup_api
from tests.dbutil import BACKENDS, alembic, fresh_database, run_async
from tests.harness import app_environment, run_app
from tests.mail_helpers import all_delivered, eventually, scalar


@pytest.fixture
def settings_overrides(mail_settings):
    return {**mail_settings, "signup_max_per_address": 0}


@pytest.fixture
def app(real_app, mailer):
    return real_app


async def ask_reset(client, email="ada@example.com"):
    return await client.post("/api/auth/password-reset", json_body={"email": email})


@pytest.mark.gen_test(timeout=60)
async def test_the_smtp_server_down_never_fails_a_request_and_the_mail_arrives_once_it_is_back(
    client, smtp, app
):
    smtp.stop()
    assert (await signup_api(client)).status == 201  # mails a verification link
    assert (await ask_reset(client)).status == 202  # mails a reset link

    async def tried_and_failed() -> bool:
        return ((await scalar(app, "SELECT min(attempts) FROM outbox")) or 0) >= 1

    await eventually(tried_and_failed, what="both deliveries failed at least once")
    assert smtp.count() == 0
    smtp.start()
    mails = await smtp.wait_for("ada@example.com", 2)
    await all_delivered(app)
    assert sorted(mail.subject for mail in mails) == [
        "Confirm your email address for Tornado Pages",
        "Reset your Tornado Pages password",
    ]
    assert smtp.count() == 2  # once each, however many attempts it took


@pytest.mark.gen_test(timeout=60)
async def test_a_slow_smtp_server_never_holds_a_request(client, smtp, app):
    smtp.hold()  # every delivery now waits inside the server
    assert (await signup_api(client)).status == 201
    await eventually(lambda: smtp.in_progress == 1, what="the sender is inside a delivery")
    # while the server holds that delivery, requests that write mail and pages answer
    assert (await ask_reset(client)).status == 202
    assert (await client.get("/dashboard")).status == 200
    assert smtp.in_progress == 1 and smtp.count() == 0
    smtp.let_go()
    await smtp.wait_for("ada@example.com", 2)
    await all_delivered(app)
    assert smtp.count() == 2


@pytest.mark.gen_test(timeout=60)
async def test_a_recipient_refused_for_good_is_given_up_and_other_mail_goes_on(client, smtp, app):
    smtp.refused.add("gone@example.com")
    assert (await signup_api(client, email="gone@example.com")).status == 201

    async def given_up() -> bool:
        return await scalar(app, "SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL") == 1

    await eventually(given_up, what="the refused mail was given up")
    assert await scalar(app, "SELECT attempts FROM outbox") == 1  # not retried
    assert "550" in await scalar(app, "SELECT last_error FROM outbox")
    assert (await signup_api(client.another(), email="here@example.com")).status == 201
    await smtp.wait_for("here@example.com")
    assert smtp.to("gone@example.com") == []


@pytest.mark.gen_test(timeout=90)
async def test_two_senders_on_one_database_deliver_every_mail_once(client, smtp, app, auth_settings, crowd):
    other = mail_sender(auth_settings)  # a second process's sender, on the same outbox
    other.start()
    try:
        people = [f"person{i}@example.com" for i in range(30)]
        browsers = [client.another() for _ in people]
        for browser in browsers:
            browser.http = crowd  # each on its own TCP connection, at once
        answers = await asyncio.gather(
            *(signup_api(browser, email=email) for browser, email in zip(browsers, people, strict=True))
        )
        assert [a.status for a in answers] == [201] * len(people)
        for email in people:
            await smtp.wait_for(email)
        await all_delivered(app)
    finally:
        await other.stop()
    received = Counter(to for mail in smtp.received for to in mail.to)
    assert received == Counter(people)


# --- `python app.py` ------------------------------------------------------------------------


@contextmanager
def served(folder: Path, database_url: str, *args: str, **env: str):
    """`python app.py` on a free port (tests/harness.py): (its base URL, the file holding its
    output, where the console transport prints each mail); it must stop with exit code 0."""
    with run_app(app_environment(database_url, **env), *args, log=folder / "app.log") as app:
        yield app.base, app.log
        assert app.stop() == 0, app.log_text()


def sign_up(base: str, email: str) -> int:
    request = urllib.request.Request(
        base + "/api/auth/signup",
        data=json.dumps({"name": "Someone", "email": email, "password": "correct horse battery"}).encode(),
        headers={"Content-Type": "application/json", "X-XSRFToken": "t", "Cookie": "_xsrf=t"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def outbox_size(database_url: str) -> int:
    async def count() -> int:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(text("SELECT count(*) FROM outbox"))).scalar()
        finally:
            await engine.dispose()

    return run_async(count)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_deliver_every_mail_exactly_once(tmp_path, backend, smtp):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        with served(
            tmp_path,
            url,
            "--workers",
            "2",
            MAIL_URL=smtp.url,
            MAIL_POLL_SECONDS="0.05",
            SIGNUP_MAX_PER_ADDRESS="0",
            BCRYPT_ROUNDS="4",
        ) as (base, _out):
            people = [f"worker-mail-{i}@example.com" for i in range(40)]
            for email in people:
                assert sign_up(base, email) == 201
            for email in people:
                smtp.wait_for_blocking(email)
            deadline = time.monotonic() + 20
            while outbox_size(url) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert outbox_size(url) == 0
            time.sleep(0.3)  # several more polls of both senders: nothing is sent again
    received = Counter(to for mail in smtp.received for to in mail.to)
    assert received == Counter(people)


def test_the_console_transport_prints_the_whole_message_with_links_to_the_port(tmp_path):
    with fresh_database("sqlite", tmp_path) as url:
        assert alembic(url, "upgrade", "head").returncode == 0
        with served(tmp_path, url, BCRYPT_ROUNDS="4") as (base, out):
            assert sign_up(base, "console@example.com") == 201
            deadline = time.monotonic() + 20
            while "----- end of mail -----" not in out.read_text():
                assert time.monotonic() < deadline, out.read_text()
                time.sleep(0.05)
            printed = out.read_text()
    assert "To: console@example.com" in printed
    assert "Subject: Confirm your email address for Tornado Pages" in printed
    assert "Content-Type: text/plain" in printed and "Content-Type: text/html" in printed
    # no APP_URL in development or test: links go to the port the app serves on
    assert f"{base}/verify-email/" in printed
