"""Requests sent at once, each over its own TCP connection, as many real clients send them."""

from __future__ import annotations

import asyncio
from typing import Any

import tornado.httpclient

from tests.conftest import Client


def _sender(http, client: Client) -> Client:  # noqa: ANN001
    sender = Client(http, client.base_url)
    sender.cookies = dict(client.cookies)
    return sender


async def at_once(client: Client, requests: list[tuple[str, str, dict[str, Any]]]) -> list:
    """Send every (method, path, request options) at the same time, each with the cookies the
    client holds now; the responses, in order."""
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=len(requests))
    try:
        return await asyncio.gather(
            *(_sender(http, client).request(method, path, **options) for method, path, options in requests)
        )
    finally:
        http.close()


async def answered_meanwhile(client: Client, slow, path: str = "/healthz") -> tuple[Any, int]:
    """Await the coroutine slow while asking path again and again over another connection:
    (slow's result, how many of those requests were answered before slow finished)."""
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=1)
    pinger = Client(http, client.base_url)
    task = asyncio.ensure_future(slow)
    answered = 0
    try:
        while not task.done():
            response = await pinger.get(path)
            assert response.status == 200, response.text
            if not task.done():
                answered += 1
        return await task, answered
    finally:
        http.close()
