"""The yardstick of `make bench`: a bare Flask app rendering one small Jinja page.

Served by gunicorn with kb's own settings, it shows what the machine, gunicorn and Flask
cost before any of kb's work, so kb's pages are measured as a ratio of it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template


def create_app() -> Flask:
    """A Flask app with one page that renders a template with a few variables."""
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))

    @app.get("/")
    def page() -> str:
        """A small HTML page, as a help-centre page would start."""
        return render_template("bare.html", title="Returns", items=["Refunds", "Exchanges", "Labels"])

    @app.get("/healthz")
    def healthz() -> str:
        """Ready check, as kb's."""
        return "ok"

    return app
