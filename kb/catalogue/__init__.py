"""The catalogue: the shop's products and variants, so that an exchange offers what is in stock."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the products API and ``kb products``."""
    from kb import api_docs
    from kb.catalogue import api
    from kb.catalogue.cli import products_cli

    api_docs.register(app, api.bp)
    app.cli.add_command(products_cli)
