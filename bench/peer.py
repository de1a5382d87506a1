"""The Next.js peer, driven through its own bench.sh (read-only folder; it copies itself to
PEER_WORKDIR and builds there): `smoke` installs, builds, starts it on 127.0.0.1:3100 with
its own PostgreSQL on :5433, signs up bench@example.com and runs its functional checks;
`stop` stops the app and that PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import procs

PORT = 3100
BASE = f"http://127.0.0.1:{PORT}"
EMAIL = "bench@example.com"  # what the peer's smoke step signs up
PASSWORD = "Bench-password-1"
# its own PostgreSQL cluster (bench.sh: PEER_PG_PORT, default 5433), for CPU accounting
PG_URL = f"postgresql://peer:peer@127.0.0.1:{os.environ.get('PEER_PG_PORT', '5433')}/peer"
SETUP_TIMEOUT = 1800  # the first npm install and next build take minutes


class Peer:
    def __init__(self, source: Path, workdir: Path, log: Path) -> None:
        self.source = source
        self.workdir = workdir
        self.log = log
        self.smoke_ok = False

    def _bench(self, command: str, timeout: float) -> int:
        # PEER_WORKDIR always: as root the read-only folder still looks writable to bash's -w
        env = {**os.environ, "PEER_WORKDIR": str(self.workdir)}
        with open(self.log, "ab") as log:
            return subprocess.run(
                ["bash", str(self.source / "bench.sh"), command],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            ).returncode

    def start(self) -> None:
        """Set up, start and smoke-check the peer; it stays running until stop()."""
        code = self._bench("smoke", SETUP_TIMEOUT)
        self.smoke_ok = code == 0
        if self.pid() is None:
            raise RuntimeError(f"the peer did not start (bench.sh smoke exited {code}); see {self.log}")

    def pid(self) -> int | None:
        try:
            pid = int((self.workdir / ".run" / "next.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if os.path.exists(f"/proc/{pid}") else None

    def pids(self) -> list[int]:
        pid = self.pid()
        return procs.tree(pid) if pid else []

    def memory(self) -> dict:
        pids = self.pids()
        per = [procs.memory(p) for p in pids]
        return {
            "workers": 1,
            "rss_mib_max": sum(m["rss_mib"] for m in per),  # the whole tree counts as its one worker
            "peak_mib_max": sum(m["peak_mib"] for m in per),
            "tree_rss_mib": sum(m["rss_mib"] for m in per),
        }

    def stop(self) -> None:
        self._bench("stop", 120)
