"""Recording article page views, for the articles report and the help-centre visit count.

Views are buffered in the process and written in batches (``kb.buffers``): a page view never
waits for the database's write lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from kb.buffers import buffer_for
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.insights.rollup import add_visits, article_languages
from kb.types import utcnow


def record_article_view(article_id: int, visit_id: str) -> None:
    """Count one view of an article; never fails the page (a lost view is only logged)."""
    buffer_for("article views", _write_views).add((article_id, (visit_id or "")[:40], utcnow()))


def _write_views(batch: list[tuple[int, str, datetime]]) -> list[tuple[int, str, datetime]]:
    # One multi-row INSERT, and the visits counted together (the ORM would do both row by row).
    connection = db.session.connection()
    connection.execute(insert(ArticleView), [
        {"article_id": article_id, "visit_id": visit_id, "created_at": at} for article_id, visit_id, at in batch
    ])
    langs = article_languages(connection, {article_id for article_id, _visit, _at in batch})
    add_visits(connection, [(at, langs.get(article_id, ""), visit) for article_id, visit, at in batch])
    return []
