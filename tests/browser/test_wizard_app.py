"""The single-page returns assistant in a real browser: on the hub, and inside a shop's iframe."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from kb.extensions import db
from kb.orders.models import Order
from kb.returns.models import WizardSession
from kb.tickets.models import Attachment, Ticket


def tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus: it must be reachable with the keyboard."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"#{element_id} cannot be reached with the Tab key")


def watch_errors(page: Any) -> list[str]:
    """Collect script errors and failed-resource messages (CSP refusals among them)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def png() -> bytes:
    """A small photo to attach."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (180, 40, 40)).save(out, "PNG")
    return out.getvalue()


def tickets_for(app: Any, number: str) -> int:
    """How many return tickets an order has."""
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.number == number))
        count = select(func.count()).select_from(Ticket).where(Ticket.order_id == order_id)
        return db.session.scalar(count)


def test_hub_runs_the_whole_return_on_one_page(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    errors = watch_errors(page)
    page.goto(f"{base}/en/returns")
    app = page.locator("#wizard-app")
    heading = app.locator("#wapp-heading")
    expect(heading).to_have_text("Find your order")
    expect(app.locator(".wapp-progress li")).to_have_count(5)
    expect(app.locator(".wapp-progress li[aria-current=step]")).to_contain_text("Find your order")

    # The lookup form with the keyboard alone: Tab to each field, type, Enter submits.
    tab_to(page, "wapp-order-number")
    page.keyboard.type("A1001")
    tab_to(page, "wapp-email")
    page.keyboard.type("ana@example.com")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("What would you like to return?")
    expect(heading).to_be_focused()
    expect(app.locator("[aria-live]")).to_have_text("Step 2 of 5: Items and reason")
    expect(app.locator(".wapp-progress li[aria-current=step]")).to_contain_text("Items and reason")

    # Nothing chosen: the error is shown next to the step and gets the focus.
    page.keyboard.press("Tab")  # from the heading into the form
    app.locator("button[type=submit]").press("Enter")
    expect(app.locator("#wapp-error")).to_have_text("Choose at least one item.")
    expect(app.locator("#wapp-error")).to_be_focused()

    app.locator("#wapp-pick-TEE-M-BLUE").check()
    app.locator("#wapp-reason-TEE-M-BLUE").select_option("wrong_size")
    expect(app.locator("#wapp-photos")).to_be_hidden()  # photos are for faults and damage only
    app.locator("#wapp-condition-TEE-M-BLUE").select_option("unopened")
    app.locator("button[type=submit]").click()

    expect(heading).to_have_text("Here is what you can do")
    expect(heading).to_be_focused()
    expect(app).to_contain_text("free of charge")
    article = app.locator(".wapp-articles a").first
    expect(article).to_have_attribute("target", "_blank")
    expect(article).to_have_attribute("href", f"{base}/en/articles/exchange")
    app.get_by_role("button", name="I still want to return it").click()

    expect(heading).to_have_text("How would you like it sorted?")
    expect(app.locator(".wapp-estimate")).to_contain_text("€")
    expect(app.locator(".wapp-step")).not_to_contain_text("null")
    app.get_by_label("Bring it to one of our stores").check()
    expect(app.locator("#wapp-store")).to_be_visible()
    app.get_by_role("button", name="Confirm my return").click()
    expect(app.locator("#wapp-error")).to_have_text("Please choose one of our stores.")
    app.locator("#wapp-store").select_option("PAR-RIV")
    app.get_by_label("Exchange (another size or colour)").check()
    app.get_by_role("button", name="Confirm my return").click()
    expect(app.locator("#wapp-error")).to_have_text("Tell us which size or colour you would like instead.")
    app.get_by_label("Which size or colour would you like instead?").fill("size L")
    # A double click sends one confirmation, with one Idempotency-Key: one ticket.
    app.get_by_role("button", name="Confirm my return").dblclick()

    expect(heading).to_have_text(re.compile(r"^Return R-[0-9A-Z]{6}$"))
    expect(heading).to_be_focused()
    expect(app).to_contain_text("Approved: waiting for your item")
    expect(app).to_contain_text("Paris Rivoli, 112 rue de Rivoli")
    expect(app.get_by_role("link", name="Open the return slip")).to_have_attribute(
        "href", re.compile(r"/en/returns/status/R-[0-9A-Z]{6}/slip\?token="))
    expect(app.get_by_role("link", name="Follow this return")).to_have_attribute(
        "href", re.compile(r"/en/returns/status/R-[0-9A-Z]{6}\?token="))
    expect(app.locator(".wapp-progress li[aria-current=step]")).to_contain_text("Done")
    expect(app.locator(".wapp-step")).not_to_contain_text("null")
    assert tickets_for(live_server["app"], "A1001") == 1
    # The session token lived in this tab's history only: no storage.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert errors == []


def test_an_expired_session_starts_again_at_the_first_step(
    live_server: dict[str, Any], page: Any
) -> None:
    base = live_server["url"]
    page.goto(f"{base}/en/returns")
    app = page.locator("#wizard-app")
    app.locator("#wapp-order-number").fill("A1003")
    app.locator("#wapp-email").fill("ana@example.com")
    app.locator("button[type=submit]").click()
    expect(app.locator("#wapp-heading")).to_have_text("What would you like to return?")
    with live_server["app"].app_context():  # an hour without activity
        for wizard in db.session.scalars(select(WizardSession)):
            wizard.last_seen_at = wizard.last_seen_at - timedelta(minutes=61)
        db.session.commit()
    app.locator("#wapp-pick-SNEAK-42-WHITE").check()
    app.locator("#wapp-reason-SNEAK-42-WHITE").select_option("changed_mind")
    app.locator("#wapp-condition-SNEAK-42-WHITE").select_option("unopened")
    app.locator("button[type=submit]").click()
    expect(app.locator("#wapp-heading")).to_have_text("Find your order")
    error = app.locator("#wapp-error")
    expect(error).to_have_text("Your returns session has expired. Please find your order again.")
    expect(error).to_be_focused()
    expect(app.locator("#wapp-order-number")).to_have_value("A1003")  # no need to type it again


@pytest.fixture
def shop_site(live_server: dict[str, Any]) -> Iterator[str]:
    """A shop's page on another origin (another host name and port) that embeds the assistant."""
    html = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<title>La boutique</title></head><body><h1>La boutique</h1><p id="before">Retours</p>'
        f'<script src="{live_server["url"]}/embed.js" data-lang="fr"></script>'
        '<p id="after">Fin de la page</p></body></html>'
    ).encode()

    class ShopPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the http.server name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost" while the assistant is on 127.0.0.1: another site, not only another origin.
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_shop_page_embeds_the_assistant_in_french(
    live_server: dict[str, Any], page: Any, shop_site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = live_server["url"]
    monkeypatch.setitem(live_server["app"].config, "EMBED_ORIGINS", shop_site)
    errors = watch_errors(page)
    page.goto(f"{shop_site}/")

    iframe = page.locator("iframe")
    expect(iframe).to_have_attribute("src", f"{base}/embed/fr")
    expect(iframe).to_have_attribute("title", re.compile(r"\w"))
    # Right where the script tag is.
    assert page.evaluate("document.querySelector('script').nextElementSibling.tagName") == "IFRAME"
    assert page.evaluate("document.querySelector('iframe').nextElementSibling.id") == "after"

    frame = page.frame_locator("iframe")
    heading = frame.locator("#wapp-heading")
    expect(heading).to_have_text("Retrouvez votre commande")
    expect(frame.locator("button[type=submit]")).to_have_text("Retrouver ma commande")
    frame.locator("#wapp-order-number").fill("A1018")
    frame.locator("#wapp-email").fill("camille@example.fr")
    frame.locator("button[type=submit]").click()

    expect(heading).to_have_text("Que souhaitez-vous retourner\u202f?")
    frame.locator("#wapp-pick-JEANS-32-INDIGO").check()
    photos = frame.locator("#wapp-photos")
    expect(photos).to_be_hidden()
    frame.locator("#wapp-reason-JEANS-32-INDIGO").select_option("defective")
    frame.locator("#wapp-condition-JEANS-32-INDIGO").select_option("used")
    chosen = frame.locator("#wapp-reason-JEANS-32-INDIGO option:checked")
    expect(chosen).to_have_text("Défectueux ou en panne")
    # A fault: the photo field appears, and the photo goes to the session with its token.
    photos.set_input_files({"name": "couture.png", "mimeType": "image/png", "buffer": png()})
    frame.locator("button[type=submit]").click()

    expect(heading).to_have_text("Voici ce que vous pouvez faire")
    expect(frame.locator(".wapp-articles h3")).to_have_text("Ces réponses peuvent vous aider")
    article = frame.locator(".wapp-articles a").first
    expect(article).to_have_attribute("href", re.compile(r"/fr/articles/"))
    expect(article).to_have_attribute("target", "_blank")
    still = frame.get_by_role("button", name="Je souhaite quand même faire un retour")
    expect(still).to_be_visible()
    with live_server["app"].app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1

    # The iframe took the height its content posted (and embed.js accepted it from the KB origin).
    content = next(f for f in page.frames if f.url.startswith(f"{base}/embed/"))
    deadline = time.monotonic() + 10
    while True:
        wanted = content.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        box = iframe.bounding_box()
        if box and abs(box["height"] - wanted) <= 1:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"iframe is {box} high, its content {wanted}")
        time.sleep(0.1)
    assert errors == []
