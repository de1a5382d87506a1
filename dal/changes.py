"""What changed: each DAL write names the topics it touches (announce(), inside its transaction),
and once the transaction commits, live pages that depend on one of them hear it: in this
process at once, in other workers and instances through the database. Nothing is announced
for a transaction that rolls back.

Topics: ``posts``, ``post:<id>``, ``author:<user id>`` (that author's posts), ``users``,
``user:<id>``, ``audit``, ``session:<token hash>`` (that session ended: logout) and
``sessions:<user id>`` (the user's sessions changed: each is checked again).

Across processes (Fanout, one per worker):
- PostgreSQL: the transaction NOTIFYs on the ``live_changes`` channel (delivered at commit),
  and one listener connection per worker LISTENs. When that connection drops, it reconnects
  (backing off up to 5 s), listens again, and asks for every live page to run again, since
  notifications may have been missed while away; a watchdog query every few seconds finds a
  connection that died silently.
- SQLite: the transaction adds a row to the ``live_changes`` table (pruned to the latest
  KEEP_ROWS), which each worker polls every POLL_SECONDS, only while it has sockets open;
  starting to poll (or a gap in the ids) also runs every live page again.
Each process marks what it writes with its ORIGIN and skips its own notes (it heard them at
commit already).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from dal import db
from models import LiveChange

log = logging.getLogger("dal.changes")

CHANNEL = "live_changes"
ORIGIN = secrets.token_hex(8)  # this process
POLL_SECONDS = 0.25
KEEP_ROWS = 1000
PRUNE_EVERY = 100  # commits that announce something, per process
WATCHDOG_SECONDS = 5.0
MAX_BACKOFF = 5.0
MAX_NOTIFY = 7000  # bytes; PostgreSQL's limit is 8000: beyond, "*" (everything) is sent
_TOPICS = "live_topics"  # where a session keeps what it will announce

Changed = Callable[[Iterable[str]], None]


@dataclass
class _State:
    changed: Changed | None = None  # the live hub of this process's app
    commits: int = 0


state = _State()


def announce(session: AsyncSession, *topics: str) -> None:
    """Name what this write transaction changes; it is announced when the transaction commits."""
    session.info.setdefault(_TOPICS, set()).update(topics)


@event.listens_for(Session, "before_commit")
def _note(session: Session) -> None:
    """Inside the transaction: NOTIFY (PostgreSQL, delivered at commit) or a change-log row."""
    topics = session.info.get(_TOPICS)
    if not topics:
        return
    note = " ".join(sorted(topics))
    if session.get_bind().dialect.name == "postgresql":
        payload = f"{ORIGIN} {note}"
        if len(payload.encode()) > MAX_NOTIFY:
            payload = f"{ORIGIN} *"
        session.execute(select(func.pg_notify(CHANNEL, payload)))
        return
    session.add(LiveChange(origin=ORIGIN, topics=note))
    state.commits += 1
    if state.commits % PRUNE_EVERY == 0:
        newest = select(func.max(LiveChange.id)).scalar_subquery()
        session.execute(delete(LiveChange).where(LiveChange.id < newest - KEEP_ROWS))


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    """After the commit: this process's live pages hear it at once."""
    topics = session.info.pop(_TOPICS, None)
    if topics and state.changed is not None:
        try:
            state.changed(frozenset(topics))
        except Exception:  # the write is done; a live page missing it must not fail it
            log.exception("announcing %s failed", sorted(topics))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_TOPICS, None)


# --- hearing other processes ------------------------------------------------------------------

NEWER = (
    select(LiveChange.id, LiveChange.origin, LiveChange.topics)
    .where(LiveChange.id > bindparam("last"))
    .order_by(LiveChange.id)
    .limit(KEEP_ROWS)
)
NEWEST = select(func.coalesce(func.max(LiveChange.id), 0))


class Fanout:
    """core.live's fan-out (core.live.hub.Fanout) for this app: delivers this process's
    announcements, and hears other processes' through a listener (PostgreSQL) or a poller
    (SQLite). One per worker."""

    def __init__(self) -> None:
        state.changed = None  # one application per process: a new one replaces the last
        self._task: asyncio.Task | None = None
        self._changed: Changed = lambda topics: None
        self._resync: Callable[[], None] = lambda: None
        self._wanted: Callable[[], bool] = lambda: False
        self.listening = asyncio.Event()  # other processes' changes are being heard

    def start(self, changed: Changed, resync: Callable[[], None], wanted: Callable[[], bool]) -> None:
        state.changed = changed
        self._changed, self._resync, self._wanted = changed, resync, wanted
        if self._task is None:
            database = db.state.database
            postgresql = database is not None and database.url.startswith("postgresql")
            self._task = asyncio.create_task(self._listen() if postgresql else self._poll())

    async def stop(self) -> None:
        if state.changed is self._changed:
            state.changed = None
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def _heard(self, note: str) -> None:
        origin, _, topics = note.partition(" ")
        if origin == ORIGIN:
            return
        names = topics.split()
        if "*" in names:
            self._resync()
        elif names:
            self._changed(names)

    # --- PostgreSQL: LISTEN on a connection of its own ---

    async def _listen(self) -> None:
        backoff = 0.2
        while True:
            connection = None
            try:
                connection = await db.state.database.listener_connection()
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, lambda _c, _pid, _channel, note: self._heard(note))
                backoff = 0.2
                self._resync()  # notifications may have been missed while not listening
                self.listening.set()
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), WATCHDOG_SECONDS)
                    except TimeoutError:
                        await asyncio.wait_for(connection.fetchval("SELECT 1"), WATCHDOG_SECONDS)
                log.warning("the live pages' listener connection was lost: reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any driver or network error: try again
                log.warning("the live pages' listener failed (%s): reconnecting", exc)
            finally:
                self.listening.clear()
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    # --- SQLite: the change log, polled while sockets are open ---

    async def _poll(self) -> None:
        last: int | None = None
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self._wanted():
                last = None
                self.listening.clear()
                continue
            try:
                if last is None:
                    last = (await db.fetch_one(NEWEST))[0]
                    self._resync()  # changes before polling began were not heard
                    self.listening.set()
                    continue
                rows = await db.fetch(NEWER, {"last": last})
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is busy or away: start over when it is back
                log.warning("the live pages' change log could not be read: %s", exc)
                last = None
                self.listening.clear()
                continue
            if rows and rows[0].id != last + 1:
                self._resync()  # rows were pruned before this worker read them
            for row in rows:
                self._heard(f"{row.origin} {row.topics}")
            if rows:
                last = rows[-1].id
