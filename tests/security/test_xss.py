"""No text from a writer, a shopper or an order can run script in anyone's browser."""

from __future__ import annotations

import html.parser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.articles.rendering import render
from tests.returns.helpers import create, item, lookup, options
from tests.security.xss_payloads import PAYLOADS

EVENT_ATTRIBUTES = ("onload", "onerror", "onclick", "onmouseover", "onfocus", "ontoggle", "onstart",
                    "onbegin")
# Tags that load or run something by themselves; others only matter with an event attribute.
DANGEROUS_TAGS = {"iframe", "object", "embed", "base", "style", "isindex", "applet", "frame"}


class _LiveMarkup(html.parser.HTMLParser):
    """Collects markup that would run: scripts of ours excepted, by their exact src."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        values = {name: (value or "") for name, value in attrs}
        ours = values.get("type") in ("application/ld+json", "application/json") or values.get(
            "src", "").startswith("/static/")
        if tag == "script" and not ours:
            self.found.append(f"<script {values}>")
        if tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name in names:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
        for name in ("href", "src", "action", "formaction", "background", "xlink:href"):
            value = values.get(name, "").strip().lower().replace("\t", "").replace("\n", "")
            if value.startswith(("javascript:", "data:text/html", "vbscript:")):
                self.found.append(f"{tag} {name}={value[:30]}")
        if "style" in names and ("expression(" in values["style"] or "javascript:" in values["style"]):
            self.found.append(f"{tag} style")


def live_markup(page: str) -> list[str]:
    """Script-running markup in a page, beyond the site's own."""
    parser = _LiveMarkup()
    parser.feed(page)
    parser.close()
    # Our own pages legitimately contain forms, links, meta tags and the QR svg.
    return [f for f in parser.found if not f.startswith(("<link", "<meta", "<form", "<svg"))]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_from_writers_is_sanitized(payload: str) -> None:
    body = render(f"Intro\n\n{payload}\n\n## Heading {payload}\n\nText {payload}", "en", {})
    assert live_markup(body.html) == []


def test_article_title_tags_and_body_are_safe_on_every_public_page(app: Flask, client: FlaskClient) -> None:
    from kb.articles.files import ArticleFile
    from kb.articles.service import create_article
    from kb.extensions import db
    from kb.search import rebuild_index

    for n, payload in enumerate(PAYLOADS):
        create_article(ArticleFile(key=f"xss-{n}", lang="en", slug=f"xss-{n}", title=f"Refund {payload}",
                                   category="refunds", tags=[payload[:60]], status="published",
                                   summary=f"Refund {payload}"[:300], body=f"Refund body {payload}"), "t", "t")
    db.session.commit()
    rebuild_index()
    pages = ["/en/", "/en/categories/refunds", "/en/search?q=refund", "/sitemap.xml"]
    pages += [f"/en/articles/xss-{n}" for n in range(len(PAYLOADS))]
    for path in pages:
        page = client.get(path).get_data(as_text=True)
        assert live_markup(page) == [], path
    api = client.get("/api/v1/search?q=refund&lang=en&limit=50").get_json()
    for hit in api["results"]:
        assert live_markup(hit["snippet"]) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_query_echoed_on_the_results_page_is_escaped(client: FlaskClient, payload: str) -> None:
    page = client.get("/en/search", query_string={"q": payload}).get_data(as_text=True)
    assert live_markup(page) == []


def test_shopper_notes_replies_and_item_names_are_escaped(content_app: Flask, demo: dict[str, Any]) -> None:
    from sqlalchemy import select

    from kb.extensions import db
    from kb.orders.models import OrderItem

    shop = content_app.test_client()
    for order_item in db.session.scalars(select(OrderItem)):
        order_item.name = PAYLOADS[order_item.id % len(PAYLOADS)]
    db.session.commit()
    session = lookup(shop)
    note = " ".join(PAYLOADS[:20])
    options(shop, session, [item("TEE-M-BLUE")], note=note)
    body = create(shop, session, [item("TEE-M-BLUE")], note=note).get_json()
    reference, token = body["reference"], body["token"]
    for payload in PAYLOADS:
        shop.post(f"/api/v1/returns/{reference}/messages?token={token}", json={"message": payload})
    status = shop.get(f"/en/returns/status/{reference}?token={token}").get_data(as_text=True)
    slip = shop.get(f"/en/returns/status/{reference}/slip?token={token}").get_data(as_text=True)
    assert live_markup(status) == []
    assert live_markup(slip) == []
    # The HTML wizard shows the item names too.
    shop.post("/en/returns/start", data={"mode": "number", "order_number": "A1003", "email": "ana@example.com"})
    assert live_markup(shop.get("/en/returns/items").get_data(as_text=True)) == []


def test_the_detector_itself_finds_live_markup() -> None:
    assert live_markup("<p><img src=x onerror=alert(1)></p>")
    assert live_markup('<a href="javascript:alert(1)">x</a>')
    assert live_markup("<script>alert(1)</script>")
    assert not live_markup("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
