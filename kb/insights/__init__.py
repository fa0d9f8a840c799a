"""Insights: read-only reports for staff on returns, self-help, money kept and content gaps."""

from __future__ import annotations

from flask import Flask

from kb.insights.tracking import record_article_view

__all__ = ["init_app", "record_article_view"]


def init_app(app: Flask) -> None:
    """Register the staff pages under ``/insights`` and the API under ``/api/v1/insights``."""
    from kb.insights import api, models, views  # noqa: F401  (models: tables and indexes)

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
