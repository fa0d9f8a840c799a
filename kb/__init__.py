"""kb: a returns and refunds help centre with a self-help returns wizard."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kb.config import PROJECT_ROOT, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_config(app, test_config)

    from kb import database, web
    from kb.extensions import babel, csrf, limiter, login_manager

    database.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    web.init_app(app)
    _register_rooms(app)
    return app


def _register_rooms(app: Flask) -> None:
    """Each feature package hooks its blueprint, CLI and services onto the app."""
    from kb import (
        articles,
        auth,
        cli,
        desk,
        health,
        insights,
        mail,
        openapi,
        ops,
        returns,
        search,
        studio,
        tickets,
    )

    rooms = (articles, search, returns, tickets, desk, mail, studio, insights, auth, health,
             openapi, ops, cli)
    for room in rooms:
        room.init_app(app)
