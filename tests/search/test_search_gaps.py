"""Searches no article answers are the knowledge gaps the writers see."""

from __future__ import annotations

from flask import Flask

from kb.buffers import flush_all
from kb.insights.period import Period
from kb.insights.reports import build
from kb.search import search_articles
from kb.search.service import _keeper
from kb.types import utcnow


def test_a_search_only_weak_matches_answered_counts_as_a_gap(content_app: Flask) -> None:
    client = content_app.test_client()
    # Before, "best pizza recipe" found an article through "rest" (a far correction of
    # "best"): a result nobody opened, not a gap.
    client.get("/en/search?q=best+pizza+recipe")
    client.get("/en/search?q=cancel+my+order")
    flush_all()
    today = utcnow().date()
    report = build("gaps", Period(today, today))
    assert [(row["key"], row["lang"]) for row in report["no_results"]] == [
        ("best pizza recipe", "en")]
    assert [row["key"] for row in report["not_opened"]] == ["cancel my order"]


def test_the_database_fallback_also_needs_most_of_the_query(content_app: Flask) -> None:
    _keeper().degraded = True  # the index cannot answer: the database does
    _keeper().failed_at = float("inf")
    assert search_articles("cancel my order", "en").hits[0].key == "cancel-order"
    # "for" is in every article: before, a LIKE on any word listed them all.
    assert search_articles("weather forecast for tomorrow", "en").total == 0
