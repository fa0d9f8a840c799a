"""Contact: a path to a person, after the self-help that might already answer the question."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the contact form's pages."""
    from kb.contact import views

    app.register_blueprint(views.bp)
