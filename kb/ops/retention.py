"""Search log retention: old searches are deleted by command and, once a day, by the server."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, delete

from kb.database import write_transaction
from kb.extensions import db
from kb.insights.daily import forget_searches_before
from kb.search.models import SearchLog
from kb.types import utcnow

log = logging.getLogger(__name__)

PRUNE_EVERY = 24 * 60 * 60.0  # seconds between a server process's prunes


def retention_cutoff(days: int, now: datetime | None = None) -> datetime:
    """The instant before which search logs are no longer kept."""
    return (now or utcnow()) - timedelta(days=days)


def prune_search_logs(days: int | None = None, now: datetime | None = None) -> int:
    """Delete search logs older than the retention (SEARCH_LOG_RETENTION_DAYS); return how many."""
    if days is None:
        days = int(current_app.config["SEARCH_LOG_RETENTION_DAYS"])
    if days < 0:
        raise ValueError("the search log retention cannot be negative")
    # 0 keeps no search: each prune deletes everything logged before it.
    cutoff = retention_cutoff(days, now)
    with write_transaction():
        result = db.session.execute(delete(SearchLog).where(SearchLog.created_at < cutoff))
        # Pruned searches leave the knowledge-gaps rollup too (the visit rollup keeps them).
        forget_searches_before(db.session.connection(), cutoff)
    return int(cast("CursorResult[Any]", result).rowcount or 0)


class DailyPrune:
    """A background thread per server process that prunes at start, then once a day.

    Several processes each pruning is harmless: the delete is idempotent and uses the
    index on created_at. Nothing is remembered between processes, so none is needed.
    """

    def __init__(self, app: Flask, interval: float = PRUNE_EVERY) -> None:
        self.app = app
        self.interval = interval
        self.stopped = threading.Event()
        self.rounds = 0
        self.thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        """Start the thread unless it runs already (called on every request: cheap)."""
        if self.thread is not None:
            return
        with self._start_lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name="kb-prune", daemon=True)
                self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (tests and orderly shutdowns)."""
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        while not self.stopped.is_set():
            self.run_once()
            self.stopped.wait(self.interval)

    def run_once(self) -> int:
        """One prune in its own app context; failures are logged and retried next round."""
        with self.app.app_context():
            try:
                deleted = prune_search_logs()
                if deleted:
                    log.info("deleted %d search log entries past their retention", deleted)
                return deleted
            except Exception:  # noqa: BLE001  (a busy or missing database: try again tomorrow)
                log.exception("search log retention failed")
                return 0
            finally:
                self.rounds += 1
                db.session.remove()


def init_app(app: Flask) -> None:
    """Prune from the first request of each served process (not in tests, nor CLI commands)."""
    pruner = DailyPrune(app)
    app.extensions["kb_prune"] = pruner
    if app.testing:
        return  # tests prune by calling the functions; a thread would outlive their database

    @app.before_request
    def _start_daily_prune() -> None:
        pruner.start()
