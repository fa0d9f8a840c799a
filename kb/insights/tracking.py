"""Recording article page views, for the articles report and the help-centre visit count.

Views are buffered in the process and written in batches (``kb.buffers``): a page view never
waits for the database's write lock. Their visits reach the visit rollup with the other
events' (kb.insights.refresh).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from kb.buffers import buffer_for
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.types import utcnow


def record_article_view(article_id: int, visit_id: str) -> None:
    """Count one view of an article; never fails the page (a lost view is only logged)."""
    buffer_for("article views", _write_views).add((article_id, (visit_id or "")[:40], utcnow()))


def _write_views(batch: list[tuple[int, str, datetime]]) -> list[tuple[int, str, datetime]]:
    # One multi-row INSERT (the ORM would write them row by row).
    db.session.connection().execute(insert(ArticleView), [
        {"article_id": article_id, "visit_id": visit_id, "created_at": at} for article_id, visit_id, at in batch
    ])
    return []
