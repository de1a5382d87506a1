"""Live pages in tests: open a page's socket as its script does (same Origin, the browser's
cookies, the digest the page carries), read what the server sends, and wait for the hub to
finish its runs."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

import tornado.httpclient
import tornado.websocket

XSRF = "test-xsrf-token"
WAIT = 10.0  # seconds a test waits for something that must happen (a failure bound, not a timing)


def live_url(base_url: str, page: str, digest: str = "") -> str:
    host = urlsplit(base_url).netloc
    return f"ws://{host}/_live?page={quote(page, safe='')}&digest={quote(digest, safe='')}"


def digest_of(html: str) -> str:
    found = re.search(r'<main id="main"[^>]* data-live="([0-9a-f]+)"', html)
    assert found, "the page is not live"
    return found[1]


def build_id_of(html: str) -> str:
    found = re.search(r'<meta name="build-id" content="([0-9a-f]+)">', html)
    assert found, "the page names no build"
    return found[1]


class LivePage:
    """One open socket: what it was sent, in order."""

    def __init__(self, connection: tornado.websocket.WebSocketClientConnection) -> None:
        self.connection = connection
        self.received: list[dict[str, Any]] = []

    async def next(self, within: float = WAIT) -> dict[str, Any] | None:
        """The next message, or None once the socket is closed."""
        raw = await asyncio.wait_for(self.connection.read_message(), within)
        if raw is None:
            return None
        message = json.loads(raw)
        self.received.append(message)
        return message

    async def until(self, text: str, within: float = WAIT) -> dict[str, Any]:
        """Read messages until an update whose main content holds text."""
        deadline = time.monotonic() + within
        while True:
            message = await self.next(max(0.01, deadline - time.monotonic()))
            assert message is not None, f"closed ({self.close_code} {self.close_reason}) before {text!r}"
            if message["type"] == "update" and text in message["main"]:
                return message

    async def closed(self, within: float = WAIT) -> tuple[int | None, str | None]:
        """Read until the server closes the socket: (code, reason)."""
        deadline = time.monotonic() + within
        while await self.next(max(0.01, deadline - time.monotonic())) is not None:
            pass
        self.connection.close()  # our side too (nothing is left open)
        return self.close_code, self.close_reason

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    @property
    def close_reason(self) -> str | None:
        return self.connection.close_reason

    def mains(self) -> str:
        return "\n".join(m.get("main", "") for m in self.received)

    def send(self, text: str) -> None:
        self.connection.write_message(text)

    def close(self) -> None:
        self.connection.close()


def socket_headers(base_url: str, cookies: dict[str, str], origin: str | None = "same") -> dict[str, str]:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in {**cookies, "_xsrf": XSRF}.items())}
    if origin == "same":
        headers["Origin"] = base_url
    elif origin is not None:
        headers["Origin"] = origin
    return headers


async def open_live(
    base_url: str, cookies: dict[str, str], page: str, digest: str = "", origin: str | None = "same"
) -> LivePage:
    request = tornado.httpclient.HTTPRequest(
        live_url(base_url, page, digest), headers=socket_headers(base_url, cookies, origin)
    )
    return LivePage(await tornado.websocket.websocket_connect(request))


async def handshake(client, page: str, origin: str | None = "same", **query: str):  # noqa: ANN001, ANN201
    """The socket's opening request as a plain HTTP GET: what a refused one is answered."""
    headers = socket_headers(client.base_url, {}, origin)
    del headers["Cookie"]  # the client sends its own
    headers.update(
        {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        }
    )
    params = "&".join(f"{k}={quote(v, safe='')}" for k, v in {"page": page, **query}.items())
    return await client.get(f"/_live?{params}", headers=headers)


async def settled(app: Any, within: float = WAIT) -> None:
    """Until the live hub has nothing marked, scheduled or running."""
    hub = app.live
    deadline = time.monotonic() + within
    while hub.marked or hub._timer is not None or hub._tasks:
        assert time.monotonic() < deadline, "the live hub did not settle"
        await asyncio.sleep(0.01)


async def frames_of_a_silent_client(base_url: str, page: str) -> list[tuple[int, bytes]]:
    """Open a page's socket over a raw TCP connection that never answers anything (no pong),
    and return the frames the server sends, (opcode, payload), until it closes."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        (
            f"GET /_live?page={quote(page, safe='')} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Origin: {base_url}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    assert head.startswith(b"HTTP/1.1 101"), head
    frames = []
    try:
        while True:
            first, second = await asyncio.wait_for(reader.readexactly(2), WAIT)
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(await reader.readexactly(2), "big")
            elif size == 127:
                size = int.from_bytes(await reader.readexactly(8), "big")
            frames.append((first & 0x0F, await reader.readexactly(size)))
            if first & 0x0F == 0x8:  # close
                return frames
    except asyncio.IncompleteReadError:
        return frames
    finally:
        writer.close()
