"""Searches no article answers are the knowledge gaps the writers see."""

from __future__ import annotations

from flask import Flask

from kb.buffers import flush_all
from kb.insights.period import Period
from kb.insights.reports import gaps_report
from kb.types import utcnow


def test_a_search_only_weak_matches_answered_counts_as_a_gap(content_app: Flask) -> None:
    client = content_app.test_client()
    # Before, "best pizza recipe" found an article through "rest" (a far correction of
    # "best"): a result nobody opened, not a gap.
    client.get("/en/search?q=best+pizza+recipe")
    client.get("/en/search?q=cancel+my+order")
    flush_all()
    today = utcnow().date()
    report = gaps_report(Period(today, today))
    assert [(row["key"], row["lang"]) for row in report["no_results"]] == [
        ("best pizza recipe", "en")]
    assert [row["key"] for row in report["not_opened"]] == ["cancel my order"]
