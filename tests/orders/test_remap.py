"""``kb orders remap``: changed rules reach the orders whose returns have not started, and only those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kb.extensions import db
from kb.orders.models import Order, OrderItem
from tests.desk.conftest import open_return
from tests.policy.test_policy_file import DEFAULT_TEXT

SOFA = {"sku": "SOFA-3", "name": "Sofa", "product_type": "Sofa", "quantity": 1, "unit_price": "900.00"}
GIFT = {"sku": "GC-50", "name": "Gift card", "product_type": "Gift card", "quantity": 1, "unit_price": "50.00"}
TEE = {"sku": "TEE-M", "name": "Tee", "category": "apparel", "product_type": "Sofa", "quantity": 1,
       "unit_price": "19.90"}
# Sofas become homeware; gift cards lose their rule (general, and no longer final sale).
NEW_RULES = """[catalogue_mapping]
rules = [
  { match = "sku_prefix", value = "EL-", category = "electronics" },
  { match = "product_type", value = "sofa", category = "homeware" },
]
"""


@pytest.fixture
def orders(app: Flask, make_order: Any) -> dict[str, Order]:
    """An order without returns, one with a return started, both with a sofa the rules leave general."""
    fresh = make_order(number="A1", items=[SOFA, GIFT, TEE])
    returned = make_order(number="A2", items=[SOFA])
    open_return("A2", [("SOFA-3", 1, "changed_mind", "unopened")])
    return {"fresh": fresh, "returned": returned}


@pytest.fixture
def new_rules(app: Flask, tmp_path: Path) -> None:
    """The app now reads a policy file with other mapping rules."""
    start = DEFAULT_TEXT.index("[catalogue_mapping]")
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_TEXT[:start] + NEW_RULES, encoding="utf-8")
    app.config["POLICY_FILE"] = str(path)
    app.extensions.pop("kb_policy", None)


def items(number: str) -> dict[str, tuple[str, str, bool]]:
    """An order's items: SKU -> (category, where it came from, final sale)."""
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None
    return {i.sku: (i.category, i.category_source, i.final_sale) for i in order.items}


def test_items_arrive_mapped_by_the_rules_of_their_day(orders: dict[str, Order]) -> None:
    assert items("A1") == {"SOFA-3": ("general", "default", False), "GC-50": ("gift_card", "rule", True),
                           "TEE-M": ("apparel", "order", False)}


def test_remap_changes_mapped_items_of_orders_without_returns(
        orders: dict[str, Order], new_rules: None, runner: Any) -> None:
    result = runner.invoke(args=["orders", "remap"])
    assert result.exit_code == 0, result.output
    assert "changed 2 of 2 mapped items; skipped 1 orders with a return started" in result.output
    assert "  homeware: 1\n" in result.output and "  general: 1\n" in result.output
    assert items("A1") == {"SOFA-3": ("homeware", "rule", False), "GC-50": ("general", "default", False),
                           "TEE-M": ("apparel", "order", False)}


def test_an_order_with_a_return_started_keeps_its_categories(
        orders: dict[str, Order], new_rules: None, runner: Any) -> None:
    runner.invoke(args=["orders", "remap"])
    assert items("A2") == {"SOFA-3": ("general", "default", False)}


def test_a_category_given_by_the_order_is_never_remapped(
        orders: dict[str, Order], new_rules: None, runner: Any) -> None:
    runner.invoke(args=["orders", "remap"])
    # The tee's product type is "Sofa", which the new rules map to homeware: its own category stands.
    assert items("A1")["TEE-M"] == ("apparel", "order", False)


def test_a_dry_run_shows_the_changes_and_makes_none(orders: dict[str, Order], new_rules: None, runner: Any) -> None:
    before = items("A1")
    result = runner.invoke(args=["orders", "remap", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would change 2 of 2 mapped items" in result.output
    assert "A1 SOFA-3: general -> homeware" in result.output
    assert "A1 GC-50: gift_card -> general, final sale True -> False" in result.output
    assert items("A1") == before
    changed = db.session.scalars(select(OrderItem).where(OrderItem.category == "homeware")).all()
    assert changed == []


def test_remapping_twice_changes_nothing_the_second_time(
        orders: dict[str, Order], new_rules: None, runner: Any) -> None:
    runner.invoke(args=["orders", "remap"])
    result = runner.invoke(args=["orders", "remap"])
    assert "changed 0 of 2 mapped items" in result.output


def test_a_final_sale_given_by_the_order_outlives_the_rules(
        app: Flask, make_order: Any, new_rules: None, runner: Any) -> None:
    make_order(number="A3", items=[{**SOFA, "final_sale": True}])
    runner.invoke(args=["orders", "remap"])
    assert items("A3") == {"SOFA-3": ("homeware", "rule", True)}
