"""Demo orders: one for every channel and policy case, dated relative to today."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

DEMO_EMAIL = "ana@example.com"

_CATALOGUE = [
    ("TEE-M-BLUE", "Organic tee, blue, M", "apparel", "19.90"),
    ("JEANS-32-INDIGO", "Straight jeans, indigo, 32", "apparel", "69.00"),
    ("DRESS-38-GREEN", "Linen dress, green, 38", "apparel", "89.00"),
    ("SNEAK-42-WHITE", "Leather sneakers, white, 42", "shoes", "95.00"),
    ("BOOTS-39-BROWN", "Chelsea boots, brown, 39", "shoes", "139.00"),
    ("LAMP-OAK", "Oak table lamp", "home", "59.00"),
    ("THROW-WOOL", "Wool throw, grey", "home", "79.00"),
    ("MUG-SET-4", "Stoneware mugs, set of 4", "home", "32.00"),
    ("HEADPH-NC700", "Noise-cancelling headphones", "electronics", "249.00"),
    ("SPEAKER-MINI", "Bluetooth mini speaker", "electronics", "49.00"),
    ("KETTLE-1.7", "Electric kettle 1.7 l", "appliances", "45.00"),
    ("BLENDER-PRO", "Blender Pro 1200 W", "appliances", "129.00"),
]


def _at(today: datetime, days_ago: int, hour: int = 10) -> str:
    moment = (today - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _order(number: str, today: datetime, placed: int, delivered: int | None, items: list, **extra: Any) -> dict:
    order = {
        "number": number,
        "email": extra.pop("email", DEMO_EMAIL),
        "placed_at": _at(today, placed),
        "delivered_at": _at(today, delivered, 15) if delivered is not None else None,
        "channel": extra.pop("channel", "online"),
        "seller": extra.pop("seller", None),
        "store": extra.pop("store", None),
        "transaction_id": extra.pop("transaction_id", f"P01-{number[1:]:0>7}-7654321"),
        "currency": extra.pop("currency", "EUR"),
        "shipping": extra.pop("shipping", "4.99"),
        "items": items,
    }
    order.update(extra)
    return order


def _item(sku: str, name: str, category: str, price: str, quantity: int = 1, final_sale: bool = False) -> dict:
    return {"sku": sku, "name": name, "category": category, "quantity": quantity,
            "unit_price": price, "final_sale": final_sale}


def demo_orders(now: datetime | None = None) -> list[dict[str, Any]]:
    """The demo orders; each named case is described in the README's demo table."""
    today = now or datetime.now(UTC)
    cases = [
        # A1001: within the window, two items, EUR.
        _order("A1001", today, 8, 6, [_item("TEE-M-BLUE", "Organic tee, blue, M", "apparel", "19.90", 2),
                                      _item("JEANS-32-INDIGO", "Straight jeans, indigo, 32", "apparel", "69.00")]),
        # A1002: change-of-mind window expired (45 days).
        _order("A1002", today, 47, 45, [_item("THROW-WOOL", "Wool throw, grey", "home", "79.00")]),
        # A1003: a final-sale item next to a normal one.
        _order("A1003", today, 6, 4, [_item("DRESS-38-GREEN", "Linen dress, green, 38", "apparel", "44.50",
                                            final_sale=True),
                                      _item("SNEAK-42-WHITE", "Leather sneakers, white, 42", "shoes", "95.00")]),
        # A1004: electronics delivered 20 days ago (change of mind closed at 15, faults still covered).
        _order("A1004", today, 22, 20, [_item("SPEAKER-MINI", "Bluetooth mini speaker", "electronics", "49.00")]),
        # A1005: electronics delivered 60 days ago: defective is still a refund.
        _order("A1005", today, 62, 60, [_item("HEADPH-NC700", "Noise-cancelling headphones", "electronics", "249.00")]),
        # A1006: appliance delivered 200 days ago: defective means repair under warranty.
        _order("A1006", today, 203, 200, [_item("BLENDER-PRO", "Blender Pro 1200 W", "appliances", "129.00")]),
        # A1007: bought in the Paris store 10 days ago (window counted from purchase).
        _order("A1007", today, 10, 10, [_item("BOOTS-39-BROWN", "Chelsea boots, brown, 39", "shoes", "139.00")],
               channel="store", store="PAR-RIV", shipping="0.00"),
        # A1008: marketplace order never delivered, placed 14 days ago: guarantee claim.
        _order("A1008", today, 14, None, [_item("MKT-ARMCHAIR", "Velvet armchair (Atelier Nord)", "home", "420.00")],
               channel="marketplace", seller="Atelier Nord", shipping="39.00"),
        # A1009: marketplace order delivered, item not as described.
        _order("A1009", today, 12, 9, [_item("MKT-RUG-200", "Handwoven rug 200x300 (Kilim & Co)", "home", "310.00")],
               channel="marketplace", seller="Kilim & Co", shipping="25.00"),
        # A1010: GBP order within the window.
        _order("A1010", today, 9, 7, [_item("LAMP-OAK", "Oak table lamp", "home", "52.00"),
                                      _item("MUG-SET-4", "Stoneware mugs, set of 4", "home", "28.00")],
               currency="GBP", shipping="3.95", email="oliver@example.co.uk"),
        # A1011: USD order within the window.
        _order("A1011", today, 5, 3, [_item("KETTLE-1.7", "Electric kettle 1.7 l", "appliances", "55.00")],
               currency="USD", shipping="6.00", email="maya@example.com"),
        # A1012: shipped 3 days ago, not delivered yet: track the parcel.
        _order("A1012", today, 3, None, [_item("SNEAK-42-WHITE", "Leather sneakers, white, 42", "shoes", "95.00")]),
        # A1013: own order not delivered 12 days after purchase: not-received claim.
        _order("A1013", today, 12, None, [_item("THROW-WOOL", "Wool throw, grey", "home", "79.00")]),
        # A1014: items never returnable for a change of mind.
        _order("A1014", today, 5, 3, [_item("GIFT-50", "Gift card 50", "gift_card", "50.00"),
                                      _item("CHOC-BOX", "Chocolate box", "perishable", "24.00"),
                                      _item("MUG-NAME", "Mug with your name", "personalized", "18.00"),
                                      _item("EARRINGS-SILVER", "Silver earrings", "hygiene", "39.00")]),
        # A1015: the last day of the 30-day window is today.
        _order("A1015", today, 32, 30, [_item("DRESS-38-GREEN", "Linen dress, green, 38", "apparel", "89.00")]),
        # A1016: receipt-less return worth more than 100 (goes to review).
        _order("A1016", today, 6, 4, [_item("BOOTS-39-BROWN", "Chelsea boots, brown, 39", "shoes", "139.00")],
               transaction_id="P01-5550123-9988776", email="leo@example.fr"),
        # A1017: a big order for goodwill at the 75 cap: 15 % of its 520.99 is 78.14, more than 75.
        _order("A1017", today, 9, 7, [_item("HEADPH-NC700", "Noise-cancelling headphones", "electronics", "249.00"),
                                      _item("BLENDER-PRO", "Blender Pro 1200 W", "appliances", "129.00"),
                                      _item("LAMP-OAK", "Oak table lamp", "home", "59.00"),
                                      _item("THROW-WOOL", "Wool throw, grey", "home", "79.00")]),
        # A1018: French shopper, in-store return of an online order.
        _order("A1018", today, 11, 9, [_item("JEANS-32-INDIGO", "Jean droit, indigo, 32", "apparel", "69.00")],
               email="camille@example.fr"),
    ]
    cases.extend(_filler_orders(today, count=18))
    return cases


def _filler_orders(today: datetime, count: int) -> list[dict[str, Any]]:
    """More ordinary orders, so the desk and the reports have some volume."""
    # Repeatable demo data, not security.
    rng = random.Random(20261125)  # nosec B311
    emails = ["ines@example.fr", "tom@example.com", "sara@example.co.uk", "yuki@example.com"]
    orders = []
    for n in range(count):
        picks = rng.sample(_CATALOGUE, k=rng.randint(1, 3))
        placed = rng.randint(2, 80)
        delivered = placed - rng.randint(1, 3)
        currency = rng.choice(["EUR", "EUR", "GBP", "USD"])
        items = [_item(sku, name, cat, price, rng.randint(1, 2)) for sku, name, cat, price in picks]
        orders.append(_order(f"B{2001 + n}", today, placed, max(delivered, 0), items,
                             currency=currency, email=rng.choice(emails)))
    return orders


DEMO_USERS = (
    ("writer@example.com", "writer", "Wren Writer"),
    ("agent@example.com", "agent", "Alex Agent"),
    ("admin@example.com", "admin", "Ada Admin"),
)
