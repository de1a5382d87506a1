"""The benchmark plan: every target of issue 6, measured in one run, written as JSON.

Run through bench/run.sh (which installs wrk, PostgreSQL and the virtualenv first). Per
round: the bare Tornado hello world; the Next.js peer; our app in both session modes (pages
at 1 and 64 connections, /api/me quiet and under a login storm); our app with --workers 1
and 2 (/dashboard, login throughput, and the bcrypt ceiling measured just before the
--workers 2 logins). Every server is stopped
before the next starts, so each has the machine to itself. Knobs are environment
variables (see KNOBS); results go to RESULTS_DIR/<stamp>/ as results.json, then report.py
turns them into summary.md and summary.json.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import ceiling
import client
import database
import peer as peer_mod
import procs
import report
import wrk

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

KNOBS = {
    "DURATION": "10s",  # each measured wrk run
    "WARMUP": "3s",  # unrecorded wrk run before a server's measurements, per URL
    "LOGIN_DURATION": "10s",  # login throughput runs
    "CEILING_SECONDS": "6",  # bcrypt ceiling
    "ROUNDS": "2",  # the whole plan, repeated (even rounds in reverse order); the summary takes the median
    "CONNECTIONS": "1,64",
    "LOGIN_CONNECTIONS": "16",
    "STORM_CONNECTIONS": "1",  # /api/me connections during the quiet and storm runs
    "DRAIN_SECONDS": "4",  # pause after a login run: bcrypt work still queued finishes
    "PEER": "1",  # 0: leave the peer out (no ratios against it)
    "PEER_DIR": str((ROOT.parent / "shared" / "bench" / "peer-nextjs").resolve()),
    "PEER_WORKDIR": "/tmp/peer-nextjs",
    "BENCH_PG_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    "BENCH_DB": "bench",
    "KEEP_DB": "0",
    "APP_PORT": "8100",
    "HELLO_PORT": "8102",
    "BCRYPT_ROUNDS": "12",
    "RESULTS_DIR": str(BENCH / "results"),
}

NAME, EMAIL, PASSWORD = "Bench User", peer_mod.EMAIL, peer_mod.PASSWORD


def knob(name: str) -> str:
    return os.environ.get(name) or KNOBS[name]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Plan:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.duration = knob("DURATION")
        self.warmup = knob("WARMUP")
        self.connections = [int(c) for c in knob("CONNECTIONS").split(",")]
        self.drain = float(knob("DRAIN_SECONDS"))
        self.runs: list[dict] = []
        self.memory: list[dict] = []
        self.ceilings: list[dict] = []
        self.notes: list[str] = []
        self.round = 1
        self.secret = secrets.token_urlsafe(48)
        self.db_url = ""
        self.db_pids: wrk.Pids = lambda: []  # the database server of the target being measured

    # --- recording ---

    def record(self, target: str, case: str, load: wrk.Load, pids, **extra) -> dict:
        result = wrk.measure(load, pids, self.db_pids)
        result.update(round=self.round, target=target, case=case, **extra)
        self.runs.append(result)
        errors = result["bad"] + result["socket_errors"]
        log(
            f"{target:<15} {case:<28} c{load.connections:<3} {result['rps']:9.1f} req/s "
            f"p50 {result['p50_ms']:8.2f} ms  p99 {result['p99_ms']:8.2f} ms  errors {errors}"
        )
        return result

    def remember_memory(self, target: str, memory: dict) -> None:
        self.memory.append({"round": self.round, "target": target, **memory})

    def warm(self, loads: list[wrk.Load]) -> None:
        for load in loads:
            warm = wrk.Load(**{**load.__dict__, "duration": self.warmup, "connections": 64})
            wrk.finish(warm, wrk.start(warm))

    # --- the parts ---

    def bcrypt_ceiling(self) -> None:
        result = ceiling.bcrypt_ceiling(float(knob("CEILING_SECONDS")), int(knob("BCRYPT_ROUNDS")))
        result["round"] = self.round
        self.ceilings.append(result)
        log(f"bcrypt ceiling: {result['per_second']:.2f} verifications/s on {result['threads']} threads")

    def hello(self) -> None:
        port = int(knob("HELLO_PORT"))
        self.db_pids = lambda: []
        server = procs.Server(
            "hello",
            [sys.executable, str(BENCH / "hello.py"), "--port", str(port)],
            env=dict(os.environ),
            cwd=BENCH,
            log=self.out / "hello.log",
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            server.wait_until_answering(url, 30)
            loads = [wrk.Load(url, c, self.duration, marker="Hello") for c in self.connections]
            self.warm(loads[-1:])
            for load in loads:
                self.record("hello", "GET / (hello world)", load, server.workers)
            self.remember_memory("hello", server.memory())
        finally:
            server.stop()

    def peer(self) -> None:
        peer = peer_mod.Peer(Path(knob("PEER_DIR")), Path(knob("PEER_WORKDIR")), self.out / "peer.log")
        log("peer: bench.sh smoke (the first time installs and builds it)")
        try:
            peer.start()
            if not peer.smoke_ok:
                self.notes.append(
                    f"round {self.round}: the peer's smoke checks reported a failure (peer.log)"
                )
            self.db_pids = database.backend_pids(peer_mod.PG_URL)
            session = client.peer_login(peer_mod.BASE, EMAIL, PASSWORD)
            cookie = {"Cookie": f"session={session}"}
            self.pages("peer", peer_mod.BASE, cookie, peer.pids)
            self.login("peer", peer_mod.BASE, {}, peer.pids)
            self.remember_memory("peer", peer.memory())
        finally:
            peer.stop()

    def start_app(self, mode: str, workers: int, name: str) -> procs.Server:
        port = knob("APP_PORT")
        self.db_pids = database.backend_pids(self.db_url)
        env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": self.secret,
            "DATABASE_URL": self.db_url,
            "SESSION_MODE": mode,
            "BCRYPT_ROUNDS": knob("BCRYPT_ROUNDS"),
            # per-address limits would throttle one client hammering from 127.0.0.1
            "API_RATE_LIMIT": "0",
            "ADDRESS_MAX_FAILURES": "0",
            "SIGNUP_MAX_PER_ADDRESS": "0",
            # a login being checked counts against the account until it is settled, so 16
            # concurrent logins to the one bench account would pass LOGIN_MAX_FAILURES (10)
            "LOGIN_MAX_FAILURES": "0",
            # production requires APP_URL and a mail server; no mail is sent while measuring
            "APP_URL": f"http://127.0.0.1:{port}",
            "MAIL_URL": "smtp://127.0.0.1:1",
            "EMAIL_VERIFICATION": "off",
        }
        cmd = [sys.executable, "app.py", "--host", "127.0.0.1", "--port", port, "--workers", str(workers)]
        server = procs.Server(name, cmd, env=env, cwd=ROOT, log=self.out / f"{name}.log")
        try:
            server.wait_until_answering(f"http://127.0.0.1:{port}/healthz", 60)
            if workers > 1:  # every worker answers before measuring
                deadline = time.monotonic() + 30
                while len(procs.children(server.pid)) < workers and time.monotonic() < deadline:
                    time.sleep(0.1)
        except Exception:
            server.stop()
            raise
        return server

    def ours(self, mode: str) -> None:
        target = f"ours-{mode}"
        server = self.start_app(mode, 1, target)
        base = f"http://127.0.0.1:{knob('APP_PORT')}"
        try:
            client.ours_signup(base, NAME, EMAIL, PASSWORD)
            session, pair = client.ours_login(base, EMAIL, PASSWORD)
            cookie = {"Cookie": f"session={session}"}
            self.pages(target, base, cookie, server.workers)
            self.storm(target, base, cookie, self.login_headers(pair), server.workers)
            self.remember_memory(target, server.memory())
        finally:
            server.stop()

    def workers(self) -> None:
        base = f"http://127.0.0.1:{knob('APP_PORT')}"
        for count in (1, 2):
            target = f"ours-w{count}"
            server = self.start_app("database", count, target)
            try:
                session, pair = client.ours_login(base, EMAIL, PASSWORD)
                load = wrk.Load(
                    f"{base}/dashboard",
                    64,
                    self.duration,
                    headers={"Cookie": f"session={session}"},
                    marker=NAME,
                )
                self.warm([load])
                self.record(target, "GET /dashboard", load, server.workers, workers=count)
                if count == 2:  # the ceiling right before the run it bounds (the server idles)
                    self.bcrypt_ceiling()
                self.login(target, base, self.login_headers(pair), server.workers, workers=count)
                self.remember_memory(target, server.memory())
            finally:
                server.stop()

    # --- the measurements ---

    def pages(self, target: str, base: str, cookie: dict[str, str], pids) -> None:
        cases = [
            ("GET /login", wrk.Load(f"{base}/login", 1, self.duration, marker="<form")),
            # the name, not the address: a page may break an address with <wbr> (and the peer's
            # dashboard shows both)
            ("GET /dashboard", wrk.Load(f"{base}/dashboard", 1, self.duration, headers=cookie, marker=NAME)),
            ("GET /api/me", wrk.Load(f"{base}/api/me", 1, self.duration, headers=cookie, marker=EMAIL)),
        ]
        self.warm([load for _, load in cases])
        for case, load in cases:
            for connections in self.connections:
                self.record(target, case, wrk.Load(**{**load.__dict__, "connections": connections}), pids)

    @staticmethod
    def login_headers(pair: client.Xsrf) -> dict[str, str]:
        return {"Cookie": f"_xsrf={pair.cookie}", "X-XSRFToken": pair.token}

    def login_load(self, base: str, headers: dict[str, str], duration: str) -> wrk.Load:
        return wrk.Load(
            f"{base}/api/auth/login",
            int(knob("LOGIN_CONNECTIONS")),
            duration,
            headers={**headers, "Content-Type": "application/json"},
            method="POST",
            body=json.dumps({"email": EMAIL, "password": PASSWORD}),
            marker="success",
            timeout="30s",
        )

    def login(self, target: str, base: str, headers: dict[str, str], pids, **extra) -> None:
        load = self.login_load(base, headers, knob("LOGIN_DURATION"))
        self.record(target, "POST /api/auth/login", load, pids, **extra)
        time.sleep(self.drain)

    def storm(
        self, target: str, base: str, cookie: dict[str, str], login_headers: dict[str, str], pids
    ) -> None:
        """/api/me alone, then /api/me while wrk posts valid logins as fast as they are served."""
        me = wrk.Load(
            f"{base}/api/me", int(knob("STORM_CONNECTIONS")), self.duration, headers=cookie, marker=EMAIL
        )
        self.record(target, "GET /api/me quiet", me, pids)
        head_start = 2.0
        logins = self.login_load(base, login_headers, f"{wrk.seconds(self.duration) + 2 * head_start:g}s")
        window = wrk.CpuWindow(pids, self.db_pids)
        background = wrk.start(logins)
        time.sleep(head_start)
        self.record(target, "GET /api/me storm", me, pids)
        result = wrk.finish(logins, background)
        result.update(window.close(), round=self.round, target=target, case="POST /api/auth/login storm")
        self.runs.append(result)
        log(f"{target:<15} {'(logins during the storm)':<28} {result['rps']:9.1f} req/s")
        time.sleep(self.drain)


def describe_machine() -> dict:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), ""
    )
    import asyncpg
    import bcrypt
    import sqlalchemy
    import tornado

    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "tornado": tornado.version,
        "sqlalchemy": sqlalchemy.__version__,
        "asyncpg": asyncpg.__version__,
        "bcrypt": bcrypt.__version__,
        "wrk": "wrk " + (run(["wrk", "-v"]) + " ").split(" ", 2)[1].split("/")[-1],
        "node": run(["node", "--version"]),
        "git": run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"]),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


def main() -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(knob("RESULTS_DIR")) / stamp
    out.mkdir(parents=True, exist_ok=True)
    log(f"results -> {out}")
    plan = Plan(out)
    meta = {"stamp": stamp, "knobs": {k: knob(k) for k in KNOBS}, "machine": describe_machine()}
    server_url, db_name = knob("BENCH_PG_URL"), knob("BENCH_DB")
    plan.db_url = database.recreate(server_url, db_name)
    database.migrate(plan.db_url)
    log(f"database {db_name}: created and migrated (alembic upgrade head)")
    failed = False
    try:
        for plan.round in range(1, int(knob("ROUNDS")) + 1):
            log(f"round {plan.round}")
            parts = [("Tornado hello", plan.hello)]
            if knob("PEER") == "1":
                parts.append(("peer", plan.peer))
            parts += [(f"ours, {m} sessions", lambda m=m: plan.ours(m)) for m in ("database", "stateless")]
            parts.append(("ours, --workers 1 and 2", plan.workers))
            if plan.round % 2 == 0:  # every other round in reverse, so drift does not favour one side
                parts.reverse()
            for name, part in parts:
                try:
                    part()
                except Exception as exc:  # the table shows what is missing rather than no table at all
                    failed = True
                    plan.notes.append(f"round {plan.round}: {name} failed: {exc}")
                    log(f"{name} failed: {exc}")
    finally:
        meta["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        data = {
            "meta": meta,
            "notes": plan.notes,
            "runs": plan.runs,
            "memory": plan.memory,
            "ceiling": plan.ceilings,
        }
        (out / "results.json").write_text(json.dumps(data, indent=1))
        if knob("KEEP_DB") != "1":
            database.drop(server_url, db_name)
    report.write(out)
    latest = out.parent / "latest"
    if latest.is_symlink() or not latest.exists():
        latest.unlink(missing_ok=True)
        latest.symlink_to(out.name)
    print((out / "summary.md").read_text())
    log(f"summary: {out / 'summary.md'} and {out / 'summary.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
