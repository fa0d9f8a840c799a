"""The gunicorn worker ``make run`` and production use: gthread, with a cap on keep-alive reuse."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# gunicorn keeps a connection in the worker process that accepted it. Clients that hold their
# connections open (a load balancer's pool, a busy API client, a load test) can all end up in
# one worker while the other idles: measured on 2 cores, about 450 requests/s against 730 when
# spread. Closing a connection after this many requests (as nginx's keepalive_requests does)
# makes its client reconnect, and the new connection goes to whichever worker accepts first,
# usually the less busy one.
KEEPALIVE_REQUESTS = 100


def keepalive_requests() -> int:
    """How many requests one connection may carry (``KB_KEEPALIVE_REQUESTS``, at least 1)."""
    try:
        return max(int(os.environ.get("KB_KEEPALIVE_REQUESTS", KEEPALIVE_REQUESTS)), 1)
    except ValueError:
        return KEEPALIVE_REQUESTS


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, answering "Connection: close" to every Nth request of a connection."""

    def init_process(self) -> None:
        """Read the cap once per worker, then run as gthread does."""
        self.keepalive_requests = keepalive_requests()
        super().init_process()

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Serve one request; the last one a connection may carry tells the client to close."""
        conn.kb_requests = getattr(conn, "kb_requests", 0) + 1
        if conn.kb_requests >= self.keepalive_requests:
            req.must_close = True  # gunicorn then answers "Connection: close" and closes
        return super().handle_request(req, conn)
