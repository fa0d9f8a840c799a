"""Insights: read-only reports for staff on returns, self-help, money kept and content gaps."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Connection

from kb.insights.tracking import record_article_view

__all__ = ["init_app", "record_article_view"]


def init_app(app: Flask) -> None:
    """Register the pages, the API, ``kb insights`` and the rollups' listeners."""
    from kb.insights import api, daily, daily_returns, models, rollup, views  # noqa: F401  (models: tables)
    from kb.insights.cli import insights_cli

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(insights_cli)
    rollup.listen()
    daily.listen()
    daily_returns.listen()
    _count_batched_searches()


def _count_batched_searches() -> None:
    """The search log writes its batches without the ORM: count them in the rollups here."""
    from kb.insights.daily import add_searches
    from kb.insights.rollup import add_visits
    from kb.search.searchlog import searches_written

    def count(connection: Connection, rows: list[dict[str, Any]]) -> None:
        add_visits(connection, [(row["created_at"], row["lang"], row["visit_id"]) for row in rows])
        add_searches(connection, rows)

    if not searches_written.receivers:
        searches_written.connect(count, weak=False)
