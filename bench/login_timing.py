"""Does a login for an unknown email cost as much as a wrong password? Medians, not asserts.

    .venv/bin/python bench/login_timing.py            # ROUNDS=40 by default

Starts `python app.py` (production mode, bcrypt cost 12, limits off) on a throwaway SQLite
database, signs up one user, then times, interleaved, logins with a wrong password for that
user and logins for an email nobody has. Prints the medians and their ratio (about 1.0 means
the two cannot be told apart by timing), and writes bench/results/login-timing.json.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.support import running_app  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "40"))
HEADERS = {"Content-Type": "application/json", "Cookie": "_xsrf=t", "X-XSRFToken": "t"}


def post(base: str, path: str, body: dict) -> tuple[int, float]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=HEADERS)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def main() -> None:
    limits_off = {"API_RATE_LIMIT": "0", "LOGIN_MAX_FAILURES": "0", "ADDRESS_MAX_FAILURES": "0"}
    # production requires APP_URL and a mail server; this run sends no mail
    limits_off |= {"APP_URL": "https://bench.example", "MAIL_URL": "smtp://127.0.0.1:1", "EMAIL_VERIFICATION": "off"}
    with (
        tempfile.TemporaryDirectory() as folder,
        running_app(Path(folder), APP_ENV="production", BCRYPT_ROUNDS="12", **limits_off) as server,
    ):
        status, _ = post(
            server.base, "/api/auth/signup", {"name": "T", "email": "known@example.com", "password": "x" * 12}
        )
        assert status == 201, status
        times: dict[str, list[float]] = {"wrong password": [], "unknown email": []}
        for i in range(ROUNDS * 2):
            kind = "wrong password" if i % 2 == 0 else "unknown email"
            email = "known@example.com" if kind == "wrong password" else f"nobody{i}@example.com"
            status, seconds = post(
                server.base, "/api/auth/login", {"email": email, "password": "not it at all"}
            )
            assert status == 401, status
            times[kind].append(seconds * 1000)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    ratio = medians["unknown email"] / medians["wrong password"]
    result = {"rounds": ROUNDS, "median_ms": medians, "ratio_unknown_to_wrong": ratio}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "login-timing.json").write_text(json.dumps(result, indent=2) + "\n")
    for kind, value in medians.items():
        print(f"{kind:>15}: median {value:7.1f} ms over {ROUNDS} logins")
    print(f"unknown ÷ wrong: {ratio:.3f}")


if __name__ == "__main__":
    main()
