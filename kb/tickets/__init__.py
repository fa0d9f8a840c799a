"""Tickets (returns and questions): opening them, the state machine, refunds within the caps."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Tickets have no pages of their own (the wizard and the desk show them); they guard orders."""
    from kb.orders.changes import register_guard, register_hold
    from kb.tickets.holds import order_change_refusal, orders_with_returns

    register_guard(app, order_change_refusal)
    register_hold(app, orders_with_returns)
