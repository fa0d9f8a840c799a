"""kb: a returns and refunds help centre with a self-help returns wizard."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from kb.config import PROJECT_ROOT, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_config(app, test_config)
    app.before_request(_fresh_request_globals)

    from kb import api_docs, database, pagecache, web
    from kb.extensions import babel, csrf, limiter, login_manager

    database.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    pagecache.init_app(app)  # before web's proxy fix: its middleware must see what Flask sees
    web.init_app(app)
    api_docs.init_app(app)
    _register_rooms(app)
    return app


def _fresh_request_globals() -> None:
    """Start every request with an empty ``g``.

    In production each request has its own app context anyway; this keeps a request from
    seeing another's user, locale or actor when an outer app context is shared (tests, CLI).
    Registered first, so that it runs before any extension's own hooks.
    """
    g.__dict__.clear()


def _register_rooms(app: Flask) -> None:
    """Each feature package hooks its blueprint, CLI and services onto the app."""
    from kb import (
        articles,
        auth,
        background,
        catalogue,
        cli,
        contact,
        desk,
        health,
        insights,
        mail,
        ops,
        orders,
        returns,
        search,
        shops,
        studio,
        tickets,
    )

    rooms = (articles, search, orders, catalogue, returns, shops, tickets, contact, desk, mail, studio, insights,
             auth, health, ops, cli)
    for room in rooms:
        room.init_app(app)
    background.init_app(app)  # after the rooms: it runs the jobs they registered
