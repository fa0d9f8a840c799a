"""The agents' desk: the queue, ticket pages and actions, the admin pages and the staff API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the desk's pages and the staff API."""
    from kb.api_docs import register
    from kb.desk import admin, api, replies, views  # noqa: F401  (admin and replies add pages to views.bp)

    app.register_blueprint(views.bp)
    register(app, api.bp)
