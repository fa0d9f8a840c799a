"""Refunds: exactly at a cap is allowed, one cent over is refused and nothing is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.tickets.models import Refund, Ticket, TicketEvent
from tests.desk.conftest import add_order, bearer, open_return


def refund(client: FlaskClient, ticket: Ticket, amount: str, goodwill: str = "0",
           method: str = "original_payment", headers: dict | None = None) -> Any:
    """Ask the staff API for a refund; returns the response."""
    return client.post(f"/api/v1/tickets/{ticket.reference}/refund", headers=headers or bearer(),
                       json={"amount": amount, "goodwill": goodwill, "method": method})


def approve(client: FlaskClient, ticket: Ticket) -> None:
    """An agent approves a ticket sent for review, as before any refund on it."""
    response = client.post(f"/api/v1/tickets/{ticket.reference}/actions", headers=bearer(),
                           json={"action": "approve"})
    assert response.status_code == 200, response.get_json()


def recorded() -> tuple[int, ...]:
    """Refunds, history entries and outbox messages so far."""
    return tuple(db.session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (Refund, TicketEvent, OutboxMessage))


def refused_over_cap(response: Any, before: tuple[int, ...]) -> dict:
    """Check a 422 over_cap answer that recorded nothing; returns its error."""
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "over_cap"
    assert recorded() == before
    return error


def test_the_items_amount_up_to_the_cent_in_eur(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")  # two tees at 19.90, a change of mind: no shipping back
    before = recorded()
    error = refused_over_cap(refund(client, ticket, "39.81"), before)
    assert error["caps_left"] == {"currency": "EUR", "amount": "39.80", "goodwill": "17.06",
                                  "guarantee": None}
    assert "39.81 EUR" in error["message"]
    response = refund(client, ticket, "39.80")
    assert response.status_code == 201
    assert response.get_json()["status"] == "confirmed"
    assert response.get_json()["ticket_status"] == "refunded"


def test_goodwill_up_to_the_cent_in_eur(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    # 15 % of the order's 113.79 (items and shipping) is 17.0685: the cap rounds down.
    before = recorded()
    refused_over_cap(refund(client, ticket, "0", "17.07"), before)
    assert refund(client, ticket, "0", "17.06").status_code == 201


def test_the_caps_in_gbp(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1010")  # the oak lamp, 52.00 GBP; order total 83.95 GBP
    before = recorded()
    error = refused_over_cap(refund(client, ticket, "52.01"), before)
    assert "GBP" in error["message"] and error["caps_left"]["currency"] == "GBP"
    refused_over_cap(refund(client, ticket, "52.00", "12.60"), before)  # 15 % is 12.5925
    response = refund(client, ticket, "52.00", "12.59")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["currency"], body["amount"], body["goodwill"]) == ("GBP", "52.00", "12.59")


def test_goodwill_is_counted_over_every_refund_of_the_order(client: FlaskClient,
                                                            demo: dict) -> None:
    tees, _ = open_return("A1001")
    jeans, _ = open_return("A1001", [("JEANS-32-INDIGO", 1, "wrong_size", "unopened")])
    assert refund(client, tees, "10.00", "10.00").status_code == 201
    before = recorded()
    # 17.06 of goodwill for the whole order, 10.00 of it given on the other ticket.
    error = refused_over_cap(refund(client, jeans, "69.00", "7.07"), before)
    assert error["caps_left"]["goodwill"] == "7.06"
    # The items amount is the ticket's own: the jeans can still be refunded in full.
    assert error["caps_left"]["amount"] == "69.00"
    assert refund(client, jeans, "69.00", "7.06").status_code == 201


def test_refunds_add_up_against_the_items_cap(client: FlaskClient, app: Flask,
                                              demo: dict) -> None:
    app.config["REFUND_SECOND_APPROVAL_OVER"] = "20"
    ticket, _ = open_return("A1001")
    assert refund(client, ticket, "30.00").get_json()["status"] == "pending_confirmation"
    before = recorded()
    refused_over_cap(refund(client, ticket, "9.81"), before)  # pending refunds count too
    assert refund(client, ticket, "9.80").status_code == 201


def test_a_guarantee_claim_refunds_the_shipping_too(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1008")  # armchair 420.00 + shipping 39.00, never delivered
    approve(client, ticket)
    before = recorded()
    refused_over_cap(refund(client, ticket, "459.01"), before)
    response = refund(client, ticket, "459.00")
    assert response.status_code == 201
    assert response.get_json()["guarantee"] is True


def _big_marketplace_order(demo: dict) -> Ticket:
    add_order("M5001", demo, channel="marketplace", seller="Grand Atelier", shipping="39.00",
              items=[{"sku": "MKT-PIANO", "name": "Upright piano", "category": "home",
                      "quantity": 1, "unit_price": "2480.00"}])
    ticket, _ = open_return("M5001", [("MKT-PIANO", 1, "not_received", "unopened")])
    assert ticket.resolution == "guarantee_claim"
    return ticket


def _approved_big_marketplace_order(client: FlaskClient, demo: dict) -> Ticket:
    ticket = _big_marketplace_order(demo)
    approve(client, ticket)
    return ticket


def test_the_guarantee_pays_at_most_2500_shipping_included(client: FlaskClient,
                                                           demo: dict) -> None:
    ticket = _approved_big_marketplace_order(client, demo)  # 2,480.00 + 39.00 shipping = 2,519.00
    before = recorded()
    error = refused_over_cap(refund(client, ticket, "2500.01"), before)
    assert error["caps_left"]["guarantee"] == "2500.00"
    assert "Guarantee claim of 2500.01 EUR is over the cap of 2500.00 EUR" in error["message"]
    # 2,500.00 is more than the piano alone: the shipping is part of what the cap covers.
    response = refund(client, ticket, "2500.00")
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending_confirmation"  # over 1,000


def test_the_guarantee_cap_counts_earlier_payouts(client: FlaskClient, demo: dict) -> None:
    ticket = _approved_big_marketplace_order(client, demo)
    assert refund(client, ticket, "2000.00").get_json()["status"] == "pending_confirmation"
    before = recorded()
    error = refused_over_cap(refund(client, ticket, "500.01"), before)
    assert error["caps_left"]["guarantee"] == "500.00"
    assert refund(client, ticket, "500.00").status_code == 201


def _two_televisions(demo: dict) -> tuple[Ticket, Ticket]:
    delivered = (demo["now"] - timedelta(days=2)).isoformat()
    add_order("C4001", demo, delivered_at=delivered, items=[
        {"sku": "TV-A", "name": "Television A", "category": "home", "quantity": 1,
         "unit_price": "1000.00"},
        {"sku": "TV-B", "name": "Television B", "category": "home", "quantity": 1,
         "unit_price": "1200.00"}])
    first, _ = open_return("C4001", [("TV-A", 1, "wrong_size", "unopened")])
    second, _ = open_return("C4001", [("TV-B", 1, "wrong_size", "unopened")])
    return first, second


def test_only_refunds_over_the_threshold_wait_for_a_second_agent(client: FlaskClient,
                                                                 demo: dict) -> None:
    at_threshold, over = _two_televisions(demo)
    response = refund(client, at_threshold, "1000.00")
    assert response.get_json()["status"] == "confirmed"
    response = refund(client, over, "1000.00", "0.01")
    assert response.get_json()["status"] == "pending_confirmation"
    assert response.get_json()["ticket_status"] == "approved"  # not refunded until confirmed
    db.session.expire_all()
    assert [e.kind for e in over.events][-1] == "refund_pending"
    assert not over.events[-1].public


def test_the_agent_who_created_a_refund_cannot_confirm_it(
    agent: FlaskClient, second_agent: FlaskClient, demo: dict
) -> None:
    _first, ticket = _two_televisions(demo)
    page = f"/desk/tickets/{ticket.reference}"
    agent.post(f"{page}/refund", data={"amount": "1200.00", "method": "original_payment"})
    [pending] = db.session.scalars(select(Refund).where(Refund.ticket_id == ticket.id)).all()
    assert pending.status == "pending_confirmation"
    html = agent.get(page).get_data(as_text=True)
    assert f"/desk/refunds/{pending.id}/confirm" not in html
    assert "Another agent must confirm it." in html

    before = recorded()
    response = agent.post(f"/desk/refunds/{pending.id}/confirm")
    assert response.status_code == 403
    assert "Another agent must confirm this refund." in response.get_data(as_text=True)
    assert recorded() == before

    assert f"/desk/refunds/{pending.id}/confirm" in second_agent.get(page).get_data(as_text=True)
    response = second_agent.post(f"/desk/refunds/{pending.id}/confirm")
    assert response.status_code == 302
    db.session.expire_all()
    assert (pending.status, pending.confirmed_by, ticket.status) == (
        "confirmed", "Sam Second", "refunded")
    event = ticket.events[-1]
    assert (event.kind, event.actor, event.public) == ("refunded", "Sam Second", True)
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert mail is not None and mail.subject == f"Update on your return {ticket.reference}"


def test_the_api_confirms_with_another_token_only(client: FlaskClient, demo: dict) -> None:
    _first, ticket = _two_televisions(demo)
    creator = bearer("agent", "till 1")
    body = refund(client, ticket, "1200.00", headers=creator).get_json()
    url = f"/api/v1/refunds/{body['id']}/confirm"
    response = client.post(url, headers=creator)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "same_agent"
    response = client.post(url, headers=bearer("admin", "supervisor"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "confirmed"
    assert response.get_json()["confirmed_by"] == "token supervisor"
    assert response.get_json()["ticket_status"] == "refunded"
    again = client.post(url, headers=bearer("agent", "till 2"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_pending"


def test_the_refund_form_shows_the_caps_and_keeps_values_when_refused(agent: FlaskClient,
                                                                      demo: dict) -> None:
    ticket, _ = open_return("A1010")
    page = f"/desk/tickets/{ticket.reference}"
    html = agent.get(page).get_data(as_text=True)
    assert "At most £52.00 for the items and £12.59 of goodwill." in html
    before = recorded()
    response = agent.post(f"{page}/refund",
                          data={"amount": "52.01", "goodwill": "3.00", "method": "store_credit"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was recorded" in html
    assert "This is more than the order still allows." in html
    assert 'value="52.01"' in html and 'value="3.00"' in html
    assert 'id="refund-method-store_credit" name="method" value="store_credit" checked' in html
    assert recorded() == before


def test_bad_refund_input_is_refused(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    headers = bearer()
    url = f"/api/v1/tickets/{ticket.reference}/refund"
    before = recorded()
    for body, code in [
        ({"amount": 10, "method": "original_payment"}, "invalid_field"),
        ({"amount": "10.00", "goodwill": 1.5, "method": "original_payment"}, "invalid_field"),
        ({"amount": "10.001", "method": "original_payment"}, "invalid_amount"),
        ({"amount": "-1", "method": "original_payment"}, "invalid_amount"),
        ({"amount": "0", "goodwill": "0", "method": "original_payment"}, "invalid_amount"),
        ({"amount": "10.00", "method": "cash"}, "invalid_method"),
        ({"amount": "10.00"}, "missing_field"),
        ({"amount": "10.00", "method": "store_credit", "note": "x"}, "unknown_field"),
    ]:
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == code, body
    assert recorded() == before


def test_splitting_a_return_into_several_tickets_cannot_dodge_the_second_approval(
    client: FlaskClient, demo: dict
) -> None:
    delivered = (demo["now"] - timedelta(days=2)).isoformat()
    add_order("C4002", demo, delivered_at=delivered, items=[
        {"sku": f"TV-{n}", "name": f"Television {n}", "category": "home", "quantity": 1,
         "unit_price": "900.00"} for n in range(3)])
    tickets = [open_return("C4002", [(f"TV-{n}", 1, "wrong_size", "unopened")])[0] for n in range(3)]
    statuses = [refund(client, ticket, "900.00").get_json()["status"] for ticket in tickets]
    assert statuses == ["confirmed", "pending_confirmation", "pending_confirmation"]


def test_a_ticket_under_review_is_refunded_only_once_its_reasons_are_checked(client: FlaskClient,
                                                                            demo: dict) -> None:
    ticket, _ = open_return("A1008")  # never delivered: sent for review
    assert ticket.status == "needs_review"
    before = recorded()
    response = refund(client, ticket, "10.00")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "review_not_checked"
    assert "not_received" in response.get_json()["error"]["message"]
    assert recorded() == before
    checked = client.post(f"/api/v1/tickets/{ticket.reference}/refund", headers=bearer(),
                          json={"amount": "10.00", "method": "original_payment", "review_checked": True})
    assert checked.status_code == 201


def test_the_desk_form_names_the_review_reasons_before_refunding(client: FlaskClient, demo: dict) -> None:
    from tests.desk.conftest import sign_in

    ticket, _ = open_return("A1008")
    sign_in(client, "agent")
    page = client.get(f"/desk/tickets/{ticket.reference}").get_data(as_text=True)
    assert "This ticket was sent for review" in page and "Parcel reported as not received" in page
    refused = client.post(f"/desk/tickets/{ticket.reference}/refund",
                          data={"amount": "10.00", "method": "original_payment"})
    assert refused.status_code == 409
    assert "still under review" in refused.get_data(as_text=True)
    assert not db.session.scalars(select(Refund)).all()
    done = client.post(f"/desk/tickets/{ticket.reference}/refund",
                       data={"amount": "10.00", "method": "original_payment", "review_checked": "yes"})
    assert done.status_code == 302


def test_a_guarantee_claim_on_part_of_an_order_leaves_its_delivery_charge_out(client: FlaskClient,
                                                                               demo: dict) -> None:
    delivered = (demo["now"] - timedelta(days=3)).isoformat()
    add_order("M5002", demo, channel="marketplace", seller="Grand Atelier", shipping="6.00",
              delivered_at=delivered, items=[
                  {"sku": "MKT-VASE", "name": "Glass vase", "category": "home", "quantity": 1, "unit_price": "80.00"},
                  {"sku": "MKT-BOWL", "name": "Glass bowl", "category": "home", "quantity": 1, "unit_price": "50.00"}])
    ticket, _ = open_return("M5002", [("MKT-VASE", 1, "damaged_in_transit", "damaged")])
    assert ticket.resolution == "guarantee_claim"
    approve(client, ticket)
    before = recorded()
    error = refused_over_cap(refund(client, ticket, "80.01"), before)
    assert error["caps_left"]["amount"] == "80.00"
    assert refund(client, ticket, "80.00").status_code == 201


def test_an_item_received_used_after_a_change_of_mind_is_capped_like_the_estimate(
    client: FlaskClient, demo: dict
) -> None:
    ticket, _ = open_return("A1001")  # two tees, changed mind, declared unopened: 39.80
    assert ticket.status == "approved"
    received = client.post(f"/api/v1/tickets/{ticket.reference}/actions", headers=bearer(),
                           json={"action": "receive", "condition": "used"})
    assert received.status_code == 200, received.get_json()
    before = recorded()
    error = refused_over_cap(refund(client, ticket, "19.91"), before)
    assert error["caps_left"]["amount"] == "19.90"  # the policy refunds half of a used item
    assert refund(client, ticket, "19.90").status_code == 201
