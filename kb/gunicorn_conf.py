"""gunicorn settings for ``make run`` and production (override on the command line)."""

from __future__ import annotations

import os

from kb.gunicorn_log import ACCESS_FORMAT

# gthread keeps connections alive between requests; ours also closes a connection after
# KB_KEEPALIVE_REQUESTS requests (100) so that long-lived connections spread over the workers
# (kb/gunicorn_worker.py). One thread per worker by default: our requests are CPU-bound, and
# extra threads of one process only take turns on its interpreter lock (measured: fewer
# requests per second, higher p95). Scale with --workers instead. One thread is enough even
# facing slow clients: the worker receives each request in full, in its poller, before a thread
# serves it, and drops a client silent for 10 s (kb/gunicorn_worker.py).
worker_class = "kb.gunicorn_worker.BalancedThreadWorker"
threads = int(os.environ.get("KB_THREADS", "1"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# The path without its query string, and no Referer: a return's status link carries its secret
# token in the query (and the slip's request names the status page as its referrer).
access_log_format = ACCESS_FORMAT
# Gathers only the fields that format prints (kb/gunicorn_log.py says why).
logger_class = "kb.gunicorn_log.AccessLogger"
# gunicorn 25+ opens a control socket (worker count, reload, shutdown) at one path per user,
# $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl: two sites on one host would share
# it. kb is run by `kb serve` or systemd, which need none of it.
control_socket_disable = True
# Migrations run once in `kb init` before the workers start, never in a worker.
preload_app = False

# Background work (the outbox, index upkeep, retention) runs in its own `kb outbox run` process
# (`kb serve` starts one beside gunicorn), not in the web workers, unless KB_OUTBOX_BACKGROUND=1.


def worker_exit(server: object, worker: object) -> None:
    """A stopping worker writes its buffered page views, searches and clicks first."""
    from kb.buffers import flush_at_exit

    flush_at_exit()
