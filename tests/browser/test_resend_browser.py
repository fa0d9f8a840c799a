""""Resend my link" in a real browser: the assistant's button and the cached hub's form, with JavaScript and without."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kb.extensions import db
from kb.mail.models import OutboxMessage

CONFIRMATION = "If an order matches, we've e-mailed its return links to the address on the order."


def _resend_mails(app: Any, recipient: str) -> int:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == recipient,
            OutboxMessage.subject.like("Your return links%") | OutboxMessage.subject.like("Les liens de vos retours%")))
        return len(list(rows))


def _open_return(app: Any, number: str, email: str, sku: str) -> None:
    client = app.test_client()
    found = client.post("/api/v1/returns/lookup", json={"order_number": number, "email": email})
    session = found.get_json()["session"]
    line = {"sku": sku, "quantity": 1, "reason": "wrong_size", "condition": "unopened"}
    assert client.post("/api/v1/returns/options", json={"session": session, "items": [line]}).status_code == 200
    created = client.post("/api/v1/returns", json={"session": session, "items": [line],
                                                   "resolution": "refund", "method": "carrier"})
    assert created.status_code == 201, created.get_json()


@pytest.fixture
def no_script_page(browser: Any) -> Iterator[Any]:
    """A page with JavaScript turned off."""
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_assistant_resends_the_link_of_an_item_already_in_a_return(live_server: dict[str, Any], page: Any) -> None:
    app = live_server["app"]
    _open_return(app, "A1015", "ana@example.com", "DRESS-38-GREEN")
    page.goto(f"{live_server['url']}/en/returns")
    wizard = page.locator("#wizard-app")
    wizard.locator("#wapp-order-number").fill("A1015")
    wizard.locator("#wapp-email").fill("ana@example.com")
    wizard.locator("button[type=submit]").click()
    card = wizard.locator(".wapp-item", has_text="Linen dress")
    expect(card).to_contain_text("Already in a return")
    card.get_by_role("button", name="Resend my link").click()
    expect(card.locator("[role=status]")).to_have_text(CONFIRMATION)
    expect(card.get_by_role("button", name="Resend my link")).to_have_count(0)
    assert _resend_mails(app, "ana@example.com") == 1


def test_the_hub_form_fetches_its_token_and_sends_at_once(live_server: dict[str, Any], page: Any) -> None:
    app = live_server["app"]
    _open_return(app, "A1010", "oliver@example.co.uk", "LAMP-OAK")
    page.goto(f"{live_server['url']}/en/returns")
    form = page.locator("section.hub-resend form")
    assert form.locator("input[name=csrf_token]").count() == 0  # the cached hub holds none
    form.get_by_label("Order number").fill("A1010")
    form.get_by_label("E-mail address used for the order").fill("oliver@example.co.uk")
    form.get_by_role("button", name="Resend my link").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    assert _resend_mails(app, "oliver@example.co.uk") == 1


def test_the_hub_form_works_without_javascript(live_server: dict[str, Any], no_script_page: Any) -> None:
    app = live_server["app"]
    _open_return(app, "A1018", "camille@example.fr", "JEANS-32-INDIGO")
    page = no_script_page
    page.goto(f"{live_server['url']}/fr/returns")
    form = page.locator("section.hub-resend form")
    form.get_by_label("Numéro de commande").fill("A1018")
    form.get_by_label("Adresse e-mail utilisée pour la commande").fill("camille@example.fr")
    form.get_by_role("button", name="Renvoyer mon lien").click()
    # The cached hub holds no token: the form comes back filled in, with one, to send again.
    expect(page.locator("h1")).to_have_text("Renvoyer mon lien")
    expect(page.locator("form [role=status]")).to_contain_text("Rien n'a encore été envoyé")
    expect(page.get_by_label("Numéro de commande")).to_have_value("A1018")
    expect(page.get_by_role("button", name="Renvoyer mon lien")).to_be_focused()
    assert _resend_mails(app, "camille@example.fr") == 0
    page.get_by_role("button", name="Renvoyer mon lien").click()
    expect(page.locator("h1")).to_have_text("Consultez vos e-mails")
    expect(page.locator("[role=status]")).to_contain_text("Si une commande correspond")
    assert _resend_mails(app, "camille@example.fr") == 1


def test_the_assistants_line_resends_without_javascript(live_server: dict[str, Any], no_script_page: Any) -> None:
    app = live_server["app"]
    _open_return(app, "A1016", "leo@example.fr", "BOOTS-39-BROWN")
    page = no_script_page
    page.goto(f"{live_server['url']}/en/returns/start")
    page.get_by_label("Order number").fill("A1016")
    page.get_by_label("E-mail address used for the order").fill("leo@example.fr")
    page.get_by_role("button", name="Find my order").click()
    card = page.locator("fieldset", has_text="Chelsea boots")
    expect(card).to_contain_text("Already in a return")
    # The button sits inside the items form and submits its own form, named by its form attribute.
    card.get_by_role("button", name="Resend my link").click()
    expect(page.locator("[role=status]")).to_have_text(CONFIRMATION)
    assert _resend_mails(app, "leo@example.fr") == 1
