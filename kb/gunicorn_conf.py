"""gunicorn settings for ``make run`` and production (override on the command line)."""

from __future__ import annotations

import os

# Threads let one worker serve while another request waits on the database.
worker_class = "gthread"
threads = int(os.environ.get("KB_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# Migrations run once in `kb init` before the workers start, never in a worker.
preload_app = False

# Each worker delivers the outbox in the background unless the operator said otherwise.
os.environ.setdefault("KB_OUTBOX_BACKGROUND", "1")
