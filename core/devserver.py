"""The development server: with APP_ENV=development, `python app.py` (one worker) runs the app
in a child process and starts a new one whenever a .py file of the project changes, or an
.html file is added or removed (edited templates reload by themselves). While the app cannot
start (a syntax or import error anywhere in its code, a route conflict, a bad declaration), the
server answers every request itself with a page naming the file, the line and the error
(core.devpage), and tries again on the next change: it never stops until told to (SIGTERM or
SIGINT, exit 0).

The listening sockets are bound once, here, and handed to each child (pass_fds): a request
that arrives during a restart waits in the socket's backlog, never refused. Only one process
accepts at a time: the child, or this server while the child cannot start.

The protocol with the child is one environment variable, read by the child's side below:
the inherited socket descriptors, a pipe whose end of file tells the child the server is
gone (so a killed server never leaves an orphan holding the port), and the file where a child
that cannot start writes its Problem.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tornado.httpserver

from core.devpage import error_application
from core.problems import NamedProblem, Problem
from core.server import listen

log = logging.getLogger("core.devserver")

ENV = "DEVSERVER_CHILD"
POLL_SECONDS = 0.5
SETTLE_SECONDS = 0.2  # a change often comes in several writes (an editor, a git checkout)
STOP_SECONDS = 30.0  # the child's own grace period for requests in flight, and then some
RETRY_SECONDS = (2.0, 30.0)  # first and longest wait before retrying a start that failed outside the code
SKIPPED = frozenset({"__pycache__", "node_modules"})

Snapshot = dict[str, tuple[int, int] | None]


# --- the child's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildLink:
    sockets: tuple[int, ...]
    lifeline: int
    report: str


@functools.cache
def child() -> ChildLink | None:
    """What the development server handed this process, if it is the server's child."""
    raw = os.environ.pop(ENV, None)  # not passed on to anything this process starts
    if not raw:
        return None
    data = json.loads(raw)
    return ChildLink(tuple(data["sockets"]), data["lifeline"], data["report"])


def inherited_sockets() -> list[socket.socket] | None:
    """The listening sockets the development server bound, in its child; else None."""
    link = child()
    if link is None:
        return None
    sockets = [socket.socket(fileno=fd) for fd in link.sockets]
    for sock in sockets:
        sock.setblocking(False)
    return sockets


def on_supervisor_exit(callback: Callable[[], None]) -> None:
    """In the server's child, call back (on the running loop) when the server is gone."""
    link = child()
    if link is None:
        return
    loop = asyncio.get_running_loop()

    def gone() -> None:
        loop.remove_reader(link.lifeline)
        callback()

    loop.add_reader(link.lifeline, gone)


def report(problem: Problem) -> None:
    """In the server's child, tell the server why the app cannot start."""
    link = child()
    if link is not None:
        Path(link.report).write_text(json.dumps(dataclasses.asdict(problem)))


# --- watching files -----------------------------------------------------------------------------


def snapshot(root: Path) -> Snapshot:
    """Every .py file under root with its modification time and size, and every .html file
    (whose edits Jinja reloads: only its presence counts). Hidden folders, caches and
    virtualenvs are skipped."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIPPED
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        ]
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".py"):
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                found[path] = (stat.st_mtime_ns, stat.st_size)
            elif name.endswith(".html"):
                found[path] = None
    return found


def changed(before: Snapshot, after: Snapshot, root: Path) -> list[str]:
    """The files added, removed or (for .py) modified, relative to root."""
    missing = object()
    return sorted(
        os.path.relpath(path, root)
        for path in before.keys() | after.keys()
        if before.get(path, missing) != after.get(path, missing)
    )


# --- the server ---------------------------------------------------------------------------------


class Supervisor:
    """Runs `python ENTRY ARGV` as a child on sockets bound once, restarting it on changes."""

    def __init__(self, entry: Path, argv: list[str], host: str, port: int) -> None:
        self.entry = entry.resolve()
        self.root = self.entry.parent
        self.argv = argv
        self.host = host
        self.port = port
        self.sockets: list[socket.socket] = []
        self.child: asyncio.subprocess.Process | None = None
        self.stopped_on_purpose: asyncio.subprocess.Process | None = None
        self.problem: Problem | None = None
        self.error_server: tornado.httpserver.HTTPServer | None = None
        self.retry_at: float | None = None
        self.retry_delay = RETRY_SECONDS[0]
        self.watcher: asyncio.Task[None] | None = None
        self.report = Path()  # where a child that cannot start writes its Problem
        self.lifeline = -1  # the read end of the pipe whose end of file tells a child we are gone
        self.first: asyncio.subprocess.Process | None = None  # the first child
        self.stop = asyncio.Event()
        self.exit_code = 0

    def run(self) -> int:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        try:
            self.sockets = listen(self.host, self.port)
        except NamedProblem as exc:
            print(f"{exc.prefix}{exc}", file=sys.stderr)
            return exc.exit_code
        workdir = tempfile.mkdtemp(prefix="devserver-")
        self.report = Path(workdir) / "problem.json"
        pipe = os.pipe()  # this process holds the write end until it exits
        self.lifeline = pipe[0]
        try:
            asyncio.run(self._serve())
        finally:
            for fd in pipe:
                os.close(fd)
            for sock in self.sockets:
                sock.close()
            shutil.rmtree(workdir, ignore_errors=True)
        return self.exit_code

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        stop = self.stop
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "development server on http://%s:%s: the app restarts when a file changes",
            f"[{self.host}]" if ":" in self.host else self.host,
            self.port,
        )
        files = await loop.run_in_executor(None, snapshot, self.root)
        await self._start_child()
        self.first = self.child
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
                break
            except TimeoutError:
                pass
            now = await loop.run_in_executor(None, snapshot, self.root)
            if differences := changed(files, now, self.root):
                await asyncio.sleep(SETTLE_SECONDS)
                files = await loop.run_in_executor(None, snapshot, self.root)
                shown = ", ".join(differences[:3]) + (" ..." if len(differences) > 3 else "")
                log.info("%s changed: restarting the app", shown)
                self.retry_delay = RETRY_SECONDS[0]
                await self._restart()
            elif self.retry_at is not None and loop.time() >= self.retry_at:
                log.info("trying to start the app again")
                await self._restart()
        await self._stop_child()
        await self._stop_error_server()

    async def _restart(self) -> None:
        await self._stop_child()
        await self._stop_error_server()
        await self._start_child()

    async def _start_child(self) -> None:
        self.report.unlink(missing_ok=True)
        fds = tuple(sock.fileno() for sock in self.sockets)
        link = {"sockets": fds, "lifeline": self.lifeline, "report": str(self.report)}
        self.child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(self.entry),
            *self.argv,
            env={**os.environ, ENV: json.dumps(link)},
            pass_fds=(*fds, self.lifeline),
            # Ctrl-C reaches this process only, which stops the app with SIGTERM (no
            # KeyboardInterrupt traceback from an app still importing)
            start_new_session=True,
        )
        self.watcher = asyncio.create_task(self._watch(self.child))

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if process is self.stopped_on_purpose or process is not self.child:
            return
        self.child = None
        try:
            problem = Problem(**json.loads(self.report.read_text()))
        except (OSError, ValueError, TypeError):
            problem = Problem(f"the app exited with code {code}: its output is above", retry=True)
        if process is self.first and problem.exit_code == 2:
            # bad settings from the start: the environment, fixed at launch, must change (the
            # message is above); a restart by hand is needed anyway
            self.exit_code = 2
            self.stop.set()
            return
        self._show(problem)

    def _show(self, problem: Problem) -> None:
        """Answer every request with the problem until the next change (or retry)."""
        self.problem = problem
        if problem.retry:
            delay, self.retry_delay = self.retry_delay, min(self.retry_delay * 2, RETRY_SECONDS[1])
            self.retry_at = asyncio.get_running_loop().time() + delay
            log.warning("the app cannot start; trying again in %.0f s (or when a file changes)", delay)
        else:
            log.warning("the app cannot start; every request shows why until a file changes")
        if self.error_server is None:
            self.error_server = tornado.httpserver.HTTPServer(error_application(lambda: self.problem))
            self.error_server.add_sockets([sock.dup() for sock in self.sockets])  # closed by stop()

    async def _stop_error_server(self) -> None:
        if self.error_server is not None:
            self.error_server.stop()
            await self.error_server.close_all_connections()
            self.error_server = None
        self.problem = None
        self.retry_at = None

    async def _stop_child(self) -> None:
        process, self.child = self.child, None
        if process is None or process.returncode is not None:
            return
        self.stopped_on_purpose = process
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            log.warning("the app did not stop within %.0f s: killing it", STOP_SECONDS)
            process.kill()
            await process.wait()
