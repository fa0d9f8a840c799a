"""No page scrolls sideways on a 390 px phone: every HTML route, shopper and staff, in both languages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kb.articles.models import Article
from kb.desk.saved_replies import save_reply
from kb.extensions import db
from kb.orders.records import import_orders
from tests.browser.conftest import sign_in

PHONE = {"width": 390, "height": 844}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
# GET routes that answer no HTML page, or only redirect to one that is visited anyway.
NOT_HTML = {
    "static", "health.healthz", "contact.read", "articles.robots", "articles.sitemap", "embed.loader",
    "api-docs.openapi_json",
    "insights.report_csv", "desk.photo", "wizard.read", "articles.root",
    "articles_api.list_articles", "articles_api.get_article", "insights_api.report", "returns_api.show",
    "search_api.search_api", "search_api.suggest", "desk_api.tickets", "desk_api.ticket",
    "orders_api.get_order", "catalogue_api.ProductResource", "studio.search_words_file", "web.csrf_token",
}
REPORTS = ("reasons", "self_help", "money", "gaps", "articles")


class Visits:
    """Pages visited at phone width, by endpoint, and the ones that scroll sideways."""

    def __init__(self) -> None:
        self.endpoints: set[str] = set()
        self.too_wide: list[str] = []

    def check(self, page: Any, endpoint: str, url: str | None = None) -> None:
        """Open ``url`` (or measure the page as it is) and note whether it is wider than the screen."""
        if url is not None:
            page.goto(url)
        page.wait_for_load_state("load")
        self.endpoints.add(endpoint)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.too_wide.append(f"{page.url} ({endpoint}): {width}px")


def open_return(page: Any, base: str, number: str, email: str, sku: str, lang: str) -> dict[str, Any]:
    """A return through the JSON API: its reference, status and label links."""
    found = page.request.post(f"{base}/api/v1/returns/lookup",
                              data={"order_number": number, "email": email, "lang": lang})
    session = found.json()["session"]
    items = [{"sku": sku, "quantity": 1, "reason": "wrong_size", "condition": "unopened"}]
    page.request.post(f"{base}/api/v1/returns/options", data={"session": session, "items": items})
    created = page.request.post(f"{base}/api/v1/returns", data={
        "session": session, "items": items, "resolution": "exchange", "method": "dropoff",
        "exchange_variant": "une taille plus grande, en bleu marine foncé" if lang == "fr" else "one size up, navy"})
    assert created.status == 201, created.text()
    return created.json()


def shopper_pages(page: Any, base: str, lang: str, visits: Visits) -> dict[str, Any]:
    """Every shopper page, the one-page assistant's steps and the page-per-step ones."""
    for endpoint, path in (
        ("articles.home", f"/{lang}/"), ("articles.article", f"/{lang}/articles/return-window"),
        ("articles.vote_page", f"/{lang}/articles/return-window/vote?helpful=no"),
        ("articles.category", f"/{lang}/categories/returning"), ("returns.hub", f"/{lang}/returns"),
        ("search.results", f"/{lang}/search?q=refund"), ("search.results", f"/{lang}/search?q=zzqxv"),
        ("embed.page", f"/embed/{lang}"), ("auth.login", "/login"),
        ("errors", f"/{lang}/articles/no-such-article"),
    ):
        visits.check(page, endpoint, base + path)
    # The one-page assistant at each step, on the start page (A1003: a final-sale badge).
    visits.check(page, "wizard.start", f"{base}/{lang}/returns/start")
    app = page.locator("#wizard-app")
    app.locator("#wapp-order-number").fill("A1003")
    app.locator("#wapp-email").fill("ana@example.com")
    app.locator("button[type=submit]").click()
    app.locator("#wapp-pick-DRESS-38-GREEN").wait_for()
    app.locator("#wapp-pick-DRESS-38-GREEN").check()
    visits.check(page, "wizard-app.items")
    created = open_return(page, base, "A1001" if lang == "en" else "A1018",
                          "ana@example.com" if lang == "en" else "camille@example.fr",
                          "TEE-M-BLUE" if lang == "en" else "JEANS-32-INDIGO", lang)
    visits.check(page, "wizard.status", created["status_url"])
    visits.check(page, "wizard.slip", created["slip_url"])
    return created


def page_per_step(browser: Any, base: str, lang: str, visits: Visits) -> None:
    """The no-JavaScript assistant, step by step (its pages need the wizard's session cookie)."""
    context = browser.new_context(viewport=PHONE, locale=LOCALES[lang], java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/{lang}/returns/start")
    visits.check(page, "wizard.start")
    page.fill("#order_number", "A1003")
    page.fill("#email", "ana@example.com")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/{lang}/returns/items")
    visits.check(page, "wizard.items")
    page.check("#pick-DRESS-38-GREEN")
    page.select_option("#reason-DRESS-38-GREEN", "changed_mind")
    page.select_option("#condition-DRESS-38-GREEN", "unopened")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/{lang}/returns/help")
    visits.check(page, "wizard.help")
    visits.check(page, "wizard.confirm", f"{base}/{lang}/returns/confirm?exception=1")
    visits.check(page, "resend.form", f"{base}/{lang}/returns/resend")
    visits.check(page, "resend.sent", f"{base}/{lang}/returns/resend/sent")
    # The contact form: the question, the answers offered, the confirmation.
    visits.check(page, "contact.ask", f"{base}/{lang}/contact")
    page.fill("#subject", "Une question sur ma commande" if lang == "fr" else "A question about my order")
    page.fill("#message", "Where is my refund for the jeans I sent back last week? " * 3)
    page.fill("#email", "ana@example.com")
    page.click("main form.form button[type=submit]")
    page.wait_for_url(f"{base}/{lang}/contact/answers")
    visits.check(page, "contact.answers")
    page.click(f"form[action='/{lang}/contact/send'] button[type=submit]")
    page.wait_for_url(f"{base}/{lang}/contact/sent")
    visits.check(page, "contact.sent")
    context.close()


def staff_pages(page: Any, base: str, app: Any, reference: str, visits: Visits, password: str) -> None:
    """Every staff page, signed in as an administrator (who may open them all)."""
    sign_in(page, base, "admin@example.com", password)
    visits.check(page, "auth.staff_home")
    with app.test_request_context():
        article_id = db.session.scalar(select(Article.id).where(Article.lang == "fr").limit(1))
        reply = save_reply(None, "fr", "Étiquette", "Voici votre étiquette de retour.", "admin@example.com")
        # An item no mapping rule matches, with long words, for the unmapped products page.
        report = import_orders([{
            "number": "N1", "email": "ana@example.com", "placed_at": "2026-11-01T10:00:00Z", "channel": "online",
            "currency": "EUR", "items": [{"sku": "CANAPE-TROIS-PLACES-VELOURS-VERT-SAPIN", "name": "Canapé",
                                          "product_type": "Canapés et fauteuils d'intérieur en velours",
                                          "tags": ["collection-automne-hiver-2026-edition-limitee"],
                                          "vendor": "Manufacture française du meuble", "quantity": 1,
                                          "unit_price": "900.00"}]}])
        assert not report.errors, report.errors
        db.session.commit()
        reply_id = reply.id
    paths = [
        ("desk.queue", "/desk"), ("desk.ticket", f"/desk/tickets/{reference}"), ("desk.webhooks", "/desk/webhooks"),
        ("desk.users", "/desk/admin/users"), ("desk.tokens", "/desk/admin/tokens"), ("insights.index", "/insights"),
        ("desk.replies", "/desk/admin/replies"), ("desk.edit_reply", f"/desk/admin/replies/{reply_id}"),
        ("desk.unmapped", "/desk/admin/unmapped"),
        ("studio.index", "/studio"), ("studio.new", "/studio/new"), ("studio.edit", f"/studio/{article_id}/edit"),
        ("studio.history", f"/studio/{article_id}/history"), ("studio.diff", f"/studio/{article_id}/diff"),
        ("studio.delete", f"/studio/{article_id}/delete"), ("studio.search_words", "/studio/search-words"),
    ] + [("insights.report", f"/insights/{report}") for report in REPORTS]
    for endpoint, path in paths:
        visits.check(page, endpoint, base + path)


def test_no_page_is_wider_than_a_phone(live_server: dict[str, Any], browser: Any) -> None:
    base, app = live_server["url"], live_server["app"]
    visits = Visits()
    for lang, locale in LOCALES.items():
        context = browser.new_context(viewport=PHONE, locale=locale)
        page = context.new_page()
        page.set_default_timeout(15_000)
        created = shopper_pages(page, base, lang, visits)
        page_per_step(browser, base, lang, visits)
        staff_pages(page, base, app, created["reference"], visits, live_server["password"])
        context.close()
    html_routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    assert html_routes - NOT_HTML <= visits.endpoints, "a new page: add it to this test"
    assert visits.too_wide == [], "\n".join(visits.too_wide)
