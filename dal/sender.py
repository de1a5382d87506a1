"""The background sender: delivers the outbox (dal.outbox) from inside the app's process.

Each process (every worker, every instance) runs one. It wakes when a transaction of its own
process queued mail, and every poll_seconds for the rest (mail queued by other processes,
retries); it claims a batch of due mails, hands each to the transport (core.mail), and deletes
it once delivered. A failed delivery is tried again after retry_seconds, doubling each time
(at most 64 times retry_seconds), and given up after MAX_ATTEMPTS or at once when the server
refused it for good. Nothing here ever runs inside a request: a slow or absent mail server
only delays mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from core.mail import MailError, Transport, address_domain, build_message
from dal import outbox

log = logging.getLogger("dal.sender")

MAX_ATTEMPTS = 10
BATCH = 20
# a claim lasts longer than a batch can take (each delivery is bounded by the transport's
# timeouts), so a live sender never loses its mail to another; a dead one's mail is taken over
LEASE = timedelta(minutes=10)
LONGEST_BACKOFF = 64  # times retry_seconds


class Sender:
    def __init__(
        self,
        transport: Transport,
        mail_from: str,
        *,
        poll_seconds: float = 5.0,
        retry_seconds: float = 30.0,
        batch: int = BATCH,
    ) -> None:
        self.transport = transport
        self.mail_from = mail_from
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.batch = batch
        self._task: asyncio.Task | None = None
        self._wakeup: asyncio.Event | None = None
        self._stopping = False

    def start(self) -> None:
        """Run in the background on the current event loop until stop()."""
        self._wakeup = asyncio.Event()
        self._stopping = False
        outbox.listeners.add(self.wake)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="mail sender")

    def wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Let the delivery in progress finish (up to grace seconds), then stop."""
        outbox.listeners.discard(self.wake)
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            log.warning(
                "the mail sender did not finish its batch in time; unsent mail waits for the next start"
            )
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        assert self._wakeup is not None
        while not self._stopping:
            self._wakeup.clear()
            try:
                handled = await self.deliver_due()
            except Exception as exc:  # the database is away: try again at the next poll
                log.warning("the mail sender could not reach the outbox: %s: %s", type(exc).__name__, exc)
                handled = 0
            if handled >= self.batch and not self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)

    async def deliver_due(self) -> int:
        """Claim one batch of due mails and try each once; returns how many were claimed."""
        claimed = await outbox.claim(self.batch, LEASE)
        for queued in claimed:
            await self._deliver(queued)
        return len(claimed)

    async def _deliver(self, queued: outbox.Queued) -> None:
        message_id = (
            f"<outbox-{queued.id}-{int(queued.created_at.timestamp())}@{address_domain(self.mail_from)}>"
        )
        message = build_message(queued.mail, self.mail_from, message_id)
        try:
            await self.transport.send(message)
        except Exception as exc:  # MailError; anything else is a bug, and tried again too
            if not isinstance(exc, MailError):
                log.exception("mail %s: the transport failed unexpectedly", queued.id)
            attempts = queued.attempts + 1
            give_up = (isinstance(exc, MailError) and exc.permanent) or attempts >= MAX_ATTEMPTS
            retry_in = None if give_up else self.backoff(attempts)
            log.warning(
                "mail %s to %s failed (attempt %d%s): %s",
                queued.id,
                queued.mail.to,
                attempts,
                ", given up" if give_up else f", next in {retry_in.total_seconds():g}s",
                exc,
            )
            await outbox.failed(queued, str(exc), retry_in)
            return
        await outbox.delivered(queued)
        log.info("mail %s delivered to %s", queued.id, queued.mail.to)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.retry_seconds * min(2 ** (attempts - 1), LONGEST_BACKOFF))
