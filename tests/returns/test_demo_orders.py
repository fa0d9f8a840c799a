"""The demo orders are the cases the README's demo table promises."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from kb.policy import load_policy
from kb.policy.amounts import OrderFacts, goodwill_cap
from kb.returns.demo import demo_orders


def _facts(number: str) -> OrderFacts:
    order = next(o for o in demo_orders() if o["number"] == number)
    items = sum((Decimal(i["unit_price"]) * i["quantity"] for i in order["items"]), Decimal(0))
    return OrderFacts(number=number, channel=order["channel"], currency=order["currency"],
                      placed_at=datetime.now(UTC), delivered_at=None,
                      shipping=Decimal(order["shipping"]), items_total=items)


def test_the_large_demo_order_reaches_the_fixed_goodwill_cap() -> None:
    policy = load_policy()
    order = _facts("A1017")
    assert order.total * policy.goodwill_percent / 100 > policy.goodwill_cap
    assert goodwill_cap(policy, order) == policy.goodwill_cap
