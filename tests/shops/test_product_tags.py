"""Catalogue products keep the shop's tags, and order lines without tags take them for the mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from kb.catalogue.models import Product
from kb.extensions import db
from kb.orders.models import Order, OrderItem
from tests.policy.test_policy_file import DEFAULT_TEXT
from tests.shops.conftest import Platform, fixture
from tests.shops.test_catalogue import SHIRT, _token

TAG_RULES = """[catalogue_mapping]
rules = [
  { match = "tag", value = "mp3", category = "electronics" },
  { match = "tag", value = "Linen & more", category = "clothing" },
]
"""


@pytest.fixture
def tag_rules(app: Flask, tmp_path: Path) -> None:
    """The app reads a policy whose only mapping rules go by tag."""
    start = DEFAULT_TEXT.index("[catalogue_mapping]")
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_TEXT[:start] + TAG_RULES, encoding="utf-8")
    app.config["POLICY_FILE"] = str(path)
    app.extensions.pop("kb_policy", None)


def _product(external_id: str) -> Product:
    db.session.expire_all()
    product = db.session.scalar(select(Product).where(Product.external_id == external_id))
    assert product is not None
    return product


def _items(number: str) -> dict[str, OrderItem]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None
    return {item.sku: item for item in order.items}


def test_a_put_stores_the_tags_trimmed_and_once_and_answers_them(client: FlaskClient) -> None:
    body = {**SHIRT, "tags": [" Linen ", "Summer", "Linen", "  "]}
    response = client.put("/api/v1/products/shirt-1", json=body, headers=_token("shop"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tags"] == ["Linen", "Summer"]
    assert _product("shirt-1").tags == ["Linen", "Summer"]
    # A PUT without tags replaces them too: the body is the whole product.
    again = client.put("/api/v1/products/shirt-1", json=SHIRT, headers=_token("shop"))
    assert again.get_json()["tags"] == [] and _product("shirt-1").tags == []


@pytest.mark.parametrize("tags", [["x"] * 51, ["x" * 101], [3], "Linen, Summer"])
def test_a_put_with_bad_tags_is_refused_with_invalid_tags(client: FlaskClient, tags: object) -> None:
    response = client.put("/api/v1/products/shirt-1", json={**SHIRT, "tags": tags}, headers=_token("shop"))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_tags", error
    assert "at most 50" in error["message"]
    assert db.session.scalar(select(Product)) is None


def test_products_import_keeps_tags_and_refuses_bad_ones(runner: FlaskCliRunner, tmp_path: Path) -> None:
    file = tmp_path / "products.jsonl"
    good = {**SHIRT, "id": "shirt-1", "tags": ["Linen", " Summer "]}
    bad = {**SHIRT, "id": "shirt-2", "tags": ["x" * 101]}
    file.write_text("\n".join(json.dumps(r) for r in (good, bad)), encoding="utf-8")
    result = runner.invoke(args=["products", "import", str(file)])
    assert result.exit_code == 1, result.output
    assert "created 1, updated 0, rejected 1" in result.output
    assert "record 2: product: a tag is longer than 100 characters" in result.output
    assert _product("shirt-1").tags == ["Linen", "Summer"]


def test_a_shopify_product_splits_its_comma_separated_tags(shopify: Platform) -> None:
    payload = fixture("shopify_product.json")
    payload["tags"] = "Barnes & Noble, John's Fav ,, Barnes & Noble"
    assert shopify.send("products/create", payload).get_json() == {"status": "stored"}
    assert _product(str(payload["id"])).tags == ["Barnes & Noble", "John's Fav"]


def test_a_woocommerce_product_takes_the_names_of_its_tag_objects(woocommerce: Platform) -> None:
    payload = fixture("woocommerce_product.json")
    payload["tags"] = [{"id": 7, "name": "Linen &amp; more", "slug": "linen-more"}, {"id": 8, "name": "Summer"}]
    assert woocommerce.send("product.created", payload).get_json() == {"status": "stored"}
    assert _product(str(payload["id"])).tags == ["Linen & more", "Summer"]


def test_a_shopify_line_is_mapped_by_a_tag_its_catalogue_product_carries(shopify: Platform, tag_rules: None) -> None:
    shopify.send("products/create", fixture("shopify_product.json"))  # tags "Emotive, Flash Memory, MP3, Music"
    shopify.send("orders/create", fixture("shopify_order.json"))
    green = _items("1001")["IPOD2008GREEN"]
    assert green.tags == ["Emotive", "Flash Memory", "MP3", "Music"]
    assert (green.category, green.category_source) == ("electronics", "rule")


def test_a_shopify_line_without_a_catalogue_product_is_not_mapped_by_tag(shopify: Platform, tag_rules: None) -> None:
    shopify.send("orders/create", fixture("shopify_order.json"))
    green = _items("1001")["IPOD2008GREEN"]
    assert (green.tags, green.category, green.category_source) == ([], "general", "default")


def test_a_woocommerce_line_is_mapped_by_its_products_tags_unless_it_has_its_own(
        woocommerce: Platform, tag_rules: None) -> None:
    product = fixture("woocommerce_product.json")
    product["tags"] = [{"id": 7, "name": "Linen &amp; more"}]
    woocommerce.send("product.created", product)
    order = fixture("woocommerce_order.json")
    woocommerce.send("order.created", order)
    bar = _items(order["number"])["Bar3"]
    assert (bar.tags, bar.category, bar.category_source) == (["Linen & more"], "clothing", "rule")
    # A line that carries tags of its own keeps them: what the order says stands.
    order["line_items"][1]["tags"] = [{"id": 9, "name": "Clearance"}]
    woocommerce.send("order.updated", order)
    bar = _items(order["number"])["Bar3"]
    assert (bar.tags, bar.category, bar.category_source) == (["Clearance"], "general", "default")
