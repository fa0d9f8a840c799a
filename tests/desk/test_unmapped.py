"""The admins' list of the shop's words no mapping rule matches, to map them in the policy file."""

from __future__ import annotations

import html
import re
import tomllib
from typing import Any

import pytest
from flask.testing import FlaskClient

from kb.orders.unmapped import UnmappedValue, sku_prefix, unmapped_values
from tests.desk.conftest import sign_in

HOSTILE = 'Sofa "XL" \\ <script>alert(1)</script>\x7f'


def line(sku: str, **words: Any) -> dict[str, Any]:
    """An order line without a category, carrying the shop's words."""
    return {"sku": sku, "name": sku.title(), "quantity": 1, "unit_price": "10.00", **words}


@pytest.fixture
def unmapped_orders(make_order: Any) -> None:
    """Three orders whose sofas and lamps no rule of the default policy maps."""
    make_order(items=[line("SOFA-1", product_type="Sofa", tags=["home"], vendor="Nordic"),
                      line("LAMP-1", product_type="lamp", tags=["Home"])])
    make_order(items=[line("SOFA-2", product_type="sofa"), line("EL-TV-1", product_type="Sofa")])
    make_order(items=[line("SOFA-3", product_type="Sofa"), line("TEE-1", category="clothing", product_type="Tee")])


def test_values_are_counted_by_items_and_orders_most_frequent_first(unmapped_orders: None) -> None:
    rows, total = unmapped_values()
    assert total == 6
    # EL-TV-1 is mapped by the EL- rule and the tee's category came with the order: neither counts.
    assert rows[:3] == [UnmappedValue("product_type", "Sofa", 3, 3), UnmappedValue("sku_prefix", "SOFA-", 3, 3),
                        UnmappedValue("tag", "home", 2, 1)]
    assert {(r.match, r.value) for r in rows[3:]} == {("product_type", "lamp"), ("sku_prefix", "LAMP-"),
                                                      ("vendor", "Nordic")}


@pytest.mark.parametrize(("sku", "prefix"), [
    ("EL-TV-55", "EL-"), ("IPOD2008GREEN", "IPOD"), ("SOFA", None), ("-X", None), ("A1", None)])
def test_sku_prefixes_are_what_a_rule_would_name(sku: str, prefix: str | None) -> None:
    assert sku_prefix(sku) == prefix


def test_the_rule_to_copy_is_valid_toml_for_any_value() -> None:
    rule = UnmappedValue("product_type", HOSTILE, 1, 1).rule
    parsed = tomllib.loads(f"rules = [\n  {rule}\n]")["rules"][0]
    assert parsed == {"match": "product_type", "value": HOSTILE, "category": "CATEGORY"}


def test_admins_see_the_list_with_the_rules_to_copy(client: FlaskClient, make_order: Any,
                                                     unmapped_orders: None) -> None:
    make_order(items=[line("ODD-1", product_type=HOSTILE)])
    sign_in(client, "admin")
    page = client.get("/desk/admin/unmapped")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<script>alert" not in text
    copied = html.unescape(re.search(r'<textarea id="unmapped-rules"[^>]*>(.*?)</textarea>', text, re.S).group(1))
    assert '{ match = "product_type", value = "Sofa", category = "CATEGORY" },' in copied
    rules = tomllib.loads(f"rules = [\n{copied}]")["rules"]
    assert {"match": "product_type", "value": HOSTILE, "category": "CATEGORY"} in rules
    assert "clothing" in text  # the categories to choose from
    assert 'href="/desk/admin/unmapped" aria-current="page"' in text


def test_the_page_says_when_every_item_is_mapped_in_both_languages(client: FlaskClient, make_order: Any) -> None:
    make_order()  # its tee came with its category
    sign_in(client, "admin")
    assert "Every item is mapped" in client.get("/desk/admin/unmapped").get_data(as_text=True)
    french = client.get("/desk/admin/unmapped", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Tous les articles sont classés" in french


def test_the_list_is_paginated(client: FlaskClient, make_order: Any) -> None:
    make_order(items=[line(f"X{n}", vendor=f"Vendor {n:02d}") for n in range(30)])
    sign_in(client, "admin")
    first = client.get("/desk/admin/unmapped").get_data(as_text=True)
    second = client.get("/desk/admin/unmapped?page=2").get_data(as_text=True)
    assert first.count('<th scope="row"') == 25 and second.count('<th scope="row"') == 5
    assert 'href="/desk/admin/unmapped?page=2"' in first


def test_agents_may_not_see_it_nor_its_link(client: FlaskClient) -> None:
    sign_in(client, "agent")
    assert client.get("/desk/admin/unmapped").status_code == 403
    assert "/desk/admin/unmapped" not in client.get("/desk").get_data(as_text=True)
