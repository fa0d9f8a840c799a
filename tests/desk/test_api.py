"""The staff API: the queue and a ticket as JSON, with every parameter and field checked."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from kb.extensions import db
from tests.desk.conftest import age_ticket, bearer, open_return


def test_the_list_filters_and_pages(client: FlaskClient, demo: dict) -> None:
    approved, _ = open_return("A1001")
    review, _ = open_return("A1002", exception=True)
    claim, _ = open_return("A1008")
    age_ticket(review, 3)
    headers = bearer()
    body = client.get("/api/v1/tickets", headers=headers).get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 25
    assert [t["reference"] for t in body["tickets"]] == [
        review.reference, approved.reference, claim.reference]

    body = client.get("/api/v1/tickets?status=needs_review&channel=marketplace",
                      headers=headers).get_json()
    assert [t["reference"] for t in body["tickets"]] == [claim.reference]
    body = client.get("/api/v1/tickets?reason=changed_mind&per_page=1&page=2",
                      headers=headers).get_json()
    assert (body["total"], body["page"], body["per_page"]) == (2, 2, 1)
    assert [t["reference"] for t in body["tickets"]] == [approved.reference]

    summary = body["tickets"][0]
    assert summary["status"] == "approved" and summary["channel"] == "online"
    assert summary["estimate_total"] == "34.85" and summary["currency"] == "EUR"
    assert summary["overdue"] is False and summary["assigned_to"] is None


def test_a_token_has_no_tickets_of_its_own(client: FlaskClient, demo: dict) -> None:
    open_return("A1001")
    body = client.get("/api/v1/tickets?assigned=me", headers=bearer()).get_json()
    assert body["total"] == 0
    assert client.get("/api/v1/tickets?assigned=none", headers=bearer()).get_json()["total"] == 1


def test_unknown_list_parameters_and_values_are_refused(client: FlaskClient, demo: dict) -> None:
    headers = bearer()
    for query, code in [
        ("status=lost", "invalid_status"),
        ("reason=bored", "invalid_reason"),
        ("channel=phone", "invalid_channel"),
        ("page=0", "invalid_page"),
        ("page=two", "invalid_page"),
        ("per_page=101", "invalid_per_page"),
        ("per_page=-5", "invalid_per_page"),
        ("colour=blue", "unknown_parameter"),
    ]:
        response = client.get(f"/api/v1/tickets?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == code, query


def test_one_ticket_with_items_history_refunds_estimate_and_caps(client: FlaskClient,
                                                                 demo: dict) -> None:
    ticket, _ = open_return("A1001", note="Too big")
    headers = bearer("agent", "crm")
    client.post(f"/api/v1/tickets/{ticket.reference}/refund", headers=headers,
                json={"amount": "20.00", "goodwill": "1.50", "method": "original_payment"})
    response = client.get(f"/api/v1/tickets/{ticket.reference.lower()}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["reference"] == ticket.reference and body["status"] == "refunded"
    assert body["order"]["number"] == "A1001" and len(body["order"]["items"]) == 2
    assert body["items"] == [{
        "sku": "TEE-M-BLUE", "quantity": 2, "reason": "changed_mind", "condition": "unopened",
        "condition_received": None, "eligible": True, "not_eligible_reason": None,
        "window_ends": body["items"][0]["window_ends"], "value": "39.80", "reserved": True}]
    assert body["items"][0]["window_ends"]
    assert body["note"] == "Too big" and body["exception"] is False
    assert body["estimate"] == {"currency": "EUR", "items_total": "39.80", "fee": "4.95",
                                "deduction": "0.00", "total": "34.85"}
    assert [(r["amount"], r["goodwill"], r["created_by"]) for r in body["refunds"]] == [
        ("20.00", "1.50", "token crm")]
    assert body["caps_left"] == {"currency": "EUR", "amount": "19.80", "goodwill": "15.56",
                                 "guarantee": None}
    assert [e["kind"] for e in body["history"]] == ["opened", "approved", "refunded"]
    assert body["history"][-1]["actor"] == "token crm"
    assert body["allowed_actions"] == ["close", "reply", "note"]


def test_an_unknown_ticket_is_a_json_404(client: FlaskClient, demo: dict) -> None:
    headers = bearer()
    for method, url in [("get", "/api/v1/tickets/R-NOPE99"),
                        ("post", "/api/v1/tickets/R-NOPE99/actions")]:
        response = getattr(client, method)(url, headers=headers, json={"action": "note",
                                                                       "message": "x"})
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_action_bodies_are_checked(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1002", exception=True)
    url = f"/api/v1/tickets/{ticket.reference}/actions"
    headers = bearer()
    for body, code in [
        ({"action": "approve", "extra": 1}, "unknown_field"),
        ({"message": "hi"}, "missing_field"),
        ({"action": 3}, "invalid_field"),
        ({"action": "approve", "message": ["hi"]}, "invalid_field"),
        ({"action": "refund"}, "invalid_action"),
        ({"action": "assign"}, "invalid_action"),
        ({"action": "decline"}, "invalid_reason"),
        ({"action": "decline", "reason": "rude"}, "invalid_reason"),
        ({"action": "note", "message": ""}, "empty_message"),
        ({"action": "reply", "message": "x" * 5001}, "invalid_field"),
    ]:
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == code, body
    response = client.post(url, headers=headers, data="approve",
                           content_type="text/plain")
    assert response.status_code == 415
    db.session.expire_all()
    assert ticket.status == "needs_review" and len(ticket.events) == 1


def test_receive_needs_the_condition_found(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    url = f"/api/v1/tickets/{ticket.reference}/actions"
    headers = bearer()
    response = client.post(url, headers=headers, json={"action": "receive"})
    assert response.get_json()["error"]["code"] == "invalid_condition"
    response = client.post(url, headers=headers, json={"action": "receive", "condition": "used"})
    assert response.status_code == 200
    assert response.get_json() == {"reference": ticket.reference, "status": "received",
                                   "event": {"kind": "received", "actor": "token shop backend",
                                             "public": True}}


def test_the_api_is_described_in_the_openapi_document(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/tickets", "/api/v1/tickets/{reference}",
                 "/api/v1/tickets/{reference}/actions", "/api/v1/tickets/{reference}/refund",
                 "/api/v1/refunds/{refund_id}/confirm"):
        assert path in spec["paths"], path
        # Path-level "parameters" (the path's own variables) are not operations.
        operations = [op for method, op in spec["paths"][path].items() if method in ("get", "post")]
        assert operations, path
        for operation in operations:
            assert operation["security"] == [{"bearerToken": []}]
            assert {"401", "403"} <= set(operation["responses"]), path
    assert "StaffTicket" in spec["components"]["schemas"]
    refund = spec["paths"]["/api/v1/tickets/{reference}/refund"]["post"]
    assert {"201", "422"} <= set(refund["responses"])
