"""Local receivers that count what the outbox delivers: a webhook endpoint and an SMTP server."""

from __future__ import annotations

import json
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Deliveries:
    """What a receiver got, keyed by an identifier of each delivery, with a lock."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.arrived = threading.Event()  # set at the first delivery
        self.release = threading.Event()  # the receiver answers once this is set
        self.release.set()

    def add(self, key: str) -> None:
        """Count one delivery."""
        with self.lock:
            self.counts[key] += 1
        self.arrived.set()

    def total(self) -> int:
        """How many deliveries arrived in all."""
        with self.lock:
            return sum(self.counts.values())


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Deliveries]]:
    """An HTTP endpoint counting webhook calls by their body; yields (URL, deliveries)."""
    deliveries = Deliveries()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            deliveries.add(_webhook_key(body))
            # A test can hold the answer back, to stop a sender in the middle of a delivery.
            deliveries.release.wait(30)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", deliveries
    finally:
        deliveries.release.set()
        server.shutdown()
        server.server_close()


def _webhook_key(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")
    return json.dumps(payload, sort_keys=True)


@contextmanager
def smtp_receiver() -> Iterator[tuple[str, Deliveries]]:
    """A minimal SMTP server counting messages by recipient; yields (smtp URL, deliveries)."""
    deliveries = Deliveries()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 test ESMTP")
            recipients: list[str] = []
            while line := self.rfile.readline():
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 test")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    self.reply("250 ok")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    while self.rfile.readline() not in (b".\r\n", b".\n", b""):
                        pass
                    for recipient in recipients:
                        deliveries.add(recipient)
                    recipients = []
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:  # MAIL, RSET, NOOP
                    self.reply("250 ok")

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"smtp://127.0.0.1:{server.server_address[1]}", deliveries
    finally:
        server.shutdown()
        server.server_close()
