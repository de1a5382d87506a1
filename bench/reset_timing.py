"""Does asking for a password reset take as long for an unknown address as for an account's?
Medians, not asserts (the tests check the answers are the same; timing is measured here).

    .venv/bin/python bench/reset_timing.py            # ROUNDS=100 by default

Starts `python app.py` (production mode, limits off) on a throwaway SQLite database, with its
mail going to a local SMTP server (aiosmtpd), signs up one user, then times, interleaved,
POST /api/auth/password-reset for that user's address and for addresses nobody has. Prints the
medians and their ratio (about 1.0: the two cannot be told apart by timing), and writes
bench/results/reset-timing.json.
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
from tests.mail_helpers import SmtpServer  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "100"))
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
    smtp = SmtpServer()
    smtp.start()
    settings = {
        "APP_ENV": "production",
        "BCRYPT_ROUNDS": "12",
        "APP_URL": "https://bench.example",
        "MAIL_URL": smtp.url,
        "EMAIL_VERIFICATION": "off",
        "API_RATE_LIMIT": "0",
        "PASSWORD_RESET_MAX_PER_EMAIL": "0",
        "PASSWORD_RESET_MAX_PER_ADDRESS": "0",
    }
    try:
        with tempfile.TemporaryDirectory() as folder, running_app(Path(folder), **settings) as server:
            status, _ = post(
                server.base,
                "/api/auth/signup",
                {"name": "T", "email": "known@example.com", "password": "x" * 12},
            )
            assert status == 201, status
            times: dict[str, list[float]] = {"account": [], "no account": []}
            for i in range(ROUNDS * 2):
                kind = "account" if i % 2 == 0 else "no account"
                email = "known@example.com" if kind == "account" else f"nobody{i}@example.com"
                status, seconds = post(server.base, "/api/auth/password-reset", {"email": email})
                assert status == 202, status
                times[kind].append(seconds * 1000)
            mailed = smtp.count()
    finally:
        smtp.stop()
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    ratio = medians["no account"] / medians["account"]
    result = {"rounds": ROUNDS, "median_ms": medians, "ratio_no_account_to_account": ratio, "mails": mailed}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reset-timing.json").write_text(json.dumps(result, indent=2) + "\n")
    for kind, value in medians.items():
        print(f"{kind:>10}: median {value:6.2f} ms over {ROUNDS} requests")
    print(f"no account ÷ account: {ratio:.3f} ({mailed} mails delivered meanwhile)")


if __name__ == "__main__":
    main()
