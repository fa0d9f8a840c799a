"""Vetoes on changes to an order, from the rooms that hold on to orders.

The orders room knows nothing of returns: tickets (which point at order items) register a
guard here from their ``init_app``, so that dependencies keep pointing one way
(tickets -> orders) while an update still cannot pull the ground from under a return.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask import Flask, current_app

from kb.orders.models import Order

# A guard gets the stored order and the validated new values, and answers why not (or None).
OrderGuard = Callable[[Order, dict[str, Any]], str | None]


def register_guard(app: Flask, guard: OrderGuard) -> None:
    """Have ``guard`` vet every change to an existing order in this app."""
    app.extensions.setdefault("kb_order_guards", []).append(guard)


def refusal(order: Order, change: dict[str, Any]) -> str | None:
    """Why a guard refuses this change to ``order``, or None when all accept it."""
    for guard in current_app.extensions.get("kb_order_guards", []):
        reason = guard(order, change)
        if reason:
            return reason
    return None


# A hold gets order ids and answers those on which a return has started (whose items must stay
# as the return saw them, e.g. their category when the policy's mapping changes).
OrderHold = Callable[[Collection[int]], set[int]]


def register_hold(app: Flask, hold: OrderHold) -> None:
    """Have ``hold`` say which orders have a return started, in this app."""
    app.extensions.setdefault("kb_order_holds", []).append(hold)


def returns_started(order_ids: Collection[int]) -> set[int]:
    """The ids among ``order_ids`` of orders a room holds because a return has started on them."""
    held: set[int] = set()
    for hold in current_app.extensions.get("kb_order_holds", []):
        held |= hold(order_ids)
    return held
