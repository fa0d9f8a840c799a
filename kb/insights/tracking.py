"""Recording article page views, for the articles report and the help-centre visit count."""

from __future__ import annotations

import logging

from kb.database import write_transaction
from kb.extensions import db
from kb.insights.models import ArticleView

log = logging.getLogger(__name__)


def record_article_view(article_id: int, visit_id: str) -> None:
    """Count one view of an article; never fails the page (a lost view is only logged)."""
    try:
        with write_transaction():
            db.session.add(ArticleView(article_id=article_id, visit_id=(visit_id or "")[:40]))
    except Exception:  # noqa: BLE001  (a locked or read-only database must not break reading)
        log.warning("could not record a view of article %s", article_id, exc_info=True)
