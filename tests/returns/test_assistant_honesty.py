"""What the assistant promises before the shopper confirms, and what the status page and label say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.extensions import db
from kb.tickets.models import Ticket
from tests.desk.conftest import sign_in
from tests.returns.helpers import create, item, lookup, options

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A browser-like client of an app with articles and demo orders."""
    return content_app.test_client()


def _to_confirm(shop: FlaskClient, number: str, email: str, sku: str, reason: str,
                condition: str = "unopened", lang: str = "en", mode: str = "number") -> None:
    field = "order_number" if mode == "number" else "transaction_id"
    found = shop.post(f"/{lang}/returns/start", data={"mode": mode, field: number, "email": email})
    assert found.status_code == 302, found.get_data(as_text=True)
    chosen = shop.post(f"/{lang}/returns/items", data={
        f"pick-{sku}": "1", f"qty-{sku}": "1", f"reason-{sku}": reason, f"condition-{sku}": condition})
    assert chosen.status_code == 302, chosen.get_data(as_text=True)


def test_a_receiptless_return_over_the_limit_is_announced_as_a_review(shop: FlaskClient) -> None:
    _to_confirm(shop, "P01-5550123-9988776", "leo@example.fr", "BOOTS-39-BROWN", "changed_mind", mode="transaction")
    page = shop.get("/en/returns/confirm").get_data(as_text=True)
    assert "An agent will check this return before it is approved" in page
    assert "Without a receipt, returns worth more than €100.00 are checked by an agent." in page
    assert ">Send for review</button>" in page and "Confirm my return" not in page
    # The notice comes before the button it explains.
    assert page.index("review-notice") < page.index(">Send for review<")


def test_a_return_within_policy_is_confirmed_without_a_review_notice(shop: FlaskClient) -> None:
    _to_confirm(shop, "A1001", "ana@example.com", "TEE-M-BLUE", "changed_mind")
    page = shop.get("/en/returns/confirm").get_data(as_text=True)
    assert ">Confirm my return</button>" in page and "review-notice" not in page


def test_an_exception_estimate_applies_only_if_granted(shop: FlaskClient) -> None:
    _to_confirm(shop, "A1002", "ana@example.com", "THROW-WOOL", "changed_mind")
    page = shop.get("/en/returns/confirm?exception=1&resolution=refund&method=carrier").get_data(as_text=True)
    assert "Your estimated refund, if the exception is granted" in page
    assert "This applies only if an agent grants the exception." in page
    assert "You are asking for an exception to our returns policy." in page
    assert ">Send for review</button>" in page


def test_a_repair_shows_no_refund_of_zero(shop: FlaskClient) -> None:
    _to_confirm(shop, "A1006", "ana@example.com", "BLENDER-PRO", "defective", condition="used")
    page = shop.get("/en/returns/confirm").get_data(as_text=True)
    assert "What the repair costs" in page
    assert "Your estimated refund" not in page and "0.00" not in page


def test_an_exchange_asks_for_the_variant_and_the_desk_sees_it(shop: FlaskClient) -> None:
    _to_confirm(shop, "A1001", "ana@example.com", "TEE-M-BLUE", "wrong_size")
    asked = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "exchange", "method": "carrier"})
    assert asked.status_code == 400
    assert "Tell us which size or colour you would like instead." in asked.get_data(as_text=True)
    done = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "exchange", "method": "carrier",
                                                  "exchange_variant": "  size   L, blue "})
    assert done.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.exchange_variant == "size L, blue"
    sign_in(shop, "agent")
    desk = shop.get(f"/desk/tickets/{ticket.reference}").get_data(as_text=True)
    assert "Size or colour wanted" in desk and "size L, blue" in desk


def test_a_parcel_that_never_arrived_is_not_asked_for_its_condition(shop: FlaskClient) -> None:
    shop.post("/en/returns/start", data={"mode": "number", "order_number": "A1013", "email": "ana@example.com"})
    chosen = shop.post("/en/returns/items", data={"pick-THROW-WOOL": "1", "qty-THROW-WOOL": "1",
                                                  "reason-THROW-WOOL": "not_received"})
    assert chosen.status_code == 302
    page = shop.get("/en/returns/help").get_data(as_text=True)
    assert "Report it as not received" in page and "I still want to return it" not in page


def test_the_api_estimate_names_the_review_reasons_and_the_return_keeps_the_variant(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    session = lookup(client, transaction_id="P01-5550123-9988776", number=None, email="leo@example.fr")
    lines = [item("BOOTS-39-BROWN", reason="wrong_size")]
    options(client, session, lines)
    body = {"session": session, "items": lines, "resolution": "refund", "method": "carrier"}
    estimate = client.post("/api/v1/returns/estimate", json=body).get_json()
    assert estimate["review_reasons"] == ["receiptless_over_limit"]
    created = create(client, session, lines, resolution="exchange", exchange_variant="size 40")
    assert created.status_code == 201, created.get_json()
    assert db.session.scalar(select(Ticket.exchange_variant)) == "size 40"


def test_the_status_page_names_products_and_shows_times_in_the_shop_zone(shop: FlaskClient) -> None:
    _to_confirm(shop, "A1018", "camille@example.fr", "JEANS-32-INDIGO", "changed_mind", lang="fr")
    done = shop.post("/fr/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier"})
    status = shop.get(done.headers["Location"]).get_data(as_text=True)
    assert "Jean droit, indigo, 32" in status and "JEANS-32-INDIGO ×" not in status
    assert "(heure d’Europe centrale)" in status
    ticket = db.session.scalar(select(Ticket))
    # The event's time as Paris reads it: an hour (or two, in summer) after UTC.
    local = ticket.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert f"{local:%H:%M}" in status
    assert "€" in status and re.search(r"\d+,\d\d\s€", status)  # "64,05 €", the French way


def _classes_in(text: str) -> set[str]:
    """Class names in class="..." attributes, including the quoted ones inside Jinja expressions."""
    names: set[str] = set()
    for value in re.findall(r'class="((?:[^"{]|\{\{.*?\}\}|\{%.*?%\})*)"', text):
        # The values of "'a' if test else 'b'" expressions (not the values a test compares with).
        names.update(re.findall(r"'([\w -]*)'\s+if\b", value))
        names.update(re.findall(r"\belse\s+\(?'([\w -]*)'", value))
        names.update(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", value).split())
    return {name for part in names for name in part.split()}


def test_every_class_of_the_assistant_pages_has_a_rule() -> None:
    css = (ROOT / "kb/static/kb.css").read_text(encoding="utf-8")
    used: set[str] = set()
    for template in (ROOT / "templates/returns").glob("*.html"):
        used |= _classes_in(template.read_text(encoding="utf-8"))
    script = (ROOT / "kb/static/wizard-app.js").read_text(encoding="utf-8")
    for value in re.findall(r'class: "([^"]+)"', script):
        used.update(value.split())
    for value in re.findall(r"class: `([^`]+)`", script):  # template literals: their words and strings
        used.update(re.sub(r"\$\{.*?\}", " ", value).split())
        used.update(word for text in re.findall(r'"([^"]*)"', value) for word in text.split())
    missing = sorted(name for name in used if not re.search(rf"\.{re.escape(name)}(?![\w-])", css))
    assert missing == []


def test_the_confirmation_email_names_the_products(client: FlaskClient, demo: dict[str, Any]) -> None:
    from kb.mail.models import OutboxMessage

    session = lookup(client)
    lines = [item("TEE-M-BLUE", reason="wrong_size")]
    options(client, session, lines)
    assert create(client, session, lines, resolution="exchange", exchange_variant="size L").status_code == 201
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "email"))
    assert "- Organic tee, blue, M × 1" in body and "TEE-M-BLUE" not in body
    assert "Size or colour wanted: size L" in body


@pytest.mark.parametrize("variant", [5, "x" * 121])
def test_a_bad_exchange_variant_is_a_json_error(client: FlaskClient, demo: dict[str, Any], variant: Any) -> None:
    session = lookup(client)
    lines = [item("TEE-M-BLUE", reason="wrong_size")]
    options(client, session, lines)
    refused = create(client, session, lines, resolution="exchange", exchange_variant=variant)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "invalid_exchange_variant"


def test_questions_sent_through_the_contact_form_do_not_make_a_frequent_returner(shop: FlaskClient) -> None:
    from kb.extensions import db
    from kb.policy import load_policy
    from kb.tickets.service import open_question
    from tests.returns.helpers import create, item, lookup, options

    for number in range(load_policy().abuse_max_returns_12m + 2):
        open_question(email="ana@example.com", subject=f"Question {number}", message="Where is my parcel?", lang="en")
    db.session.commit()
    session = lookup(shop)
    options(shop, session, [item("TEE-M-BLUE")])
    response = create(shop, session, [item("TEE-M-BLUE")])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "approved"
