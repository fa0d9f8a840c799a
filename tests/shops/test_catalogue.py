"""The catalogue: products from the API, the platforms and a file; exchanges offer what is in stock."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from kb.auth.service import create_token
from kb.catalogue.models import Product, ProductVariant
from kb.catalogue.service import exchange_choices
from kb.extensions import db
from tests.shops.conftest import Platform, fixture

SHIRT = {
    "title": "Linen shirt", "product_type": "Shirts", "options": ["Size", "Colour"],
    "variants": [
        {"id": "11", "sku": "SHIRT-S-BLUE", "title": "S / Blue", "options": {"Size": "S", "Colour": "Blue"},
         "stock": 4},
        {"id": "12", "sku": "SHIRT-M-BLUE", "title": "M / Blue", "options": {"Size": "M", "Colour": "Blue"},
         "stock": 0},
        {"id": "13", "sku": "SHIRT-L-BLUE", "title": "L / Blue", "options": {"Size": "L", "Colour": "Blue"},
         "stock": None},
    ],
}


def _token(role: str) -> dict[str, str]:
    """A bearer token of ``role``; "shop" is set on the row, whichever roles ``kb tokens`` offers yet."""
    row, plain = create_token(f"{role} token", "admin" if role == "shop" else role)
    row.role = role
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_a_shop_token_puts_a_product_and_the_same_body_twice_changes_nothing(client: FlaskClient) -> None:
    headers = _token("shop")
    first = client.put("/api/v1/products/shirt-1", json=SHIRT, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["created"] is True
    again = client.put("/api/v1/products/shirt-1", json=SHIRT, headers=headers)
    assert again.get_json()["created"] is False
    assert {k: v for k, v in again.get_json().items() if k != "created"} == \
        {k: v for k, v in first.get_json().items() if k != "created"}
    assert db.session.scalar(select(func.count()).select_from(ProductVariant)) == 3


def test_a_put_replaces_the_variants(client: FlaskClient) -> None:
    headers = _token("admin")
    client.put("/api/v1/products/shirt-1", json=SHIRT, headers=headers)
    fewer = {**SHIRT, "variants": SHIRT["variants"][:1]}
    body = client.put("/api/v1/products/shirt-1", json=fewer, headers=headers).get_json()
    assert [v["sku"] for v in body["variants"]] == ["SHIRT-S-BLUE"]


def test_a_shop_reads_back_what_kb_holds_of_a_product(client: FlaskClient) -> None:
    headers = _token("shop")
    assert client.get("/api/v1/products/shirt-1", headers=headers).get_json()["error"]["code"] == "not_found"
    put = client.put("/api/v1/products/shirt-1", json=SHIRT, headers=headers).get_json()
    got = client.get("/api/v1/products/shirt-1", headers=headers)
    assert got.status_code == 200
    assert got.get_json() == {k: v for k, v in put.items() if k != "created"}
    assert [v["stock"] for v in got.get_json()["variants"]] == [4, 0, None]
    assert client.get("/api/v1/products/shirt-1").status_code == 401
    assert client.get("/api/v1/products/shirt-1", headers=_token("agent")).status_code == 403


def test_the_products_api_needs_a_shop_token_and_a_valid_body(client: FlaskClient) -> None:
    assert client.put("/api/v1/products/x", json=SHIRT).status_code == 401
    assert client.put("/api/v1/products/x", json=SHIRT, headers=_token("agent")).status_code == 403
    headers = _token("shop")
    bad = client.put("/api/v1/products/x", json={**SHIRT, "variants": []}, headers=headers)
    assert bad.status_code == 400 and "error" in bad.get_json()
    repeated = {**SHIRT, "variants": [SHIRT["variants"][0], SHIRT["variants"][0]]}
    response = client.put("/api/v1/products/x", json=repeated, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_product"
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_the_openapi_document_describes_the_products_api(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    path = spec["paths"]["/api/v1/products/{product_id}"]
    assert path["put"]["security"] == path["get"]["security"] == [{"bearerToken": []}]
    assert "variants" in spec["components"]["schemas"]["Product"]["properties"]


def test_exchange_choices_are_the_other_variants_in_stock(app: Flask, client: FlaskClient) -> None:
    client.put("/api/v1/products/shirt-1", json=SHIRT, headers=_token("shop"))
    choices = exchange_choices(["SHIRT-S-BLUE"])
    # M is sold out; L's stock is not counted, so it is offered.
    assert [c.sku for c in choices] == ["SHIRT-L-BLUE"]
    assert choices[0].label == "Linen shirt – L / Blue"
    assert exchange_choices(["UNKNOWN"]) == []


def test_shopify_products_arrive_by_webhook(shopify: Platform) -> None:
    assert shopify.send("products/create", fixture("shopify_product.json")).get_json() == {"status": "stored"}
    choices = exchange_choices(["IPOD2008GREEN"])
    assert [c.label for c in choices] == ["IPod Nano - 8GB – Red", "IPod Nano - 8GB – Black"]  # Pink is sold out
    variant = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "IPOD2008RED"))
    assert variant is not None and json.loads(variant.options_json) == {"Colour": "Red"} and variant.stock == 20


def test_woocommerce_products_and_their_variations_arrive_by_webhook(woocommerce: Platform) -> None:
    assert woocommerce.send("product.created", fixture("woocommerce_product.json")).get_json() == \
        {"status": "stored"}
    for variation in fixture("woocommerce_variations.json"):
        assert woocommerce.send("product.updated", variation).get_json() == {"status": "stored"}
    assert [c.label for c in exchange_choices(["Bar3"])] == ["Ship Your Idea – Green, S"]
    orphan = {**fixture("woocommerce_variations.json")[0], "id": 99, "parent_id": 98}
    assert woocommerce.send("product.updated", orphan).get_json()["status"] == "ignored"


def test_products_import_reads_json_lines_and_reports_bad_records(runner: FlaskCliRunner, tmp_path: Path) -> None:
    file = tmp_path / "products.jsonl"
    lines = [json.dumps({"id": "shirt-1", **SHIRT}), json.dumps({"id": "bad", "title": "No variants"}), "{oops"]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["products", "import", str(file)])
    assert result.exit_code == 1, result.output
    assert "created 1, updated 0, rejected 2" in result.output
    assert "record 2: 'variants' must be a non-empty list" in result.output
    array = tmp_path / "products.json"
    array.write_text(json.dumps([{"id": "shirt-1", **SHIRT}]), encoding="utf-8")
    result = runner.invoke(args=["products", "import", str(array)])
    assert result.exit_code == 0, result.output
    assert "created 0, updated 1, rejected 0" in result.output
