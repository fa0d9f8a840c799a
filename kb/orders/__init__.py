"""Orders: the shop's orders and their items, how they arrive (import, API) and their categories."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the orders API and ``kb orders``."""
    from kb import api_docs
    from kb.orders.api import bp
    from kb.orders.cli import orders_cli

    api_docs.register(app, bp)
    app.cli.add_command(orders_cli)
