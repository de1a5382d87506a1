"""A raw HTTP/1.1 client over one plain socket, for tests that must see what an HTTP library
hides: whether a connection stays open, closes cleanly or is reset, and how long a server
waits for a client that sends slowly."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""


def request_bytes(
    method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> bytes:
    """One request as bytes; Content-Length is added for a body unless the headers frame it."""
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
    all_headers = dict(headers or {})
    if body is not None and "Transfer-Encoding" not in all_headers:
        all_headers.setdefault("Content-Length", str(len(body)))
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def chunked(data: bytes, size: int = 16 * 1024) -> bytes:
    """data in the chunked transfer coding, ending with the last (empty) chunk."""
    parts = [
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


class RawConnection:
    """One TCP connection; reads responses framed by Content-Length or chunked coding."""

    def __init__(self, port: int, timeout: float = 10) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(65536)  # ConnectionResetError propagates: a test must see it
        if not data:
            raise EOFError("the server closed the connection")
        self.buffer += data

    def _take_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_response(self, method: str = "GET") -> RawResponse:
        head = self._take_until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        response = RawResponse(int(status_line.split()[1]), headers)
        if method == "HEAD" or response.status in (204, 304):
            return response
        if headers.get("transfer-encoding") == "chunked":
            while size := int(self._take_until(b"\r\n"), 16):
                response.body += self._take(size)
                self._take(2)
            self._take(2)
        else:
            response.body = self._take(int(headers.get("content-length", "0")))
        return response

    def exchange(self, data: bytes, method: str = "GET") -> RawResponse:
        self.send(data)
        return self.read_response(method)

    def read_to_end(self) -> bytes:
        """Everything until the server closes; a reset raises ConnectionResetError."""
        rest = self.buffer
        self.buffer = b""
        while data := self.sock.recv(65536):
            rest += data
        return rest

    def closed_within(self, seconds: float) -> bool:
        """True if the server closes the connection (EOF or reset) within seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return True
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True
        return False
