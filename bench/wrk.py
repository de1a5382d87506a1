"""Run wrk against one URL, check every response (lua/check.lua), and read back its numbers
together with the CPU the server, wrk and the rest of the machine used meanwhile."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import procs

CHECK_LUA = Path(__file__).resolve().parent / "lua" / "check.lua"
Pids = Callable[[], list[int]]


def seconds(duration: str) -> float:
    """wrk's duration syntax: 10s, 2m, 500ms, or a bare number of seconds."""
    for suffix, factor in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if duration.endswith(suffix):
            return float(duration[: -len(suffix)]) * factor
    return float(duration)


@dataclass
class Load:
    """What wrk sends, and what every answer must be."""

    url: str
    connections: int
    duration: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: str = ""
    status: int = 200
    marker: str = ""
    timeout: str = "10s"

    def command(self) -> list[str]:
        threads = 1 if self.connections == 1 else 2
        cmd = ["wrk", f"-t{threads}", f"-c{self.connections}", f"-d{self.duration}", "--latency"]
        cmd += ["--timeout", self.timeout, "-s", str(CHECK_LUA)]
        for name, value in self.headers.items():
            cmd += ["-H", f"{name}: {value}"]
        return [*cmd, self.url]

    def shown(self) -> str:
        """The command as a reader would type it (cookies abbreviated)."""
        parts = []
        for part in self.command():
            if part.startswith(("Cookie:", "X-XSRFToken:")):
                part = part.split(":", 1)[0] + ": <...>"
            parts.append(f"'{part}'" if " " in part else part)
        return " ".join(parts).replace(str(CHECK_LUA), "bench/lua/check.lua")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BENCH_METHOD": self.method,
            "BENCH_BODY": self.body,
            "BENCH_STATUS": str(self.status),
            "BENCH_MARKER": self.marker,
        }


def start(load: Load) -> subprocess.Popen:
    return subprocess.Popen(
        load.command(), env=load.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(load: Load, process: subprocess.Popen) -> dict:
    """Wait (bounded) for a wrk started by start() and parse what it printed."""
    try:
        output, _ = process.communicate(timeout=seconds(load.duration) + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=10)
    line = next((x for x in output.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {load.url}:\n{output[-2000:]}")
    raw = json.loads(line[len("WRKJSON ") :])
    elapsed = raw["duration_us"] / 1e6
    return {
        "url": load.url,
        "method": load.method,
        "connections": load.connections,
        "command": load.shown(),
        "requests": raw["requests"],
        "rps": raw["requests"] / elapsed if elapsed else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "ok": raw["ok"],
        "bad": raw["bad"],
        "first_bad_status": raw["first_bad_status"],
        "non_2xx_3xx": raw["err_status"],
        "socket_errors": raw["err_connect"] + raw["err_read"] + raw["err_write"] + raw["err_timeout"],
        "timeouts": raw["err_timeout"],
        "bytes_per_response": raw["bytes"] / raw["requests"] if raw["requests"] else 0.0,
    }


class CpuWindow:
    """CPU used between open and close, in % of one core: by the server's processes, by its
    database server, by wrk (this process's children), and by everything else on the machine."""

    def __init__(self, server_pids: Pids, database_pids: Pids = lambda: []) -> None:
        self.server_pids = server_pids
        self.database_pids = database_pids
        self.mono = time.monotonic()
        self.server = procs.ticks_by_pid(server_pids())
        self.database = procs.ticks_by_pid(database_pids())
        self.children = self._children()
        self.busy, self.total = procs.machine_ticks()

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def close(self) -> dict[str, float]:
        wall = time.monotonic() - self.mono
        hz = os.sysconf("SC_CLK_TCK")
        busy, total = procs.machine_ticks()
        cores = os.cpu_count() or 1
        machine = 100.0 * cores * (busy - self.busy) / max(total - self.total, 1)
        server = 100.0 * procs.ticks_since(self.server, self.server_pids()) / hz / wall
        database = 100.0 * procs.ticks_since(self.database, self.database_pids()) / hz / wall
        wrk_cpu = 100.0 * (self._children() - self.children) / wall
        return {
            "server_cpu_pct": round(server, 1),
            "db_cpu_pct": round(database, 1),
            "wrk_cpu_pct": round(wrk_cpu, 1),
            "rest_cpu_pct": round(max(machine - server - database - wrk_cpu, 0.0), 1),
            "machine_cpu_pct": round(machine, 1),
        }


def measure(load: Load, server_pids: Pids, database_pids: Pids = lambda: []) -> dict:
    """One wrk run in the foreground, with its CPU window."""
    window = CpuWindow(server_pids, database_pids)
    result = finish(load, start(load))
    result.update(window.close())
    return result
