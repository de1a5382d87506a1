"""run_workers(): N independent server processes, each binding its own reuse_port socket.

The parent only supervises: it restarts a worker that dies, and on SIGTERM or SIGINT
passes the signal on and waits for every worker to finish its in-flight requests.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable

log = logging.getLogger("core.workers")
MAX_RESTARTS = 100


def run_workers(count: int, serve: Callable[[int], None]) -> int:
    """Fork `count` processes running serve(index); must run before any event loop exists."""
    children: dict[int, int] = {}
    stopping = False
    restarts = 0

    def start(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                serve(index)
            except BaseException:
                log.exception("worker %d failed", index)
                code = 1
            finally:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = index

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(count):
        start(index)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, None)
        if index is None or stopping:
            continue
        code = os.waitstatus_to_exitcode(status)
        if restarts >= MAX_RESTARTS:
            log.error("worker %d exited with %d; too many restarts, stopping", index, code)
            stop(signal.SIGTERM, None)
            continue
        restarts += 1
        log.warning("worker %d exited with %d; restarting it", index, code)
        start(index)
    return 0
