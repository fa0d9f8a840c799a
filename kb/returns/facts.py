"""Adapters from the database's orders to the policy engine's plain values."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.extensions import db
from kb.policy import Channel, ItemFacts, OrderFacts
from kb.returns.models import Order, OrderItem


def order_facts(order: Order) -> OrderFacts:
    """What the policy engine needs to know about an order."""
    return OrderFacts(
        number=order.number,
        channel=Channel(order.channel),
        currency=order.currency,
        placed_at=order.placed_at,
        delivered_at=order.delivered_at,
        shipping=order.shipping,
        items_total=order.items_total,
        seller=order.seller,
    )


def reserved_quantities(order: Order) -> dict[int, int]:
    """Quantities of each order item already held by open or finished return tickets."""
    from kb.tickets.models import TicketItem

    rows = db.session.execute(
        select(TicketItem.order_item_id, func.sum(TicketItem.quantity))
        .where(
            TicketItem.order_item_id.in_([item.id for item in order.items]),
            TicketItem.reserved.is_(True),
        )
        .group_by(TicketItem.order_item_id)
    )
    return {item_id: int(total or 0) for item_id, total in rows}


def item_facts(item: OrderItem, returned: int = 0) -> ItemFacts:
    """What the policy engine needs to know about one order line."""
    return ItemFacts(
        sku=item.sku,
        category=item.category,
        unit_price=item.unit_price,
        quantity=item.quantity,
        final_sale=item.final_sale,
        returned_quantity=returned,
    )
