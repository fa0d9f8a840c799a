"""The returns assistant as a new shopper meets it: one designed assistant, steps in the URL, a real label."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import zxingcpp
from babel.dates import format_date
from PIL import Image
from playwright.sync_api import expect

from tests.browser.assistant_paths import to_answers_with_javascript

CM = 96 / 2.54  # CSS pixels in a centimetre


def open_return(page: Any, base: str, number: str, email: str, sku: str, method: str = "carrier",
                resolution: str = "refund", reason: str = "changed_mind") -> dict[str, Any]:
    """A return created through the JSON API, as the one-page assistant does; returns its answer."""
    found = page.request.post(f"{base}/api/v1/returns/lookup", data={"order_number": number, "email": email})
    session = found.json()["session"]
    items = [{"sku": sku, "quantity": 1, "reason": reason, "condition": "unopened"}]
    assert page.request.post(f"{base}/api/v1/returns/options", data={"session": session, "items": items}).ok
    created = page.request.post(f"{base}/api/v1/returns", data={
        "session": session, "items": items, "resolution": resolution, "method": method})
    assert created.status == 201, created.text()
    return created.json()


def decoded(page: Any) -> set[tuple[Any, str]]:
    """Every barcode and QR code a scanner reads on a screenshot of the page."""
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    return {(found.format, found.text) for found in zxingcpp.read_barcodes(shot)}


def test_start_a_return_in_the_footer_opens_the_one_page_assistant(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    page.goto(f"{base}/en/articles/return-window")
    page.locator("footer").get_by_role("link", name="Start a return").click()
    page.wait_for_url(f"{base}/en/returns/start")
    expect(page.locator("#wizard-app #wapp-heading")).to_have_text("Find your order")
    expect(page.locator("#wizard-app .wapp-step")).to_be_visible()
    expect(page.locator("#order_number")).to_have_count(0)  # the page-per-step form gave way


def test_back_forward_and_reload_keep_the_step_and_the_choices(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    page.goto(f"{base}/en/returns/start")
    app = page.locator("#wizard-app")
    heading = app.locator("#wapp-heading")
    app.locator("#wapp-order-number").fill("A1003")
    app.locator("#wapp-email").fill("ana@example.com")
    app.locator("button[type=submit]").click()
    expect(heading).to_have_text("What would you like to return?")
    assert page.url.endswith("/en/returns/start?step=items")
    app.locator("#wapp-pick-SNEAK-42-WHITE").check()
    app.locator("#wapp-reason-SNEAK-42-WHITE").select_option("wrong_size")
    app.locator("#wapp-condition-SNEAK-42-WHITE").select_option("like_new")

    page.reload()  # the choices made so far come back
    expect(heading).to_have_text("What would you like to return?")
    expect(app.locator("#wapp-pick-SNEAK-42-WHITE")).to_be_checked()
    expect(app.locator("#wapp-reason-SNEAK-42-WHITE")).to_have_value("wrong_size")
    expect(app.locator("#wapp-condition-SNEAK-42-WHITE")).to_have_value("like_new")
    app.locator("button[type=submit]").click()
    expect(heading).to_have_text("Here is what you can do")
    assert page.url.endswith("?step=answers")

    page.go_back()
    expect(heading).to_have_text("What would you like to return?")
    expect(app.locator("#wapp-reason-SNEAK-42-WHITE")).to_have_value("wrong_size")
    page.go_forward()
    expect(heading).to_have_text("Here is what you can do")
    page.reload()
    expect(heading).to_have_text("Here is what you can do")
    expect(app).to_contain_text("Leather sneakers, white, 42")


def test_a_step_link_opened_elsewhere_says_why_it_starts_over(live_server: dict[str, Any], page: Any) -> None:
    page.goto(f"{live_server['url']}/en/returns?step=confirm")
    expect(page.locator("#wapp-heading")).to_have_text("Find your order")
    expect(page.locator("#wapp-error")).to_contain_text("kept only in the tab where you started it")


def test_a_receiptless_return_over_the_limit_says_it_goes_to_an_agent(live_server: dict[str, Any], page: Any) -> None:
    page.goto(f"{live_server['url']}/fr/returns/start")
    app = page.locator("#wizard-app")
    app.get_by_label("Pas de reçu", exact=False).check()
    app.locator("#wapp-transaction-id").fill("P01-5550123-9988776")
    to_answers_with_javascript(app, "leo@example.fr", "BOOTS-39-BROWN", "changed_mind", "unopened")
    app.locator(".wapp-actions .button-primary").click()
    review = app.locator("#wapp-review")
    expect(review).to_contain_text("100,00 €")  # the limit, in the French way
    expect(app.locator(".wapp-actions .button-primary")).to_have_text("Envoyer pour vérification")


def test_the_label_prints_with_codes_that_scan(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    created = open_return(page, base, "A1010", "oliver@example.co.uk", "LAMP-OAK")
    reference = created["reference"]
    page.goto(created["slip_url"])
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    label = page.locator(".label")
    expect(label).to_contain_text("Returns centre")
    expect(label).to_contain_text("8 rue des Entrepôts")
    expect(label).to_contain_text("Colissimo")
    expect(label).to_contain_text("Oak table lamp")
    expect(label).not_to_contain_text("LAMP-OAK")
    # Approved now: the shop's today plus the policy's ship_back_within_days (14).
    return_by = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=14)
    expect(label.locator(".label-by")).to_have_text(f"Return by {format_date(return_by, 'long', locale='en')}")
    qr_width = label.locator(".label-qr svg").evaluate("svg => svg.getBoundingClientRect().width")
    assert qr_width >= 3 * CM
    codes = decoded(page)
    assert (zxingcpp.BarcodeFormat.Code128, reference) in codes
    assert (zxingcpp.BarcodeFormat.QRCode, reference) in codes
    # Chromium's own print: the label fits on one A4 page.
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1


def test_a_dropoff_label_has_a_code_for_the_counter(live_server: dict[str, Any], page: Any) -> None:
    base = live_server["url"]
    created = open_return(page, base, "A1011", "maya@example.com", "KETTLE-1.7", method="dropoff")
    page.goto(created["slip_url"])
    counter = page.locator(".label-dropoff")
    expect(counter).to_contain_text("No printer?")
    texts = {text for _format, text in decoded(page)}
    assert any(text.startswith(f"RETURN {created['reference']}\nColissimo\nReturns centre") for text in texts)
    page.emulate_media(media="print")
    expect(counter).to_be_hidden()  # a printed label needs no counter code


def test_a_parcel_that_never_arrived_is_reported_not_returned(live_server: dict[str, Any], page: Any) -> None:
    page.goto(f"{live_server['url']}/en/returns")
    app = page.locator("#wizard-app")
    app.locator("#wapp-order-number").fill("A1013")
    app.locator("#wapp-email").fill("ana@example.com")
    app.locator("button[type=submit]").click()
    app.locator("#wapp-pick-THROW-WOOL").check()
    expect(app.locator("#wapp-condition-THROW-WOOL")).to_be_visible()
    app.locator("#wapp-reason-THROW-WOOL").select_option("not_received")
    expect(app.locator("#wapp-condition-THROW-WOOL")).to_be_hidden()  # no condition to tell
    app.locator("button[type=submit]").click()
    expect(app.get_by_role("button", name="Report it as not received")).to_be_visible()
    expect(app.get_by_role("button", name="I still want to return it")).to_have_count(0)
