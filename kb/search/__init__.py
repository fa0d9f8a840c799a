"""Search: the index follows the database; views and other rooms use only these functions."""

from __future__ import annotations

from flask import Flask

from kb.search.searchlog import is_click_token, log_click, log_search
from kb.search.service import (
    index_status,
    notify_articles_changed,
    rebuild_index,
    search_articles,
    suggest_for,
    suggest_titles,
    sync_index,
)

__all__ = [
    "index_status",
    "init_app",
    "is_click_token",
    "log_click",
    "log_search",
    "notify_articles_changed",
    "rebuild_index",
    "search_articles",
    "suggest_for",
    "suggest_titles",
    "sync_index",
]


def init_app(app: Flask) -> None:
    """Register the search page, the search API, ``kb reindex`` and the index keeper."""
    from kb.api_docs import register
    from kb.search import service, views
    from kb.search.cli import reindex_command

    app.register_blueprint(views.bp)
    register(app, views.api_bp)
    app.cli.add_command(reindex_command)
    service.init_app(app)
    _follow_article_reads()


def _follow_article_reads() -> None:
    """A result opened from a search page counts as that search's click (once a process)."""
    from kb.articles.signals import article_read

    article_read.connect(_log_result_click, weak=False)  # connecting twice keeps one receiver


def _log_result_click(_app: Flask, *, key: str, click_token: str, **_details: object) -> None:
    if is_click_token(click_token):
        log_click(click_token, key)
