"""The search page and box: what a shopper sees when no article answers, and suggestions."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.mark.parametrize(
    ("lang", "query", "contact"),
    [("en", "best pizza recipe", "Contact us"), ("fr", "recette de soupe à l'oignon", "Contactez-nous")],
)
def test_a_question_no_article_answers_offers_the_assistant_and_the_contact_page(
    content_app: Flask, lang: str, query: str, contact: str
) -> None:
    html = content_app.test_client().get(f"/{lang}/search", query_string={"q": query}).get_data(
        as_text=True)
    empty = html[html.index('class="empty"'):]
    assert f'<a href="/{lang}/contact">{contact}</a>' in empty
    assert f'<a href="/{lang}/returns/start">' in empty  # the returns assistant
    assert '<ol class="results"' not in html


def test_a_question_an_article_answers_lists_it_without_the_fallbacks(content_app: Flask) -> None:
    html = content_app.test_client().get("/en/search?q=cancel+my+order").get_data(as_text=True)
    assert '<ol class="results"' in html and "/en/contact" not in html


def test_the_search_box_suggests_through_a_typo_and_its_own_example(content_app: Flask) -> None:
    client = content_app.test_client()
    for typed, lang, key in [("refnud", "en", "refund-timing"), ("my parcel nev", "en", "item-not-received"),
                             ("echange tai", "fr", "exchange")]:
        found = client.get("/api/v1/suggest", query_string={"q": typed, "lang": lang}).get_json()
        assert key in [s["key"] for s in found["suggestions"]], (typed, found)
