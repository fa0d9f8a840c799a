"""Insights: read-only reports for staff on returns, self-help, money kept and content gaps."""

from __future__ import annotations

from flask import Flask

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
