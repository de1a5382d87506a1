"""A profile of the hot path: py-spy samples our app while wrk loads one URL.

`bash bench/profile.sh` runs it (py-spy comes from PyPI into its own virtualenv). It
creates a fresh database (BENCH_DB_PROFILE, default bench_profile), starts `python app.py`
(production, --workers 1, SESSION_MODE), signs up and logs in, loads PROFILE_PATH
(default /dashboard; signed in, except /login and /signup) with wrk at 64 connections, records PROFILE_SECONDS of samples with
py-spy, and prints where the time goes: the functions with the most samples on the stack
(inclusive) and at the top of it (self). The raw collapsed stacks are
kept in RESULTS_DIR/profile-<stamp>/
(`py-spy record --format flamegraph` draws them).
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import client
import database
import suite
import wrk

PY_SPY = os.environ.get("PY_SPY", "py-spy")
SIGNED_OUT_PAGES = ("/login", "/signup")


def frame_name(frame: str) -> str:
    """'render (jinja2/environment.py:1295)' -> 'jinja2/environment.py:render'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    path = path.replace(str(suite.ROOT) + "/", "")
    return f"{path}:{name}"


def package(frame: str) -> str:
    """The layer a frame belongs to: a library, the socket writes, a template, or our code."""
    path = frame.rsplit(":", 1)[0]
    if path.endswith(".html"):
        return "templates (Jinja)"
    if path.startswith("asyncio/selector_events"):
        return "socket I/O (asyncio transports)"
    top = path.split("/", 1)[0]
    if top in ("core", "auth", "dal", "models", "pages", "handlers", "middleware.py", "app.py"):
        return f"ours: {top}"
    if "/" not in path:
        return "ours: pages/handlers" if path.endswith(".py") and path[:1].islower() else "other"
    return top


def summarise(collapsed: Path, top: int = 25) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    pending = ""
    for line in collapsed.read_text().splitlines():
        pending += line
        match = re.search(r" (\d+)$", pending)
        if not match:  # a generated function's name can span lines: read on
            continue
        stack, n, pending = pending[: match.start()], int(match.group(1)), ""
        total += n
        frames = [frame_name(f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += n
        if frames:
            own[frames[-1]] += n
    packages: collections.Counter[str] = collections.Counter()
    for name, n in own.items():
        packages[package(name)] += n
    out = [f"{total} samples", "", "self time by package (where the CPU is spent):"]
    out += [f"  {100 * n / total:5.1f} %  {name}" for name, n in packages.most_common()]
    out += ["", "inclusive (on the stack; SQLAlchemy's greenlet frames start stacks of their own):"]
    out += [f"  {100 * n / total:5.1f} %  {name}" for name, n in inclusive.most_common(top)]
    out += ["", "self (top of the stack):"]
    out += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    return "\n".join(out)


def main() -> int:
    path = os.environ.get("PROFILE_PATH", "/dashboard")
    seconds = int(os.environ.get("PROFILE_SECONDS", "8"))
    mode = os.environ.get("SESSION_MODE", "database")
    out = Path(suite.knob("RESULTS_DIR")) / f"profile-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    out.mkdir(parents=True, exist_ok=True)
    server_url, name = suite.knob("BENCH_PG_URL"), os.environ.get("BENCH_DB_PROFILE", "bench_profile")
    plan = suite.Plan(out)
    plan.db_url = database.recreate(server_url, name)
    database.migrate(plan.db_url)
    server = plan.start_app(mode, 1, "profile-app")
    base = f"http://127.0.0.1:{suite.knob('APP_PORT')}"
    try:
        client.ours_signup(base, suite.NAME, suite.EMAIL, suite.PASSWORD)
        session, _ = client.ours_login(base, suite.EMAIL, suite.PASSWORD)
        signed_in = path not in SIGNED_OUT_PAGES  # signed in, those pages redirect to /dashboard
        cookie = {"Cookie": f"session={session}"} if signed_in else {}
        load = wrk.Load(base + path, 64, f"{seconds + 4}s", headers=cookie)
        background = wrk.start(load)
        time.sleep(2)
        raw = out / "profile.collapsed"
        subprocess.run(
            [
                PY_SPY,
                "record",
                "--pid",
                str(server.pid),
                "--duration",
                str(seconds),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=seconds + 60,
        )
        result = wrk.finish(load, background)
    finally:
        server.stop()
        database.drop(server_url, name)
    text = (
        f"GET {path} ({'signed in, ' + mode + ' sessions' if signed_in else 'signed out'}), wrk -c64, "
        f"{result['rps']:.1f} req/s during the profile, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, {result['bad']} answers that were not 200\n\n{summarise(raw)}\n"
    )
    (out / "profile.txt").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
