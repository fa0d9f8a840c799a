"""axe-core finds no serious or critical violation on the shopper pages, in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def serious_violations(page: Any) -> list[str]:
    """Run axe on the current page; return the serious and critical violations, readable."""
    # Evaluated through the DevTools protocol: the site's CSP (no inline scripts) stays on.
    page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", ["/{lang}/", "/{lang}/returns", "/{lang}/search?q=refund",
                                  "/{lang}/search?q=best+pizza+recipe",
                                  "/{lang}/categories/refunds", "/{lang}/returns/start", "/login"])
def test_public_pages_have_no_serious_violations(live_server: dict[str, Any], page: Any, lang: str, path: str) -> None:
    page.goto(live_server["url"] + path.format(lang=lang))
    assert serious_violations(page) == []


@pytest.mark.parametrize(("lang", "slug"), [("en", "return-window"), ("fr", "delai-de-retour")])
def test_an_article_has_no_serious_violations(live_server: dict[str, Any], page: Any, lang: str, slug: str) -> None:
    page.goto(f"{live_server['url']}/{lang}/articles/{slug}")
    assert serious_violations(page) == []


@pytest.fixture
def page_without_js(page: Any) -> Any:
    """A page where the one-page assistant's script never loads: the page-per-step assistant stays.

    (axe itself needs scripts, so they stay on; only wizard-app.js is refused.)
    """
    page.route("**/static/wizard-app.js", lambda route: route.abort())
    return page


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_wizard_step_has_no_serious_violations(live_server: dict[str, Any], page_without_js: Any,
                                                     lang: str) -> None:
    page = page_without_js
    base = live_server["url"]
    page.goto(f"{base}/{lang}/returns/start")
    assert serious_violations(page) == []
    number, email, sku = {"en": ("A1003", "ana@example.com", "SNEAK-42-WHITE"),
                          "fr": ("A1018", "camille@example.fr", "JEANS-32-INDIGO")}[lang]
    page.fill("#order_number", number)
    page.fill("#email", email)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/returns/items$"))
    assert serious_violations(page) == []
    page.check(f"#pick-{sku}")
    page.select_option(f"#reason-{sku}", "changed_mind")
    page.select_option(f"#condition-{sku}", "unopened")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/returns/help$"))
    assert serious_violations(page) == []
    page.goto(f"{base}/{lang}/returns/confirm")
    assert serious_violations(page) == []
    page.click("button[value=create]")
    page.wait_for_url(re.compile(r".*/returns/status/R-.*"))
    assert serious_violations(page) == []


def test_the_wizard_can_be_completed_with_the_keyboard_alone(live_server: dict[str, Any], page_without_js: Any) -> None:
    page = page_without_js
    base = live_server["url"]
    page.goto(f"{base}/en/returns/start")
    page.focus("#order_number")
    page.keyboard.type("A1010")
    page.keyboard.press("Tab")
    page.keyboard.type("oliver@example.co.uk")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/returns/items$"))
    page.focus("#pick-LAMP-OAK")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # quantity
    page.keyboard.press("Tab")  # reason
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # condition
    page.keyboard.press("ArrowDown")
    assert page.input_value("#reason-LAMP-OAK") == "changed_mind"
    assert page.input_value("#condition-LAMP-OAK") == "unopened"
    page.focus("main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/returns/help$"))
    page.focus("text=I still want to return it")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/returns/confirm$"))
    page.focus("button[value=create]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/returns/status/R-.*"))
    assert "Approved" in page.inner_text("main")


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_studio_editor_and_desk_ticket_have_no_serious_violations(
    live_server: dict[str, Any], browser: Any, locale: str
) -> None:
    from tests.browser.conftest import sign_in

    base = live_server["url"]
    context = browser.new_context(locale=locale)
    page = context.new_page()
    sign_in(page, base, "admin@example.com", live_server["password"])
    page.goto(f"{base}/studio/1/edit")
    assert page.locator("textarea[name=body]").count() == 1
    assert serious_violations(page) == []
    reference = _open_ticket(base, locale)
    page.goto(f"{base}/desk")
    assert serious_violations(page) == []
    page.goto(f"{base}/desk/tickets/{reference}")
    assert reference in page.inner_text("main")
    assert serious_violations(page) == []
    context.close()


def _open_ticket(base: str, locale: str) -> str:
    """A return ticket opened through the API (one order per locale, so each test has its own)."""
    import json
    import urllib.request

    number, email, sku = {"en-GB": ("A1011", "maya@example.com", "KETTLE-1.7"),
                          "fr-FR": ("A1017", "ana@example.com", "LAMP-OAK")}[locale]

    def post(path: str, body: dict) -> dict:
        request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=15) as response:
            return json.loads(response.read())

    session = post("/api/v1/returns/lookup", {"order_number": number, "email": email})["session"]
    line = {"sku": sku, "quantity": 1, "reason": "defective", "condition": "used"}
    post("/api/v1/returns/options", {"session": session, "items": [line], "note": "Stopped working."})
    created = post("/api/v1/returns", {"session": session, "items": [line], "resolution": "refund",
                                       "method": "carrier"})
    return str(created["reference"])
