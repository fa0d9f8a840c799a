"""The one-page assistant offers the catalogue's other variants in stock for an exchange."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from kb.catalogue.service import upsert_product, validate_product
from kb.extensions import db
from kb.tickets.models import Ticket
from tests.browser.assistant_paths import to_answers_with_javascript

TEE = {
    "id": "tee", "title": "Organic tee", "options": ["Size"],
    "variants": [
        {"id": "1", "sku": "TEE-S-BLUE", "title": "S, blue", "options": {"Size": "S"}, "stock": 3},
        {"id": "2", "sku": "TEE-M-BLUE", "title": "M, blue", "options": {"Size": "M"}, "stock": 9},
        {"id": "3", "sku": "TEE-L-BLUE", "title": "L, blue", "options": {"Size": "L"}, "stock": 0},
    ],
}


def test_an_exchange_is_chosen_from_the_variants_in_stock(live_server: dict[str, Any], page: Any) -> None:
    with live_server["app"].app_context():
        upsert_product(validate_product(TEE))
        db.session.commit()
    page.goto(f"{live_server['url']}/en/returns")
    app = page.locator("#wizard-app")
    app.locator("#wapp-order-number").fill("A1001")
    to_answers_with_javascript(app, "ana@example.com", "TEE-M-BLUE", "wrong_size", "unopened")
    app.get_by_role("button", name="I still want to return it").click()
    app.get_by_label("Exchange (another size or colour)").check()
    variant = app.get_by_label("Which size or colour would you like instead?")
    expect(variant).to_be_visible()
    # Only what is in stock, and not the size ordered.
    expect(variant.locator("option")).to_have_text(["Choose one", "Organic tee – S, blue"])
    variant.select_option("Organic tee – S, blue")
    app.get_by_role("button", name="Confirm my return").click()
    expect(app).to_contain_text("Approved: waiting for your item")
    with live_server["app"].app_context():
        assert db.session.scalar(select(Ticket.exchange_variant)) == "Organic tee – S, blue"
