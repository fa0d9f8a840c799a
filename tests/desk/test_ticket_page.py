"""The ticket page tells the agent everything, so that nobody asks the shopper twice."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from kb.extensions import db
from kb.returns import wizard_service as wiz
from kb.returns.models import WizardSession
from kb.tickets.models import Attachment
from tests.desk.conftest import open_return, sign_in


def _page(client: FlaskClient, reference: str) -> str:
    response = client.get(f"/desk/tickets/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """The page's words without tags, spaces squeezed (for phrases split across elements)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_order_its_items_and_what_the_ticket_covers(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001", note="The blue is darker than on the photo.")
    html = _page(agent, ticket.reference)
    text = _text(html)
    assert "Order A1001" in text
    assert "Organic tee, blue, M" in text and "TEE-M-BLUE" in text
    assert "Straight jeans, indigo, 32" in text
    assert "€19.90" in text and "2 (€39.80)" in text  # unit price, then ordered quantity
    assert "Not in this return" in text  # the jeans stay with the shopper
    assert "I changed my mind" in text and "Described as: Unopened, in its packaging" in text
    assert "Eligible" in text and "Window ends" in text
    assert "Refund to my payment method" in text and "Send it with the prepaid label" in text
    assert "The blue is darker than on the photo." in text
    assert "ana@example.com" in text
    assert "None: approved by the policy" in text


def test_the_policy_decision_and_why_it_needs_review(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1002", exception=True)
    text = _text(_page(agent, ticket.reference))
    assert "Not eligible" in text and "The return period for this item has ended." in text
    assert "Exception requested Yes" in text
    assert "The shopper asks for an exception to the policy" in text
    assert f"Policy version {ticket.policy_version}" in text


def test_a_guarantee_claim_shows_its_reasons_and_the_guarantee_left(agent: FlaskClient,
                                                                    demo: dict) -> None:
    ticket, _ = open_return("A1008")
    text = _text(_page(agent, ticket.reference))
    assert "Marketplace" in text and "seller Atelier Nord" in text and "Not delivered" in text
    assert "Parcel reported as not received" in text
    assert "Marketplace guarantee claim" in text
    assert "Guarantee left on the order €2,500.00" in text
    assert "Items amount left €459.00" in text  # the armchair and its shipping
    assert "Estimated refund €459.00" in text


def test_the_estimate_refunds_so_far_and_caps_left(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    agent.post(f"/desk/tickets/{ticket.reference}/refund",
               data={"amount": "30.00", "goodwill": "5.00", "method": "store_credit"})
    text = _text(_page(agent, ticket.reference))
    assert "Estimated refund €34.85" in text  # 39.80 less the 4.95 return fee
    assert "€30.00 €5.00 Store credit Alex Agent Confirmed" in text
    assert "Items amount left €9.80" in text
    # Goodwill: 15 % of 113.79 (items and shipping) is 17.06, and 5.00 of it is used.
    assert "Goodwill left on the order €12.06" in text
    assert "Guarantee left" not in text


def test_the_history_shows_public_and_internal_entries(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1002", exception=True)
    agent.post(f"/desk/tickets/{ticket.reference}/actions",
               data={"action": "note", "message": "Checked the order notes."})
    agent.post(f"/desk/tickets/{ticket.reference}/actions",
               data={"action": "reply", "message": "Could you send a photo?"})
    html = _page(agent, ticket.reference)
    text = _text(html)
    assert "Opened by the shopper · shopper · Shopper sees this" in text
    assert "Internal note · Alex Agent · Internal Checked the order notes." in text
    assert "Reply to the shopper · Alex Agent · Shopper sees this Could you send a photo?" in text
    assert html.count("<time datetime=") >= 3


def test_only_the_actions_the_state_allows_are_offered(agent: FlaskClient, demo: dict) -> None:
    review, _ = open_return("A1002", exception=True)
    html = _page(agent, review.reference)
    offered = re.findall(r'id="form-(\w+)"', html)
    assert offered == ["assign", "refund", "approve", "decline", "reply", "note"]
    approved, _ = open_return("A1001")
    offered = re.findall(r'id="form-(\w+)"', _page(agent, approved.reference))
    assert offered == ["assign", "refund", "receive", "exchange", "repair", "reply", "note"]


def test_the_articles_offered_and_opened_in_the_wizard(content_app: Flask, agent: FlaskClient,
                                                       demo: dict) -> None:
    ticket, _ = open_return("A1001", note="too small")
    session = db.session.get(WizardSession, ticket.session_id)
    offered = json.loads(session.offered_json)
    assert len(offered) >= 2, "the self-help step should offer articles"
    wiz.mark_opened(session, offered[0])
    db.session.commit()
    html = _page(agent, ticket.reference)
    items = re.findall(r"<li>(.*?)</li>", html[html.index('class="desk-articles"'):], re.S)
    assert len([i for i in items if "opened</strong>" in i]) == 1
    assert len([i for i in items if "offered, not opened" in i]) == len(offered) - 1
    assert "href=\"/en/" in items[0]  # linked to the article the shopper read


def test_photos_are_served_to_staff_from_the_uploads_folder(app: Flask, agent: FlaskClient,
                                                            demo: dict) -> None:
    ticket, _ = open_return("A1002", exception=True)
    uploads = Path(app.config["UPLOADS_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "f00d.png").write_bytes(b"\x89PNG fake pixels")
    photo = Attachment(ticket_id=ticket.id, filename="f00d.png", mime="image/png", size=16)
    db.session.add(photo)
    db.session.commit()
    html = _page(agent, ticket.reference)
    url = f"/desk/tickets/{ticket.reference}/photos/{photo.id}"
    assert f'src="{url}"' in html and 'alt="Shopper photo 1 of 1"' in html
    with agent.get(url) as response:
        assert response.status_code == 200
        assert response.data == b"\x89PNG fake pixels"
        assert response.mimetype == "image/png"
        assert response.headers["Cache-Control"] == "private, no-store"
    assert "/static/" not in url


def test_a_photo_is_only_served_under_its_own_ticket(app: Flask, agent: FlaskClient,
                                                     demo: dict) -> None:
    mine, _ = open_return("A1002", exception=True)
    other, _ = open_return("A1001")
    uploads = Path(app.config["UPLOADS_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "beef.jpg").write_bytes(b"jpeg")
    photo = Attachment(ticket_id=mine.id, filename="beef.jpg", mime="image/jpeg", size=4)
    sneaky = Attachment(ticket_id=other.id, filename="../kb.sqlite3", mime="image/jpeg", size=4)
    db.session.add_all([photo, sneaky])
    db.session.commit()
    assert agent.get(f"/desk/tickets/{other.reference}/photos/{photo.id}").status_code == 404
    assert agent.get(f"/desk/tickets/{other.reference}/photos/{sneaky.id}").status_code == 404
    assert agent.get(f"/desk/tickets/{mine.reference}/photos/999").status_code == 404


def test_an_unknown_ticket_is_not_found(agent: FlaskClient, demo: dict) -> None:
    assert agent.get("/desk/tickets/R-NOPE99").status_code == 404


def test_the_page_works_in_french(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1018", lang="fr")
    sign_in(client, "agent")
    response = client.get(f"/desk/tickets/{ticket.reference}",
                          headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_invisible_and_reversing_characters_never_reach_the_desk(agent: FlaskClient, demo: dict) -> None:
    from datetime import timedelta

    from tests.desk.conftest import add_order

    delivered = (demo["now"] - timedelta(days=2)).isoformat()
    add_order("C5001", demo, delivered_at=delivered, seller="Shady\u202eSeller", channel="marketplace", items=[
        {"sku": "MUG", "name": "Mug \u202egpj.exe\u202c with\u200b zero\u2066width", "category": "home",
         "quantity": 1, "unit_price": "10.00"}])
    ticket, _token = open_return("C5001", [("MUG", 1, "wrong_size", "unopened")], note="hi\u2067 there\u200d")
    page = agent.get(f"/desk/tickets/{ticket.reference}").get_data(as_text=True)
    assert "gpj.exe" in page and "Mug" in page
    for char in ("\u202e", "\u202c", "\u200b", "\u2066", "\u2067", "\u200d"):
        assert char not in page, repr(char)
