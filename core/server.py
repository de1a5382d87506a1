"""The HTTP server: Tornado's, with a limit on each phase of a slow client and a clean close.

Timeouts (FrameworkSettings): IDLE_TIMEOUT for the first byte of the next request on a
kept-alive (or new) connection, then HEADER_TIMEOUT for the rest of the request head,
BODY_TIMEOUT for the whole body. Tornado has one knob for the first two (its
idle_connection_timeout is the wait for the whole head), so a client trickling a header
byte at a time would hold a connection for the idle timeout; here the head gets its own.

Clean close: an answer that starts before the request has been read (a body over its
route's limit, an error in prepare()) says ``Connection: close``, and the connection then
closes lingeringly: the answer is flushed, our side is shut, and what the client still
sends is read and dropped (bounded in bytes and time) before the socket closes. Closing a
socket with unread data makes the kernel reset the connection, and the client may then
never see the answer (Tornado closes right after writing: the resets issue 10 saw). A
declared body over max_body_size, which Tornado answers with a bare 400 and a close, gets
a 413 and the same lingering close.

The overrides reach into Tornado's HTTP1Connection and HTTP1ServerConnection (private
methods, stable across 6.x); tests/test_connections.py and tests/test_slow_clients.py hold
the behaviour.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from typing import Any

import tornado.httpserver
import tornado.httputil
import tornado.iostream
import tornado.netutil
from tornado import gen
from tornado.http1connection import HTTP1Connection, HTTP1ServerConnection

from core.problems import NamedProblem
from core.settings import FrameworkSettings

log = logging.getLogger("core.server")

ANY_BYTE = rb"(?=[\s\S])"  # matches before the first byte: waits for one, consumes none
LINGER_SECONDS = 5.0
TOO_LARGE = (
    b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"X-Content-Type-Options: nosniff\r\nContent-Length: 31\r\n\r\nThe request body is too large.\n"
)


class _BodyTooLarge(Exception):
    """The declared body is larger than the server reads at all."""


class _Connection(HTTP1Connection):
    """One request and its answer (server side), ending lingeringly when answered early."""

    lingering = False

    def write_headers(self, start_line: Any, headers: tornado.httputil.HTTPHeaders, chunk: Any = None) -> Any:
        if not self._read_finished:
            # Answered before the request was read: Tornado closes afterwards anyway; this makes
            # it say Connection: close, and the server's loop closes lingeringly.
            self._disconnect_on_finish = True
            self.lingering = True
        return super().write_headers(start_line, headers, chunk)

    def _finish_request(self, future: Any) -> None:
        if self.lingering:
            # The answer is written: end our side now (the client reads the end of the stream)
            # but leave the socket open. A body still arriving goes on being read and dropped by
            # Tornado (up to max_body_size, within body_timeout); linger() closes afterwards.
            self._disconnect_on_finish = False
            shut_writing(self.stream)
        super()._finish_request(future)

    def _read_body(self, code: int, headers: tornado.httputil.HTTPHeaders, delegate: Any) -> Any:
        if self.lingering:
            return None  # answered before the body began: linger() reads and drops it
        declared = headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_body_size:
            raise _BodyTooLarge()  # Tornado would answer a bare 400 and close on unread data
        return super()._read_body(code, headers, delegate)


class _ServerConnection(HTTP1ServerConnection):
    """Tornado's request loop with the idle wait apart from the header wait, and the
    lingering close after an early answer."""

    def __init__(self, stream: tornado.iostream.IOStream, params: Any, context: Any, idle_timeout: float):
        super().__init__(stream, params, context)
        self.idle_timeout = idle_timeout

    async def _next_request(self) -> bool:
        """Wait up to the idle timeout for the first byte of a request (left in the buffer)."""
        try:
            await gen.with_timeout(
                self.stream.io_loop.time() + self.idle_timeout,
                self.stream.read_until_regex(ANY_BYTE),
                quiet_exceptions=tornado.iostream.StreamClosedError,
            )
        except TimeoutError:
            self.stream.close()
            return False
        return True

    async def _server_request_loop(self, delegate: tornado.httputil.HTTPServerConnectionDelegate) -> None:
        stream_errors = (tornado.iostream.StreamClosedError, tornado.iostream.UnsatisfiableReadError)
        try:
            while await self._next_request():
                conn = _Connection(self.stream, False, self.params, self.context)
                request_delegate = delegate.start_request(self, conn)
                keep_going = False
                try:
                    keep_going = await conn.read_response(request_delegate)
                except (*stream_errors, asyncio.CancelledError):
                    return
                except _BodyTooLarge:
                    log.info("%s: the declared body is over the server's limit", self.context)
                    self.stream.write(TOO_LARGE)
                    conn.lingering = True
                except Exception:
                    log.error("Uncaught exception", exc_info=True)
                    conn.close()
                    return
                if conn.lingering:
                    await linger(self.stream, self.params.max_body_size or self.stream.max_buffer_size)
                    return
                if not keep_going:
                    return
                await asyncio.sleep(0)
        except (*stream_errors, asyncio.CancelledError):
            return
        finally:
            delegate.on_close(self)


async def linger(stream: tornado.iostream.IOStream, max_bytes: int, seconds: float = LINGER_SECONDS) -> None:
    """Close without a reset: flush the answer, shut our side (the client reads the end), read
    and drop what the client still sends (up to max_bytes, for up to seconds), then close."""
    deadline = stream.io_loop.time() + seconds
    quiet = tornado.iostream.StreamClosedError
    dropped = 0
    try:
        await gen.with_timeout(deadline, stream.write(b""), quiet_exceptions=quiet)
        shut_writing(stream)
        while dropped <= max_bytes:
            data = await gen.with_timeout(
                deadline, stream.read_bytes(65536, partial=True), quiet_exceptions=quiet
            )
            dropped += len(data)
    except (tornado.iostream.StreamClosedError, TimeoutError, OSError):
        pass  # the client closed (the usual end), went quiet too long, or the socket failed
    finally:
        stream.close()


def shut_writing(stream: tornado.iostream.IOStream) -> None:
    """Send the end of the stream after what has been written (a half-close)."""
    if stream.socket is not None:
        try:
            stream.socket.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already shut, or the client is gone


class Server(tornado.httpserver.HTTPServer):
    """tornado.httpserver.HTTPServer with the idle, header and body timeouts and the
    lingering close (see the module's docstring)."""

    def initialize(  # type: ignore[override]
        self,
        request_callback: Any,
        *,
        idle_timeout: float,
        header_timeout: float,
        body_timeout: float,
        **kwargs: Any,
    ) -> None:
        # Tornado's idle_connection_timeout is the wait for the whole request head
        super().initialize(
            request_callback, idle_connection_timeout=header_timeout, body_timeout=body_timeout, **kwargs
        )
        self.idle_timeout = idle_timeout

    def handle_stream(self, stream: tornado.iostream.IOStream, address: tuple) -> None:
        context = tornado.httpserver._HTTPRequestContext(
            stream, address, self.protocol, self.trusted_downstream
        )
        conn = _ServerConnection(stream, self.conn_params, context, self.idle_timeout)
        self._connections.add(conn)
        conn.start_serving(self)


def make_server(application: Any, settings: FrameworkSettings, *, max_body_size: int) -> Server:
    """The server for an application, with the timeouts from FrameworkSettings."""
    return Server(
        application,
        xheaders=False,
        max_body_size=max_body_size,
        idle_timeout=settings.idle_timeout,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
    )


class PortInUse(NamedProblem):
    """Another process listens on the port: one line that says how to choose another."""

    prefix = ""

    def __init__(self, port: int) -> None:
        other = port + 1 if port < 65535 else port - 1
        super().__init__(f"Port {port} is in use: choose another with --port {other} or PORT={other}")


def listen(host: str, port: int, *, reuse_port: bool = False) -> list[socket.socket]:
    """The listening sockets for host:port; PortInUse (or another NamedProblem) when the
    address cannot be had. Without reuse_port, a port another server shares through
    SO_REUSEPORT counts as in use too."""
    try:
        return tornado.netutil.bind_sockets(port, host, reuse_port=reuse_port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(port) from None
        raise NamedProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
