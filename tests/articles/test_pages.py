"""Public pages: articles, categories, the hub, the footer link, and what search engines read."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.articles.categories import CATEGORY_CODES

PUBLIC_PAGES = [
    "/en/", "/fr/", "/en/returns", "/fr/returns", "/en/returns/start", "/fr/returns/start",
    "/en/search?q=refund", "/fr/search?q=remboursement", "/en/categories/refunds",
    "/fr/categories/problems", "/en/articles/return-window", "/fr/articles/delai-de-retour",
    "/login",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_the_returns_link_in_its_footer(
    content_client: FlaskClient, path: str
) -> None:
    response = content_client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    footer = html[html.index('<footer class="site-footer">') :]
    lang = "fr" if path.startswith("/fr/") else "en"
    label = "Retours et remboursements" if lang == "fr" else "Returns &(amp;)? refunds"
    assert re.search(rf'<a [^>]*href="/{lang}/returns">{label}</a>', footer)


def test_root_sends_the_visitor_to_their_language(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/fr/")


def test_article_page_shows_body_with_policy_numbers_breadcrumbs_and_translation(
    content_client: FlaskClient,
) -> None:
    html = content_client.get("/en/articles/return-window").get_data(as_text=True)
    assert "<h1>How long do I have to return an item?</h1>" in html
    assert "30 days" in html and "{{" not in html
    assert 'aria-label="Breadcrumb"' in html and "/en/categories/returning" in html
    assert 'hreflang="fr" href="http://kb.test/fr/articles/delai-de-retour"' in html
    assert '<link rel="canonical" href="http://kb.test/en/articles/return-window">' in html
    assert '<meta name="description" content="For a change of mind' in html


def test_french_article_formats_numbers_the_french_way(content_client: FlaskClient) -> None:
    html = content_client.get("/fr/articles/garantie-marketplace").get_data(as_text=True)
    assert "2\u202f500" in html or "2\u00a0500" in html


def test_article_json_ld_describes_the_article(content_client: FlaskClient) -> None:
    html = content_client.get("/en/articles/refund-timing").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "Article" and data["inLanguage"] == "en"


def test_hub_lists_returns_topics_with_faq_json_ld(content_client: FlaskClient) -> None:
    html = content_client.get("/fr/returns").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "FAQPage"
    assert len(data["mainEntity"]) >= 10
    assert "/fr/articles/delai-de-retour" in html
    assert 'role="search"' in html


@pytest.mark.parametrize(("lang", "overview", "condition"), [
    ("en", "/en/articles/returns-policy", "/en/articles/item-condition-and-photos"),
    ("fr", "/fr/articles/politique-de-retour", "/fr/articles/etat-de-l-article-et-photos"),
])
def test_the_hub_opens_with_the_whole_policy_at_a_glance(content_client: FlaskClient, lang: str,
                                                        overview: str, condition: str) -> None:
    html = content_client.get(f"/{lang}/returns").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    title = re.search(rf'href="{overview}">\s*<span class="card-title">([^<]+)</span>', html).group(1)
    assert data["mainEntity"][0]["name"] == title
    assert condition in html


@pytest.mark.parametrize("code", CATEGORY_CODES)
def test_category_pages_list_their_articles(content_client: FlaskClient, code: str) -> None:
    html = content_client.get(f"/en/categories/{code}").get_data(as_text=True)
    assert html.count('class="card"') >= 3


def test_unknown_pages_answer_404_with_a_way_out(content_client: FlaskClient) -> None:
    response = content_client.get("/en/articles/no-such-thing")
    assert response.status_code == 404
    assert "/en/returns" in response.get_data(as_text=True)
    assert content_client.get("/de/articles/return-window").status_code == 404
    assert content_client.get("/en/categories/nope").status_code == 404


def test_vote_is_recorded_once_per_visit(content_app: Flask, content_client: FlaskClient) -> None:
    from sqlalchemy import func, select

    from kb.articles.models import Vote
    from kb.extensions import db

    content_client.get("/en/articles/exchange")
    response = content_client.post("/en/articles/exchange/vote", data={"helpful": "no"})
    assert response.status_code == 302 and "voted=no" in response.headers["Location"]
    content_client.post("/en/articles/exchange/vote", data={"helpful": "yes"})
    votes = db.session.scalars(select(Vote)).all()
    assert len(votes) == 1 and votes[0].helpful is True
    assert content_client.post("/en/articles/exchange/vote", data={"helpful": "maybe"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 1


def test_sitemap_lists_every_published_article_with_alternates(content_client: FlaskClient) -> None:
    xml = content_client.get("/sitemap.xml").get_data(as_text=True)
    assert xml.count("/articles/") >= 42 * 2  # each loc plus its alternates
    assert "http://kb.test/fr/articles/delai-de-retour" in xml
    assert 'hreflang="en" href="http://kb.test/en/articles/return-window"' in xml


def test_robots_points_to_the_sitemap(client: FlaskClient) -> None:
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://kb.test/sitemap.xml" in text
    assert "Disallow: /studio" in text


def test_pages_send_security_headers(content_client: FlaskClient) -> None:
    response = content_client.get("/en/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in csp


def test_every_public_html_route_has_the_footer_returns_link(content_client: FlaskClient, content_app: Flask) -> None:
    """Walks app.url_map, so a new public page cannot forget the footer."""
    from flask import url_for

    staff_rooms = ("studio", "desk", "insights", "auth.staff_home")
    sample = {"lang": "en", "slug": "return-window", "code": "refunds", "key": "return-window"}
    checked = 0
    for rule in content_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith(staff_rooms) or rule.endpoint == "embed.page":
            continue
        if set(rule.arguments) - set(sample):
            continue  # needs a secret (a ticket's token) or a file name: covered elsewhere
        with content_app.test_request_context():
            path = url_for(rule.endpoint, **{name: sample[name] for name in rule.arguments})
        response = content_client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert '<footer class="site-footer">' in html, path
        assert re.search(r'<a [^>]*href="/en/returns">', html[html.index("<footer"):]), path
        checked += 1
    assert checked >= 6  # home, article, category, hub, search, assistant, sign-in…
