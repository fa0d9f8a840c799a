"""The language switch on an article: its translation, or the other help centre's search."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from kb.articles.files import ArticleFile
from kb.articles.service import create_article
from kb.extensions import db


def publish(lang: str, slug: str, title: str, key: str = "gift-wrap") -> None:
    create_article(
        ArticleFile(key=key, lang=lang, slug=slug, title=title, category="orders", body="Some text.\n"),
        "seed",
        "Seeded",
    )
    db.session.commit()


def switch_link(html: str, lang: str) -> str:
    match = re.search(rf'<li><a href="([^"]+)" lang="{lang}" hreflang="{lang}"', html)
    assert match, html
    return match.group(1).replace("&amp;", "&")


def test_an_article_without_translation_switches_to_the_other_search(client: FlaskClient) -> None:
    publish("en", "gift-wrap", "Gift wrapping & cards")
    html = client.get("/en/articles/gift-wrap").get_data(as_text=True)
    target = switch_link(html, "fr")
    assert target == "/fr/search?q=Gift+wrapping+%26+cards"
    assert client.get(target).status_code == 200
    assert switch_link(html, "en") == "/en/articles/gift-wrap"
    assert 'hreflang="fr" href="http' not in html  # no alternate announced for a missing page


def test_an_article_with_a_translation_switches_to_it(client: FlaskClient) -> None:
    publish("en", "gift-wrap", "Gift wrapping")
    publish("fr", "paquet-cadeau", "Paquet cadeau")
    html = client.get("/en/articles/gift-wrap").get_data(as_text=True)
    assert switch_link(html, "fr") == "/fr/articles/paquet-cadeau"


def test_the_switch_ignores_the_query_string_of_the_article(client: FlaskClient) -> None:
    publish("fr", "paquet-cadeau", "Paquet cadeau")
    html = client.get("/fr/articles/paquet-cadeau?evil=%22x").get_data(as_text=True)
    assert switch_link(html, "en") == "/en/search?q=Paquet+cadeau"
