"""Insights: read-only reports for staff on returns, self-help, money kept and content gaps.

The reports read daily rollups that insights recounts from the other rooms' tables
(kb.insights.refresh): insights writes only its own tables, never inside another room's
transaction.
"""

from __future__ import annotations

from flask import Flask

from kb.insights.refresh import catch_up
from kb.insights.tracking import record_article_view

__all__ = ["catch_up", "init_app", "record_article_view"]


def init_app(app: Flask) -> None:
    """Register the pages, the API, ``kb insights``, the rollups' job and the article reads."""
    from kb import background
    from kb.api_docs import register
    from kb.insights import api, models, views  # noqa: F401  (models: tables)
    from kb.insights.cli import insights_cli
    from kb.insights.refresh import REFRESH_EVERY, refresh_job

    app.register_blueprint(views.bp)
    register(app, api.bp)
    app.cli.add_command(insights_cli)
    background.register(app, "insights rollups", lambda _app: REFRESH_EVERY, refresh_job)
    _follow_article_reads()


def _follow_article_reads() -> None:
    """Count every article page served as a view (once a process)."""
    from kb.articles.signals import article_read

    article_read.connect(_record_view, weak=False)  # connecting twice keeps one receiver


def _record_view(_app: Flask, *, article_id: int, visit_id: str, **_details: object) -> None:
    record_article_view(article_id, visit_id)
