"""The orders API: a shop token creates, replaces, updates and reads orders, nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.auth.service import create_token
from kb.extensions import db
from kb.orders.models import Order
from kb.orders.records import import_orders
from kb.tickets.models import Ticket
from tests.returns.helpers import create, item, lookup, options
from tests.returns.test_orders_import import make_order


@pytest.fixture
def shop_headers(app: Flask) -> dict[str, str]:
    """The Authorization header of a fresh shop token."""
    plain = create_token("web shop", "shop")[1]
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def body(**overrides: Any) -> dict[str, Any]:
    """An order body for PUT (the number is in the URL)."""
    record = make_order(**overrides)
    record.pop("number")
    return record


def test_put_creates_then_the_same_body_changes_nothing(client: FlaskClient, shop_headers: dict) -> None:
    created = client.put("/api/v1/orders/%23A1001", json=body(), headers=shop_headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["number"] == "A1001"
    assert created.get_json()["items"][0]["unit_price"] == "19.90"
    again = client.put("/api/v1/orders/a1001", json=body(), headers=shop_headers)
    assert again.status_code == 200
    assert again.get_json()["updated_at"] == created.get_json()["updated_at"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_put_replaces_and_json_numbers_stay_exact(client: FlaskClient, shop_headers: dict) -> None:
    client.put("/api/v1/orders/A1001", json=body(), headers=shop_headers)
    item_body = {"sku": "CAP", "name": "Cap", "category": "apparel", "quantity": 1, "unit_price": 0.1}
    response = client.put("/api/v1/orders/A1001", json=body(items=[item_body]), headers=shop_headers)
    assert response.status_code == 200, response.get_json()
    assert [i["sku"] for i in response.get_json()["items"]] == ["CAP"]
    assert response.get_json()["items"][0]["unit_price"] == "0.10"


def test_put_refuses_what_the_file_import_refuses_with_the_same_reason(
        client: FlaskClient, shop_headers: dict) -> None:
    record = make_order(currency="JPY")
    reason = import_orders([record]).errors[0][1]
    response = client.put("/api/v1/orders/A1001", json=body(currency="JPY"), headers=shop_headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_order", "message": reason}


@pytest.mark.parametrize("raw", [b"[1", b"[]", b'"x"', b"{\"items\": NaN}"])
def test_odd_bodies_are_clear_errors(client: FlaskClient, shop_headers: dict, raw: bytes) -> None:
    response = client.put("/api/v1/orders/A1001", data=raw, content_type="application/json",
                          headers=shop_headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_a_body_number_must_match_the_url(client: FlaskClient, shop_headers: dict) -> None:
    response = client.put("/api/v1/orders/A1001", json={**body(), "number": "B2"}, headers=shop_headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "number_mismatch"


def test_get_finds_an_order_whatever_its_case_or_hash(client: FlaskClient, shop_headers: dict) -> None:
    client.put("/api/v1/orders/A1001", json=body(), headers=shop_headers)
    for number in ("a1001", "%23A1001", "%23a1001"):
        response = client.get(f"/api/v1/orders/{number}", headers=shop_headers)
        assert response.status_code == 200, number
        assert response.get_json()["transaction_id"] == "P0112345677654321"
    assert client.get("/api/v1/orders/NOPE", headers=shop_headers).get_json()["error"]["code"] == "not_found"


def test_patch_records_delivery_and_cancellation(client: FlaskClient, shop_headers: dict) -> None:
    client.put("/api/v1/orders/A1001", json=body(delivered_at=None), headers=shop_headers)
    delivered = client.patch("/api/v1/orders/a1001", json={"delivered_at": "2026-11-04T09:00:00+01:00"},
                             headers=shop_headers)
    assert delivered.get_json()["delivered_at"] == "2026-11-04T08:00:00+00:00"
    early = client.patch("/api/v1/orders/A1001", json={"delivered_at": "2026-10-01T09:00:00Z"},
                         headers=shop_headers)
    assert early.status_code == 400
    cancelled = client.patch("/api/v1/orders/A1001", json={"cancelled": True}, headers=shop_headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled_at"]
    for wrong in ({}, {"cancelled": "yes"}, {"email": "x@example.com"}):
        assert client.patch("/api/v1/orders/A1001", json=wrong, headers=shop_headers).status_code == 400


def test_a_cancelled_order_cannot_be_returned_in_either_language(
        client: FlaskClient, shop_headers: dict) -> None:
    client.put("/api/v1/orders/A1001", json=body(cancelled_at="2026-11-02T10:00:00Z"), headers=shop_headers)
    response = client.post("/api/v1/returns/lookup", json={"order_number": "A1001", "email": "ana@example.com"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "order_cancelled"
    english = client.post("/en/returns/start", data={"order_number": "A1001", "email": "ana@example.com"})
    assert "This order was cancelled, so it cannot be returned" in english.get_data(as_text=True)
    french = client.post("/fr/returns/start", data={"order_number": "A1001", "email": "ana@example.com"})
    assert "Cette commande a été annulée" in french.get_data(as_text=True)


def test_batch_answers_a_result_per_order(client: FlaskClient, shop_headers: dict) -> None:
    orders = [make_order(number=f"B{n}") for n in range(3)] + [{"number": "BAD"}, "not an order"]
    response = client.post("/api/v1/orders/batch", json={"orders": orders}, headers=shop_headers)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["created"] * 3 + ["error", "error"]
    assert results[3]["number"] == "BAD" and results[3]["error"]["code"] == "invalid_order"
    again = client.post("/api/v1/orders/batch", json={"orders": orders[:3]}, headers=shop_headers)
    assert [r["status"] for r in again.get_json()["results"]] == ["unchanged"] * 3


@pytest.mark.parametrize("orders", [[], [{}] * 501, "x"])
def test_batch_size_is_bounded(client: FlaskClient, shop_headers: dict, orders: Any) -> None:
    response = client.post("/api/v1/orders/batch", json={"orders": orders}, headers=shop_headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_batch"


def test_a_full_batch_of_500_is_accepted(client: FlaskClient, shop_headers: dict) -> None:
    orders = [make_order(number=f"N{n}", transaction_id=None) for n in range(500)]
    response = client.post("/api/v1/orders/batch", json={"orders": orders}, headers=shop_headers)
    assert response.status_code == 200
    assert {r["status"] for r in response.get_json()["results"]} == {"created"}


def test_changes_that_break_a_return_are_refused_with_409(
        content_app: Flask, demo: dict[str, Any], shop_headers: dict) -> None:
    client = content_app.test_client()
    session = lookup(client, "A1001", "ana@example.com")
    options(client, session, [item("TEE-M-BLUE", quantity=2)])
    assert create(client, session, [item("TEE-M-BLUE", quantity=2)]).status_code in (200, 201)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    stored = client.get("/api/v1/orders/A1001", headers=shop_headers).get_json()
    for key in ("number", "created_at", "updated_at"):
        stored.pop(key)
    tee = next(i for i in stored["items"] if i["sku"] == "TEE-M-BLUE")
    others = [i for i in stored["items"] if i["sku"] != "TEE-M-BLUE"]
    cases = {
        "the currency cannot change": {**stored, "currency": "GBP"},
        "cannot be removed": {**stored, "items": others or [{**tee, "sku": "OTHER"}]},
        "cannot go below": {**stored, "items": [*others, {**tee, "quantity": 1}]},
    }
    for reason, change in cases.items():
        response = client.put("/api/v1/orders/A1001", json=change, headers=shop_headers)
        assert response.status_code == 409, (reason, response.get_json())
        assert reason in response.get_json()["error"]["message"]
    cancel = client.patch("/api/v1/orders/A1001", json={"cancelled": True}, headers=shop_headers)
    assert cancel.status_code == 409
    assert client.put("/api/v1/orders/A1001", json=stored, headers=shop_headers).status_code == 200


def test_a_shop_token_can_do_nothing_else(client: FlaskClient, shop_headers: dict) -> None:
    assert client.get("/api/v1/tickets", headers=shop_headers).status_code == 403
    assert client.get("/desk", headers=shop_headers).status_code == 302


def test_tokens_create_knows_the_shop_role(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["tokens", "create", "--role", "shop", "--name", "web shop"])
    assert result.exit_code == 0, result.output
    assert "(shop)" in result.output
    refused = runner.invoke(args=["users", "create", "x@example.com", "--role", "shop"])
    assert refused.exit_code != 0


def test_the_openapi_document_describes_the_orders_api(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "put", "patch"} <= set(spec["paths"]["/api/v1/orders/{number}"])
    assert "post" in spec["paths"]["/api/v1/orders/batch"]
    assert "OrderBody" in spec["components"]["schemas"]


def test_items_without_a_category_take_the_mapping_of_the_policy(
        client: FlaskClient, shop_headers: dict) -> None:
    items = [
        {"sku": "EL-TV-55", "name": "TV", "quantity": 1, "unit_price": "499.00"},
        {"sku": "GC-50", "name": "Gift card", "product_type": "Gift card", "quantity": 1,
         "unit_price": "50.00"},
        {"sku": "SOFA", "name": "Sofa", "vendor": "Nordic", "tags": ["home"], "quantity": 1,
         "unit_price": "900.00"},
    ]
    response = client.put("/api/v1/orders/A1001", json=body(items=items), headers=shop_headers)
    assert response.status_code == 201, response.get_json()
    got = {i["sku"]: (i["category"], i["final_sale"]) for i in response.get_json()["items"]}
    assert got == {"EL-TV-55": ("electronics", False), "GC-50": ("gift_card", True),
                   "SOFA": ("general", False)}


def test_items_keep_the_shops_words_and_where_their_category_came_from(
        client: FlaskClient, shop_headers: dict) -> None:
    items = [
        {"sku": "EL-TV-55", "name": "TV", "vendor": "Vizio", "quantity": 1, "unit_price": "499.00"},
        {"sku": "SOFA", "name": "Sofa", "product_type": "Sofa", "tags": [" home ", "home", "big"],
         "quantity": 1, "unit_price": "900.00"},
        {"sku": "TEE", "name": "Tee", "category": "Clothing", "product_type": "Gift card", "quantity": 1,
         "unit_price": "19.90"},
    ]
    response = client.put("/api/v1/orders/A1001", json=body(items=items), headers=shop_headers)
    assert response.status_code == 201, response.get_json()
    got = {i["sku"]: i for i in response.get_json()["items"]}
    assert (got["EL-TV-55"]["category_source"], got["EL-TV-55"]["vendor"]) == ("rule", "Vizio")
    assert (got["SOFA"]["category_source"], got["SOFA"]["tags"]) == ("default", ["home", "big"])
    assert got["SOFA"]["product_type"] == "Sofa"
    # A category given by the order wins over the mapping, which would make it a final-sale gift card.
    assert (got["TEE"]["category"], got["TEE"]["category_source"], got["TEE"]["final_sale"]) == (
        "clothing", "order", False)


@pytest.mark.parametrize(("tags", "words"), [
    ("home", "list of strings"), ([f"t{n}" for n in range(51)], "at most 50"), (["x" * 101], "longer than 100")])
def test_bad_tags_are_refused_like_the_file_import_refuses_them(
        client: FlaskClient, shop_headers: dict, tags: Any, words: str) -> None:
    items = [{"sku": "SOFA", "name": "Sofa", "tags": tags, "quantity": 1, "unit_price": "900.00"}]
    response = client.put("/api/v1/orders/A1001", json=body(items=items), headers=shop_headers)
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]


def test_an_order_read_back_and_sent_again_keeps_its_mapped_items_mapped(
        client: FlaskClient, shop_headers: dict) -> None:
    items = [{"sku": "GC-50", "name": "Gift card", "product_type": "Gift card", "quantity": 1,
              "unit_price": "50.00"}]
    client.put("/api/v1/orders/A1001", json=body(items=items), headers=shop_headers)
    stored = client.get("/api/v1/orders/A1001", headers=shop_headers).get_json()
    assert (stored["items"][0]["category_source"], stored["items"][0]["final_sale_source"]) == ("rule", "rule")
    for name in ("number", "created_at", "updated_at"):
        stored.pop(name)
    again = client.put("/api/v1/orders/A1001", json=stored, headers=shop_headers)
    assert again.status_code == 200, again.get_json()
    item = again.get_json()["items"][0]
    assert (item["category"], item["category_source"], item["final_sale_source"]) == ("gift_card", "rule", "rule")
