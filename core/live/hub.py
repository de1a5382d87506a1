"""The live sockets of one process, what each depends on, and when each runs again.

The app tells the hub what changed (changed(topics), from its fan-out: this process at once,
other workers and instances through the database). Each socket that depends on one of the
topics is marked; marked sockets run together once the first change of a burst is
COALESCE_SECONDS old, so many changes in a short time give one run per page. A socket never
runs twice at once (a change during its run marks it again), and at most RUNS_AT_ONCE runs
share the database at a time. resync() runs every socket (changes may have been missed:
the fan-out reconnected). A session that ends closes its sockets at once.

Limits: sockets per process and per user (per address when signed out), an idle timeout
(no message from the browser for idle_seconds: the script sends one while its tab is in
view), heartbeats (Tornado's pings; a socket whose pong does not come back is closed), and
close() for shutdown, which closes every socket with 1001 "going away".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("core.live")

RUNS_AT_ONCE = 4  # well below the database pool's size: page requests keep connections to use
EVERYTHING = "*"  # a topic that means "anything may have changed"
GOING_AWAY, SESSION_ENDED, IDLE = 1001, 4401, 4408


class Fanout(Protocol):
    """How changes reach the hub (the app's implementation: dal.changes.Fanout)."""

    def start(
        self, changed: Callable[[Iterable[str]], None], resync: Callable[[], None], wanted: Callable[[], bool]
    ) -> None:
        """Deliver announcements to changed(topics) from now on; call resync() when some may
        have been missed; listen to other processes only while wanted() (sockets are open)."""

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class LiveOptions:
    per_user: int = 20
    per_process: int = 5000
    idle_seconds: float = 900.0
    heartbeat_seconds: float = 25.0
    coalesce_seconds: float = 0.1
    fanout: Fanout | None = None


class Socket(Protocol):
    """What the hub needs of a live socket (core.live.socket.LiveSocket)."""

    key: str  # whom the per-user limit counts it for
    session_topics: frozenset[str]  # topics that end its session: closed at once
    check_topics: frozenset[str]  # topics after which it runs again whatever its page shows
    last_seen: float
    running: bool
    again: bool

    async def refresh(self) -> None: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class LiveHub:
    def __init__(self, options: LiveOptions) -> None:
        self.options = options
        self.sockets: set[Socket] = set()
        self.per_key: Counter[str] = Counter()
        self.watchers: dict[str, set[Socket]] = {}  # topic -> sockets that run again
        self.endings: dict[str, set[Socket]] = {}  # topic -> sockets whose session it ends
        self.topics_of: dict[Socket, frozenset[str]] = {}
        self.marked: set[Socket] = set()
        self.runs = 0  # page runs so far (tests and bench/ read it)
        self.closing = False
        self._started = False
        self._timer: asyncio.TimerHandle | None = None
        self._sweeper: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(RUNS_AT_ONCE)
        self._emptied: asyncio.Event | None = None  # set when the last socket closes (shutdown)

    # --- starting and stopping ---

    def start(self) -> None:
        """Start hearing changes (at the worker's start, or with its first socket)."""
        if not self._started and self.options.fanout is not None:
            self._started = True
            self.options.fanout.start(self.changed, self.resync, lambda: bool(self.sockets))

    async def close(self, wait: float = 1.0) -> None:
        """Close every socket with 1001 "going away" (the browser reconnects elsewhere) and
        stop hearing changes. New sockets are refused from now on."""
        self.closing = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sweeper is not None:
            self._sweeper.cancel()
        self._emptied = asyncio.Event()
        if self.sockets:
            log.info("closing %d live socket(s): going away", len(self.sockets))
        for socket in list(self.sockets):
            socket.close(GOING_AWAY, "going away")
        if self.sockets:  # until the browsers answer the close frames (bounded)
            try:
                await asyncio.wait_for(self._emptied.wait(), wait)
            except TimeoutError:
                log.warning("%d live socket(s) did not close in time", len(self.sockets))
        if self._tasks:  # runs in progress end (each is a request in flight, bounded by its own)
            await asyncio.wait(set(self._tasks), timeout=10)
        if self._started and self.options.fanout is not None:
            self._started = False
            await self.options.fanout.stop()

    # --- sockets ---

    def refusal(self, key: str) -> tuple[int, str] | None:
        """Why a new socket for key may not open (status, message), or None."""
        if self.closing:
            return 503, "The server is restarting: try again in a moment."
        if len(self.sockets) >= self.options.per_process:
            return 503, "Too many live pages are open on this server: try again later."
        if self.per_key[key] >= self.options.per_user:
            return 429, "Too many live pages are open: close some tabs."
        return None

    def add(self, socket: Socket) -> None:
        self.sockets.add(socket)
        self.per_key[socket.key] += 1
        for topic in socket.session_topics:
            self.endings.setdefault(topic, set()).add(socket)
        self.subscribe(socket, socket.check_topics)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep())
        self.start()

    def remove(self, socket: Socket) -> None:
        if socket not in self.sockets:
            return
        self.sockets.discard(socket)
        self.marked.discard(socket)
        self.per_key[socket.key] -= 1
        if self.per_key[socket.key] <= 0:
            del self.per_key[socket.key]
        self._index(self.endings, socket, socket.session_topics, ())
        self._index(self.watchers, socket, self.topics_of.pop(socket, frozenset()), ())
        if not self.sockets and self._emptied is not None:
            self._emptied.set()

    def subscribe(self, socket: Socket, topics: frozenset[str]) -> None:
        """socket runs again when one of topics is announced (from now on: instead of before)."""
        if socket not in self.sockets:
            return
        old = self.topics_of.get(socket, frozenset())
        self._index(self.watchers, socket, old, topics)
        self.topics_of[socket] = topics

    @staticmethod
    def _index(index: dict[str, set[Socket]], socket: Socket, old: Iterable[str], new: Iterable[str]) -> None:
        new = set(new)
        for topic in set(old) - new:
            sockets = index.get(topic)
            if sockets is not None:
                sockets.discard(socket)
                if not sockets:
                    del index[topic]
        for topic in new:
            index.setdefault(topic, set()).add(socket)

    # --- changes ---

    def changed(self, topics: Iterable[str]) -> None:
        """Topics were announced: close sockets whose session ended, mark the rest that
        depend on one of them, and run the marked ones after the coalescing delay."""
        if self.closing or not self.sockets:
            return
        for topic in topics:
            if topic == EVERYTHING:
                self.marked |= self.sockets
                continue
            for socket in list(self.endings.get(topic, ())):
                socket.close(SESSION_ENDED, "Your session has ended.")
            self.marked |= self.watchers.get(topic, set())
        self._schedule()

    def resync(self) -> None:
        """Run every socket (announcements may have been missed)."""
        self.changed((EVERYTHING,))

    def _schedule(self) -> None:
        if self.marked and self._timer is None and not self.closing:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.options.coalesce_seconds, self._flush)

    def _flush(self) -> None:
        self._timer = None
        marked, self.marked = self.marked, set()
        for socket in marked:
            self.run(socket)

    def run(self, socket: Socket) -> None:
        """Run socket's page now (or right after its run in progress)."""
        if socket not in self.sockets or self.closing:
            return
        if socket.running:
            socket.again = True
            return
        socket.running = True
        task = asyncio.create_task(self._run(socket))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, socket: Socket) -> None:
        try:
            async with self._slots:
                if socket in self.sockets and not self.closing:
                    self.runs += 1
                    await socket.refresh()
        except Exception:
            log.exception("a live page's run failed")
        finally:
            socket.running = False
            if socket.again:
                socket.again = False
                self.marked.add(socket)
                self._schedule()

    # --- idle sockets ---

    async def _sweep(self) -> None:
        idle = self.options.idle_seconds
        while self.sockets and not self.closing:
            await asyncio.sleep(min(max(idle / 4, 0.25), 30.0))
            now = time.monotonic()
            for socket in list(self.sockets):
                if now - socket.last_seen > idle:
                    socket.close(IDLE, "idle")
