"""Precision on the real articles: questions no article answers find nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from kb.search import search_articles

OFF_TOPIC = Path(__file__).with_name("off_topic_queries.tsv")


def off_topic_queries() -> list[tuple[str, str]]:
    """(lang, query) of each line of the off-topic file."""
    out = []
    for line in OFF_TOPIC.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, query = line.split("\t")
            out.append((lang, query))
    return out


def test_the_off_topic_set_covers_both_languages() -> None:
    queries = off_topic_queries()
    assert len(queries) >= 40
    assert min(sum(lang == code for lang, _ in queries) for code in ("en", "fr")) >= 20


def test_nine_off_topic_questions_in_ten_find_nothing(content_app: Flask) -> None:
    found = {
        (lang, query): result.total
        for lang, query in off_topic_queries()
        if (result := search_articles(query, lang)).total
    }
    share_empty = 1 - len(found) / len(off_topic_queries())
    assert share_empty >= 0.9, f"{share_empty:.0%} find nothing; these found some: {found}"


@pytest.mark.parametrize(
    ("query", "lang"),
    [("best pizza recipe", "en"), ("football scores tonight", "en"),
     ("java developer salary", "en"), ("recette du gâteau au chocolat", "fr")],
)
def test_unrelated_words_are_not_corrected_into_returns_words(
    content_app: Flask, query: str, lang: str
) -> None:
    result = search_articles(query, lang)
    assert (result.total, result.suggestion) == (0, None)


def test_snippets_read_as_text_after_the_html_is_flattened(content_app: Flask) -> None:
    # Links and emphasis end right before punctuation in the articles ("see <a>exchanges</a>."):
    # flattened, that left "exchanges ." and "methods .…" in the snippets.
    snippets = [hit.snippet
                for lang, query in [("en", "refund"), ("en", "return"), ("en", "order"),
                                    ("en", "contact"), ("fr", "retour"), ("fr", "remboursement")]
                for hit in search_articles(query, lang, limit=30).hits]
    assert len(snippets) > 40
    texts = [re.sub(r"</?mark>", "", s) for s in snippets]
    loose = [t for t in texts if re.search(r"\w [,.)]|\( |\.…", t)]
    assert loose == []
