"""What return tickets hold on an order: reserved quantities, and the changes they forbid."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from kb.extensions import db
from kb.orders.models import Order
from kb.tickets.models import Ticket, TicketItem, TicketKind


def reserved_quantities(order: Order) -> dict[int, int]:
    """Quantities of each order item already held by open or finished return tickets."""
    rows = db.session.execute(
        select(TicketItem.order_item_id, func.sum(TicketItem.quantity))
        .where(
            TicketItem.order_item_id.in_([item.id for item in order.items]),
            TicketItem.reserved.is_(True),
        )
        .group_by(TicketItem.order_item_id)
    )
    return {item_id: int(total or 0) for item_id, total in rows}


def has_returns(order: Order) -> bool:
    """Whether any ticket was opened on the order."""
    return db.session.scalar(select(Ticket.id).where(Ticket.order_id == order.id).limit(1)) is not None


def orders_with_returns(order_ids: Collection[int]) -> set[int]:
    """The ids among ``order_ids`` of orders with a return ticket (a question is not a return)."""
    if not order_ids:
        return set()
    found = db.session.scalars(select(Ticket.order_id).distinct().where(
        Ticket.order_id.in_(list(order_ids)), Ticket.kind == TicketKind.RETURN))
    return {order_id for order_id in found if order_id is not None}


def order_change_refusal(order: Order, change: dict[str, Any]) -> str | None:
    """Why ``change`` would break a return already made on ``order`` (None when it would not).

    ``change`` holds the validated order values; only the keys present are checked, so a
    partial update (delivery, cancellation) is vetted as well as a full replacement.
    """
    if not has_returns(order):
        return None
    if "currency" in change and change["currency"] != order.currency:
        return "the currency cannot change: the order has returns"
    if change.get("cancelled_at") and order.cancelled_at is None:
        return "the order cannot be cancelled: it has returns"
    if "items" not in change:
        return None
    reserved = reserved_quantities(order)
    quantities = {item["sku"]: item["quantity"] for item in change["items"]}
    referenced = set(db.session.scalars(
        select(TicketItem.order_item_id).join(Ticket).where(Ticket.order_id == order.id)))
    for item in order.items:
        if item.sku not in quantities and item.id in referenced:
            return f"{item.sku} cannot be removed: it is part of a return"
        if item.sku in quantities and quantities[item.sku] < reserved.get(item.id, 0):
            return f"{item.sku}: the quantity cannot go below what is already returned"
    return None
