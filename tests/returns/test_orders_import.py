"""Importing orders: good records load, bad ones are reported by position and reason."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from kb.extensions import db
from kb.orders.models import Order


def make_order(**overrides: object) -> dict:
    """A valid order record; override any field."""
    order = {
        "number": "A1001", "email": "Ana@Example.com", "placed_at": "2026-11-01T10:00:00Z",
        "delivered_at": "2026-11-03T15:00:00Z", "channel": "online", "seller": None, "store": None,
        "transaction_id": "P01-1234567-7654321", "currency": "EUR", "shipping": "4.99",
        "items": [{"sku": "TEE-M-BLUE", "name": "Organic tee, blue, M", "category": "apparel",
                   "quantity": 2, "unit_price": "19.90", "final_sale": False}],
    }
    order.update(overrides)
    return order


def test_import_creates_then_updates_by_number(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([make_order()]))
    result = runner.invoke(args=["orders", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, rejected 0" in result.output
    path.write_text(json.dumps([make_order(shipping="0")]))
    result = runner.invoke(args=["orders", "import", str(path)])
    assert "created 0, updated 1" in result.output
    order = db.session.scalar(select(Order).where(Order.number == "A1001"))
    assert order.email == "ana@example.com"
    assert order.shipping == Decimal("0.00")
    assert order.items[0].unit_price == Decimal("19.90")
    assert order.total == Decimal("39.80")


def test_bad_records_are_reported_and_good_ones_still_load(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    records = [
        make_order(number="G1"),
        make_order(number="B1", email="not-an-email"),
        make_order(number="B2", items=[make_order()["items"][0], make_order()["items"][0]]),
        make_order(number="B3", currency="JPY"),
        make_order(number="B4", placed_at="yesterday"),
        make_order(number="B5", items=[{**make_order()["items"][0], "unit_price": "-1"}]),
        make_order(number="B6", channel="marketplace"),
        "not an object",
        make_order(number="G2"),
    ]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(records))
    result = runner.invoke(args=["orders", "import", str(path)])
    assert result.exit_code == 1
    assert "created 2, updated 0, rejected 7" in result.output
    assert "record 2: 'email' is not an e-mail address" in result.output
    assert "record 3: SKU repeated in the order: TEE-M-BLUE" in result.output
    assert "record 4: 'currency' must be one of EUR, GBP, USD" in result.output
    assert "record 5: 'placed_at' is not a valid date-time" in result.output
    assert "record 6: item 1: 'unit_price' must be a positive amount" in result.output
    assert "record 7: a marketplace order needs its 'seller'" in result.output
    assert "record 8: an order must be a JSON object" in result.output
    numbers = set(db.session.scalars(select(Order.number)))
    assert numbers == {"G1", "G2"}


def test_json_lines_are_accepted_with_bad_lines_reported(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(make_order(number="L1")) + "\n{broken\n" + json.dumps(make_order(number="L2")) + "\n")
    result = runner.invoke(args=["orders", "import", str(path)])
    assert "created 2, updated 0, rejected 1" in result.output
    assert "record 2: line 2: invalid JSON" in result.output


def test_money_never_passes_through_float(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    # 0.1 + 0.2 style numbers written as JSON numbers stay exact.
    text = json.dumps([make_order(number="M1")]).replace('"shipping": "4.99"', '"shipping": 0.30')
    assert '"shipping": 0.30' in text
    path.write_text(text)
    runner.invoke(args=["orders", "import", str(path)])
    order = db.session.scalar(select(Order).where(Order.number == "M1"))
    assert order.shipping == Decimal("0.30")
    assert isinstance(order.shipping, Decimal)


def test_unreadable_file_is_a_clear_error(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text("[{")
    result = runner.invoke(args=["orders", "import", str(path)])
    assert result.exit_code == 1
    assert "cannot read orders" in result.output


def test_order_numbers_and_transaction_ids_are_found_however_they_were_typed(app: Flask) -> None:
    from kb.orders.records import import_orders
    from kb.returns.wizard_service import find_order

    report = import_orders([make_order(number="a-77 01", transaction_id="ch_3ab-cd 99")])
    db.session.commit()
    assert not report.errors, report.errors
    stored = db.session.scalar(select(Order))
    assert stored.number == "A-7701" and stored.transaction_id == "CH_3ABCD99"
    for number in ("A-7701", "a-7701", " a-77 01 ", "Ａ-7701"):
        order, _receiptless = find_order(email=stored.email, order_number=number, transaction_id=None)
        assert order.id == stored.id, number
    for transaction in ("ch_3abcd99", "CH_3AB-CD99", "ch 3ab cd 99".replace(" 3", "_3")):
        order, receiptless = find_order(email=stored.email, order_number=None, transaction_id=transaction)
        assert order.id == stored.id and receiptless, transaction
