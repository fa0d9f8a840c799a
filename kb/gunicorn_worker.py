"""The gunicorn worker ``make run`` and production use: gthread, with a cap on keep-alive reuse.

It also receives each request in full before a thread serves it. gthread hands a connection to
a thread as soon as its first byte arrives, and the thread then waits on the socket for the
rest: with one thread per worker, two clients that send half a request stall the whole site.
Here the thread reads only what has already arrived; while the request is incomplete the
connection goes back to the worker's poller, costing no thread, and is closed once it stays
silent for ``REQUEST_IDLE_SECONDS`` or is not complete after ``REQUEST_TOTAL_SECONDS``.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from gunicorn.workers.gthread import _DEFER, ThreadWorker

from kb.request_buffer import request_is_complete

# gunicorn keeps a connection in the worker process that accepted it. Clients that hold their
# connections open (a load balancer's pool, a busy API client, a load test) can all end up in
# one worker while the other idles: measured on 2 cores, about 450 requests/s against 730 when
# spread. Closing a connection after this many requests (as nginx's keepalive_requests does)
# makes its client reconnect, and the new connection goes to whichever worker accepts first,
# usually the less busy one.
KEEPALIVE_REQUESTS = 100
# A request must keep arriving (a byte at least this often) and be complete within the total.
REQUEST_IDLE_SECONDS = 10.0
REQUEST_TOTAL_SECONDS = 60.0
# A body larger than we buffer is read by the thread, which gives up on a client silent this long.
BODY_READ_SECONDS = 10.0


def keepalive_requests() -> int:
    """How many requests one connection may carry (``KB_KEEPALIVE_REQUESTS``, at least 1)."""
    try:
        return max(int(os.environ.get("KB_KEEPALIVE_REQUESTS", KEEPALIVE_REQUESTS)), 1)
    except ValueError:
        return KEEPALIVE_REQUESTS


def _read_available(sock: socket.socket) -> tuple[bytes, bool]:
    """The bytes the socket holds right now, without waiting; and whether the peer closed."""
    chunks: list[bytes] = []
    sock.setblocking(False)
    try:
        while True:
            try:
                chunk = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return b"".join(chunks), False
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
    finally:
        sock.setblocking(True)


class BalancedThreadWorker(ThreadWorker):
    """gthread that serves only complete requests and closes every connection after N of them."""

    def init_process(self) -> None:
        """Read the cap once per worker, then run as gthread does."""
        self.keepalive_requests = keepalive_requests()
        super().init_process()

    def handle(self, conn: Any) -> Any:
        """Serve the connection's request once it has arrived in full; until then, give it back."""
        if self.cfg.is_ssl:
            return super().handle(conn)  # TLS bytes cannot be inspected before the handshake
        now = time.monotonic()
        pending = getattr(conn, "kb_pending", None)
        if pending is None:
            pending = bytearray()
            conn.kb_pending = pending
            conn.kb_started = now
            conn.kb_last_byte = now
            if conn.parser is not None:
                # Bytes of a pipelined request the parser has read ahead already.
                pending += conn.parser.unreader.take_buffered()
        try:
            data, closed = _read_available(conn.sock)
        except OSError:
            return False
        if data:
            pending += data
            conn.kb_last_byte = now
        if not request_is_complete(bytes(pending)):
            silent = now - conn.kb_last_byte > REQUEST_IDLE_SECONDS
            if closed or silent or now - conn.kb_started > REQUEST_TOTAL_SECONDS:
                return False  # the connection is closed without an answer
            conn.data_ready = True  # gthread must not wait in this thread either
            return _DEFER
        conn.kb_pending = None
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader.unread(bytes(pending))
        conn.data_ready = True
        return super().handle(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        """As gthread, but an incomplete request goes back to the poller with its own deadline."""
        super().finish_request(conn, fs)
        if getattr(conn, "kb_pending", None) is not None and conn in self.pending_conns:
            # gthread would allow `keepalive` seconds of silence; a request already started
            # gets REQUEST_IDLE_SECONDS (checked again in handle when a byte arrives).
            conn.timeout = time.monotonic() + REQUEST_IDLE_SECONDS

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Serve one request; the last one a connection may carry tells the client to close."""
        conn.kb_requests = getattr(conn, "kb_requests", 0) + 1
        if conn.kb_requests >= self.keepalive_requests:
            req.must_close = True  # gunicorn then answers "Connection: close" and closes
        # A body too large to buffer is read here: a client that stops sending is dropped.
        conn.sock.settimeout(BODY_READ_SECONDS)
        return super().handle_request(req, conn)
