"""Search log retention: old searches are deleted by command and, once a day, by the background worker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, delete

from kb import background
from kb.database import write_transaction
from kb.extensions import db
from kb.insights.daily import forget_searches_before
from kb.search.models import SearchLog
from kb.types import utcnow

log = logging.getLogger(__name__)

PRUNE_EVERY = 24 * 60 * 60.0  # seconds between a worker's prunes


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


def prune_job(should_stop: Callable[[], bool]) -> int:
    """The daily background prune; several workers each pruning is harmless (idempotent)."""
    deleted = prune_search_logs()
    if deleted:
        log.info("deleted %d search log entries past their retention", deleted)
    return deleted


def init_app(app: Flask) -> None:
    """Prune at the start of each background worker, then once a day."""
    background.register(app, "search log retention", lambda a: PRUNE_EVERY, prune_job)
