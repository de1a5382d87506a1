"""Servers the benchmark starts: start, wait until they answer, read their memory and CPU
from /proc, stop them. Only processes started here are ever signalled, by their own PID."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def children(pid: int) -> list[int]:
    """Direct children of pid, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


def tree(pid: int) -> list[int]:
    """pid and all its descendants (bounded: a process tree here has a handful of members)."""
    out, todo = [], [pid]
    while todo and len(out) < 256:
        current = todo.pop()
        if os.path.exists(f"/proc/{current}"):
            out.append(current)
            todo.extend(children(current))
    return out


def memory(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak over the process's life), in MiB."""
    values = {"rss_mib": 0.0, "peak_mib": 0.0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    values["rss_mib"] = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    values["peak_mib"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return values


def ticks_by_pid(pids: list[int]) -> dict[int, int]:
    """utime + stime (+ those of reaped children) of each process, in clock ticks."""
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            found[pid] = sum(int(x) for x in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return found


def ticks_since(before: dict[int, int], pids: list[int]) -> int:
    """CPU ticks used since `before` by these processes: a process that started meanwhile
    counts whole, one that exited meanwhile is lost (its last moments are not counted)."""
    now = ticks_by_pid(pids)
    return sum(max(ticks - before.get(pid, 0), 0) for pid, ticks in now.items())


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        cpu = [int(x) for x in stat.readline().split()[1:9]]
    idle = cpu[3] + cpu[4]
    return sum(cpu) - idle, sum(cpu)


class Server:
    """One server process started by the benchmark, its output in a log file."""

    def __init__(self, name: str, cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.pid = self.process.pid

    def wait_until_answering(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f}s; see {self.log}")

    def workers(self) -> list[int]:
        """The processes that serve: the children of a supervising parent, else the process."""
        return children(self.pid) or [self.pid]

    def memory(self) -> dict:
        per = {pid: memory(pid) for pid in self.workers()}
        return {
            "workers": len(per),
            "rss_mib_max": max((m["rss_mib"] for m in per.values()), default=0.0),
            "peak_mib_max": max((m["peak_mib"] for m in per.values()), default=0.0),
            "tree_rss_mib": sum(memory(pid)["rss_mib"] for pid in tree(self.pid)),
        }

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for pid in reversed(tree(self.pid)):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.wait(timeout=5)
        self._log_file.close()
