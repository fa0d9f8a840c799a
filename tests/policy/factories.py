"""Small factories for the policy engine's tests: an order, an item, days after delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from kb.policy import Channel, Decision, ItemFacts, NotEligible, OrderFacts, load_policy

POLICY = load_policy()
PLACED = datetime(2024, 1, 5, 10, 0, tzinfo=UTC)
# 23:30 UTC on 10 January is already 11 January in Paris (UTC+1 in winter).
DELIVERED = datetime(2024, 1, 10, 23, 30, tzinfo=UTC)
DELIVERY_DAY = date(2024, 1, 11)


def order(
    *,
    channel: Channel = Channel.ONLINE,
    currency: str = "EUR",
    placed_at: datetime = PLACED,
    delivered_at: datetime | None = DELIVERED,
    shipping: str = "5.00",
    items_total: str = "100.00",
) -> OrderFacts:
    """An order; override any fact."""
    return OrderFacts(
        number="KB-1001",
        channel=channel,
        currency=currency,
        placed_at=placed_at,
        delivered_at=delivered_at,
        shipping=Decimal(shipping),
        items_total=Decimal(items_total),
        seller="Acme Marketplace Ltd" if channel is Channel.MARKETPLACE else None,
    )


def item(
    category: str = "shoes",
    price: str = "100.00",
    *,
    quantity: int = 1,
    final_sale: bool = False,
    returned: int = 0,
) -> ItemFacts:
    """An order line; override any fact."""
    return ItemFacts(
        sku="SKU-1",
        category=category,
        unit_price=Decimal(price),
        quantity=quantity,
        final_sale=final_sale,
        returned_quantity=returned,
    )


def day(n: int) -> date:
    """The n-th day after the delivery day in Paris."""
    return DELIVERY_DAY + timedelta(days=n)


def refused(decision: Decision, reason: NotEligible) -> bool:
    """Whether the decision refuses for this reason."""
    return not decision.eligible and decision.not_eligible_reason is reason
