"""Adapters from the database's orders to the policy engine's plain values."""

from __future__ import annotations

from kb.orders.models import Order, OrderItem
from kb.policy import Channel, ItemFacts, OrderFacts


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
