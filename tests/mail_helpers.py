"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread of its own (its own
event loop), receiving every mail the app sends. Tests wait for mail by polling with a short
sleep, bounded by a timeout (never a fixed sleep), read the links in it and follow them as a
person would. The server can be stopped and started again on the same port (a mail server
that is down), made to hold every delivery until released (a slow one), and made to refuse
some recipients for good. Fixtures: smtp (the server), mail_settings (settings that send the
app's mail there), mailer (the app's background sender on the test's event loop).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from app import mail_sender

WAIT = 20.0  # seconds a test waits for mail before it fails
LINK = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def link(self, path_prefix: str) -> str:
        """The one link in the text part whose path starts with path_prefix."""
        found = [url for url in LINK.findall(self.text) if urlsplit(url).path.startswith(path_prefix)]
        assert len(set(found)) == 1, (path_prefix, self.text)
        return found[0]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201
        if address in self.server.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        with self.server.lock:
            self.server.in_progress += 1
        try:
            # a slow server: the delivery waits, in a thread, until the test lets it go
            await asyncio.get_running_loop().run_in_executor(None, self.server.release.wait)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with self.server.lock:
                self.server.received.append(Received(list(envelope.rcpt_tos), message))
        finally:
            with self.server.lock:
                self.server.in_progress -= 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, **options: object) -> None:
        """options go to aiosmtpd's Controller: ssl_context (implicit TLS), tls_context and
        require_starttls (STARTTLS), authenticator and auth_required (a login)."""
        self.options = options
        self.port = free_port()
        self.received: list[Received] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.in_progress = 0
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # a Controller cannot be started twice: a new one on the same port
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **self.options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.release.set()
            self._controller.stop()
            self._controller = None

    def hold(self) -> None:
        """From now on every delivery waits (a slow server) until let_go()."""
        self.release.clear()

    def let_go(self) -> None:
        self.release.set()

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [mail for mail in self.received if address in mail.to]

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    async def wait_for(self, address: str, count: int = 1, within: float = WAIT) -> list[Received]:
        """The first `count` mails to address, once they have arrived (polling)."""
        await eventually(lambda: len(self.to(address)) >= count, within, f"{count} mail(s) to {address}")
        return self.to(address)[:count]

    def wait_for_blocking(self, address: str, count: int = 1, within: float = WAIT) -> list[Received]:
        """wait_for for tests that run no event loop (subprocess apps)."""
        deadline = time.monotonic() + within
        while len(found := self.to(address)) < count:
            assert time.monotonic() < deadline, f"{count} mail(s) to {address} did not arrive"
            time.sleep(0.02)
        return found[:count]


async def eventually(check, within: float = WAIT, what: str = "the condition") -> None:  # noqa: ANN001
    """Poll check() (a function, or a coroutine function) until it is true, at most within
    seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"{what}: not within {within}s"
        await asyncio.sleep(0.02)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


# --- fixtures (this module is a pytest plugin: tests/conftest.py names it) ----------------------


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(smtp, http_port) -> dict:
    """Settings that send the app's mail to the test's SMTP server, with links to the test
    server, and a sender that looks often and retries soon (what a module's settings_overrides
    returns, with its own additions)."""
    return {
        "mail_url": smtp.url,
        "app_url": f"http://127.0.0.1:{http_port}",
        "mail_poll_seconds": 0.05,
        "mail_retry_seconds": 0.05,
    }


@pytest.fixture
def mailer(io_loop, real_app, auth_settings):
    """The background sender of the app under test, running on the test's event loop as it
    runs in `python app.py`; stopped before the app's database pool closes."""
    sender = mail_sender(auth_settings)

    async def start() -> None:
        sender.start()

    io_loop.run_sync(start)
    yield sender
    io_loop.run_sync(sender.stop)


async def scalar(app, sql: str, **params):  # noqa: ANN001, ANN201
    """One value from the app's database (tests look at the outbox and the audit log)."""
    async with app.db.engine.connect() as connection:
        return (await connection.execute(text(sql), params)).scalar()


async def outbox_size(app) -> int:  # noqa: ANN001
    return await scalar(app, "SELECT count(*) FROM outbox WHERE failed_at IS NULL")


async def all_delivered(app) -> None:  # noqa: ANN001
    """Wait until the outbox holds nothing left to send."""

    async def empty() -> bool:
        return await outbox_size(app) == 0

    await eventually(empty, what="the outbox emptied")
