"""Slow clients are cut off: `python app.py` closes a connection whose request head or body
trickles in past HEADER_TIMEOUT or BODY_TIMEOUT, or that stays idle past IDLE_TIMEOUT;
a normal client is unaffected. The settings are checked at start."""

from __future__ import annotations

import time

import pytest

from config import SettingsError, load_settings
from tests.harness import app_environment, run_app
from tests.raw_http import RawConnection, request_bytes

BOUND = 15.0  # seconds: far above every timeout set below, far below the defaults
TOKEN = {"Cookie": "_xsrf=tok", "X-XSRFToken": "tok"}


def start(folder, migrated_templates, **timeouts: str):
    """python app.py on a migrated SQLite copy, with the given timeouts; yields its port."""
    with migrated_templates.copy("sqlite", folder) as url:
        with run_app(app_environment(url, **timeouts), "--workers", "1", log=folder / "app.log") as app:
            yield app.port


@pytest.fixture(scope="module")
def slow_phases(tmp_path_factory, migrated_templates):
    """Short header and body timeouts, a long idle timeout: a trickle can only be cut by the
    timeout of its own phase."""
    folder = tmp_path_factory.mktemp("slow-phases")
    yield from start(folder, migrated_templates, HEADER_TIMEOUT="1", BODY_TIMEOUT="1", IDLE_TIMEOUT="600")


@pytest.fixture(scope="module")
def short_idle(tmp_path_factory, migrated_templates):
    """A short idle timeout, long header and body timeouts."""
    folder = tmp_path_factory.mktemp("short-idle")
    yield from start(folder, migrated_templates, HEADER_TIMEOUT="600", BODY_TIMEOUT="600", IDLE_TIMEOUT="1")


def trickle_until_closed(port: int, head: bytes, trickle: bytes) -> bool:
    """Send head, then trickle one byte every 0.2 s; True once the server has closed the
    connection, False if it is still open after BOUND seconds."""
    with RawConnection(port) as conn:
        conn.send(head)
        deadline = time.monotonic() + BOUND
        position = 0
        while time.monotonic() < deadline:
            try:
                conn.send(trickle[position % len(trickle) : position % len(trickle) + 1])
            except (BrokenPipeError, ConnectionResetError):
                return True
            position += 1
            if conn.closed_within(0.2):
                return True
    return False


def test_a_trickled_request_head_is_cut_off(slow_phases):
    head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
    assert trickle_until_closed(slow_phases, head, b"abcdefgh")


def test_a_head_trickled_from_its_first_byte_is_cut_off(slow_phases):
    assert trickle_until_closed(slow_phases, b"", b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")


@pytest.mark.parametrize("path", ["/api/auth/login", "/login"])
def test_a_trickled_body_is_cut_off(slow_phases, path):
    head = request_bytes(
        "POST", path, {**TOKEN, "Content-Type": "application/json", "Content-Length": "100000"}
    )
    assert trickle_until_closed(slow_phases, head, b"x")


def test_an_idle_connection_is_closed(short_idle):
    with RawConnection(short_idle) as conn:
        assert conn.closed_within(BOUND)  # never sent a byte
    with RawConnection(short_idle) as conn:
        assert conn.exchange(request_bytes("GET", "/healthz")).status == 200
        assert conn.closed_within(BOUND)  # kept alive, then idle


def test_a_normal_client_is_unaffected(slow_phases):
    """Requests sent in pieces, well within each timeout, on one kept-alive connection."""
    body = b'{"email": "ada@example.com", "password": "wrong password"}'
    request = request_bytes("POST", "/api/auth/login", {**TOKEN, "Content-Type": "application/json"}, body)
    with RawConnection(slow_phases) as conn:
        for _ in range(3):
            for piece in (request[:20], request[20:-10], request[-10:]):
                conn.send(piece)
                time.sleep(0.05)
            answer = conn.read_response()
            assert answer.status == 401 and answer.headers.get("connection") != "close"
            assert "server" not in answer.headers  # python app.py names no server version either
        assert conn.exchange(request_bytes("GET", "/")).status == 200


def test_the_timeouts_have_sane_defaults():
    settings = load_settings({"SECRET_KEY": "k"})
    assert (settings.header_timeout, settings.body_timeout, settings.idle_timeout) == (10, 60, 75)
    custom = load_settings(
        {"SECRET_KEY": "k", "HEADER_TIMEOUT": "2.5", "BODY_TIMEOUT": "30", "IDLE_TIMEOUT": "5"}
    )
    assert (custom.header_timeout, custom.body_timeout, custom.idle_timeout) == (2.5, 30, 5)


@pytest.mark.parametrize(
    "value, message",
    [
        ("soon", "is not a number of seconds"),
        ("0", "must be between 0.1 and 86400 seconds"),
        ("-5", "must be between 0.1 and 86400 seconds"),
        ("1e9", "must be between 0.1 and 86400 seconds"),
        ("nan", "must be between 0.1 and 86400 seconds"),
        ("inf", "must be between 0.1 and 86400 seconds"),
    ],
)
@pytest.mark.parametrize("name", ["HEADER_TIMEOUT", "BODY_TIMEOUT", "IDLE_TIMEOUT"])
def test_a_bad_timeout_is_refused_with_a_clear_message(name, value, message):
    with pytest.raises(SettingsError) as caught:
        load_settings({"SECRET_KEY": "k", name: value})
    assert f"{name}=" in str(caught.value) and message in str(caught.value)
