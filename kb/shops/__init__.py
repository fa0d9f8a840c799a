"""Shops: the Shopify and WooCommerce webhooks that bring orders, deliveries and products in."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``/hooks/shopify`` and ``/hooks/woocommerce``."""
    from kb.shops import hooks

    app.register_blueprint(hooks.bp)
