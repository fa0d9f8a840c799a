"""Tickets (returns and questions): opening them, the state machine, refunds within the caps."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Tickets have no pages of their own: the wizard and the desk show them."""
