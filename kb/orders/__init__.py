"""Orders: the shop's orders and their items, how they arrive (import, API) and their categories."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``kb orders``."""
    from kb.orders.cli import orders_cli

    app.cli.add_command(orders_cli)
