"""Recording article page views, for the articles report and the help-centre visit count.

Views are buffered in the process and written in one transaction every
``VIEW_FLUSH_SECONDS``: a page view then never waits for the database's write lock. A crash
loses at most those few seconds of counts, which the reports can bear.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from flask import current_app

from kb.database import write_transaction
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.types import utcnow

log = logging.getLogger(__name__)
_pending: list[tuple[int, str, datetime]] = []
_lock = threading.Lock()
_last_flush = time.monotonic()


def record_article_view(article_id: int, visit_id: str) -> None:
    """Count one view of an article; never fails the page (a lost view is only logged)."""
    with _lock:
        _pending.append((article_id, (visit_id or "")[:40], utcnow()))
    due = time.monotonic() - _last_flush >= float(current_app.config.get("VIEW_FLUSH_SECONDS", 2.0))
    if due or len(_pending) >= 500:
        flush_views()


def flush_views() -> int:
    """Write the buffered views in one transaction; returns how many were written."""
    global _last_flush
    with _lock:
        batch = list(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    if not batch:
        return 0
    try:
        with write_transaction():
            db.session.add_all(
                ArticleView(article_id=article_id, visit_id=visit_id, created_at=at)
                for article_id, visit_id, at in batch
            )
    except Exception:  # noqa: BLE001  (a locked or read-only database must not break reading)
        log.warning("could not record %d article views", len(batch), exc_info=True)
        return 0
    return len(batch)
