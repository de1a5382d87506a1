"""Live pages under load: 500 open sockets on one worker, one change, how long until every
socket has its update, and the server CPU it cost. Measurements, not asserts.

    .venv/bin/python bench/live.py                       # SOCKETS=500 VIEWERS=anonymous
    SOCKETS=1000 VIEWERS=users .venv/bin/python bench/live.py
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/live.py

Starts `python app.py` (one worker) on a throwaway SQLite database (or on DATABASE_URL, which
is migrated first), loads /posts once for its digest, opens SOCKETS sockets to /_live for
/posts with that digest (so none is sent anything until something changes), waits for their
first runs to end, then publishes one post through the API and times, per socket, the arrival
of the update that shows it. VIEWERS=anonymous opens every socket signed out; VIEWERS=users
signs up 50 people and spreads the sockets over them (each socket's page runs as its viewer,
with its session checked). Prints the medians and the maximum, and the server's CPU seconds
(utime + stime from /proc) for opening the sockets and for the one change, and writes
bench/results/live-<stamp>.json. The client runs on the same machine and uses CPU too.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tornado.httpclient  # noqa: E402
import tornado.websocket  # noqa: E402

from bench.procs import children, ticks_by_pid, ticks_since  # noqa: E402
from tests.browser.support import running_app  # noqa: E402

SOCKETS = int(os.environ.get("SOCKETS", "500"))
VIEWERS = os.environ.get("VIEWERS", "anonymous")
PEOPLE = 50
TICK = os.sysconf("SC_CLK_TCK")
XSRF = "bench-xsrf"


def request(base: str, path: str, body: dict | None = None, cookie: str = "") -> tuple[int, dict, bytes]:
    headers = {"Cookie": f"_xsrf={XSRF}; {cookie}", "X-XSRFToken": XSRF}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    call = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(call, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def sign_up(base: str, n: int) -> str:
    body = {"name": f"Viewer {n}", "email": f"viewer{n}@example.com", "password": "correct horse battery"}
    _, headers, _ = request(base, "/api/auth/signup", body)
    return headers["Set-Cookie"].split(";")[0]


def digest(base: str, cookie: str) -> str:
    _, _, page = request(base, "/posts", cookie=cookie)
    text = page.decode()
    start = text.index('data-live="') + len('data-live="')
    return text[start : text.index('"', start)]


async def open_socket(
    base: str, cookie: str, page_digest: str
) -> tornado.websocket.WebSocketClientConnection:
    host = urlsplit(base).netloc
    url = f"ws://{host}/_live?page={quote('/posts', safe='')}&digest={page_digest}"
    headers = {"Origin": base, "Cookie": f"_xsrf={XSRF}; {cookie}"}
    return await tornado.websocket.websocket_connect(tornado.httpclient.HTTPRequest(url, headers=headers))


async def arrival(socket: tornado.websocket.WebSocketClientConnection, title: str) -> float:
    while True:
        message = await socket.read_message()
        if message is None:
            raise RuntimeError("a socket closed before its update")
        if title in message:
            return time.monotonic()


async def measure(base: str, workers: list[int]) -> dict:
    cookies = [sign_up(base, n) for n in range(PEOPLE)] if VIEWERS == "users" else [""]
    digests = {cookie: await asyncio.to_thread(digest, base, cookie) for cookie in cookies}
    writer = sign_up(base, PEOPLE + 1)

    before_open = ticks_by_pid(workers)
    sockets = []
    for start in range(0, SOCKETS, 50):  # 50 handshakes at a time
        batch = [cookies[n % len(cookies)] for n in range(start, min(start + 50, SOCKETS))]
        sockets += await asyncio.gather(*(open_socket(base, c, digests[c]) for c in batch))
    await asyncio.sleep(2.0)  # the first runs end (nothing is sent: the digests match)
    open_cpu = ticks_since(before_open, workers) / TICK

    title = f"Benchmark post {time.time_ns()}"
    before_change = ticks_by_pid(workers)
    started = time.monotonic()
    waiting = [asyncio.ensure_future(arrival(socket, title)) for socket in sockets]
    await asyncio.to_thread(
        request, base, "/api/posts", {"title": title, "body": "x", "published": True}, writer
    )
    arrivals = sorted(t - started for t in await asyncio.gather(*waiting))
    await asyncio.sleep(0.5)  # the server's last runs and writes end
    change_cpu = ticks_since(before_change, workers) / TICK
    for socket in sockets:
        socket.close()
    return {
        "sockets": SOCKETS,
        "viewers": VIEWERS,
        "update_median_ms": round(statistics.median(arrivals) * 1000, 1),
        "update_p90_ms": round(arrivals[int(len(arrivals) * 0.9) - 1] * 1000, 1),
        "update_max_ms": round(arrivals[-1] * 1000, 1),
        "server_cpu_seconds_opening": round(open_cpu, 2),
        "server_cpu_seconds_one_change": round(change_cpu, 2),
        "server_cpu_ms_per_socket_update": round(change_cpu * 1000 / SOCKETS, 2),
    }


def main() -> int:
    settings = {
        "LIVE_SOCKETS_PER_USER": str(SOCKETS + 10),
        "LIVE_SOCKETS_PER_PROCESS": str(SOCKETS + 10),
        "API_RATE_LIMIT": "0",
        "SIGNUP_MAX_PER_ADDRESS": "0",
    }
    if os.environ.get("DATABASE_URL"):
        settings["DATABASE_URL"] = os.environ["DATABASE_URL"]
    with tempfile.TemporaryDirectory() as folder, running_app(Path(folder), "database", **settings) as server:
        workers = [w for app in children(os.getpid()) for w in (children(app) or [app])]  # python app.py
        result = asyncio.run(measure(server.base, workers))
    result["database"] = "postgresql" if "postgresql" in settings.get("DATABASE_URL", "") else "sqlite"
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"live-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(
        json.dumps(result, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
