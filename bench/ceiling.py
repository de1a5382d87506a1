"""The login ceiling: bcrypt verifications per second on all cores, nothing else running.

One thread per core runs bcrypt.checkpw at the benchmark's cost in a loop for a bounded
time (pyca/bcrypt releases the GIL, so the threads hash in parallel). A login cannot be
faster than one verification, so this is the most logins per second the machine can do.
`python bench/ceiling.py [seconds] [cost]` prints JSON.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import bcrypt

PASSWORD = b"Bench-password-1"


def bcrypt_ceiling(seconds: float = 6.0, cost: int = 12, threads: int | None = None) -> dict:
    threads = threads or os.cpu_count() or 1
    hashed = bcrypt.hashpw(PASSWORD, bcrypt.gensalt(cost))
    counts = [0] * threads
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        while time.monotonic() < deadline:
            bcrypt.checkpw(PASSWORD, hashed)
            counts[index] += 1

    started = time.monotonic()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    total = sum(counts)
    return {
        "cost": cost,
        "threads": threads,
        "seconds": round(elapsed, 3),
        "verifications": total,
        "per_second": total / elapsed,
        "ms_per_verification_per_thread": 1000 * elapsed * threads / total if total else None,
    }


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    cost = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    print(json.dumps(bcrypt_ceiling(seconds, cost)))
