"""A long period's knowledge-gap lists, which count only the queries that can enter them, equal
the lists grouped from every rollup row, whatever the period, language and list length."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from kb.extensions import db
from kb.insights import gap_queries
from kb.insights.models import SearchGapTotal
from kb.insights.period import Period
from kb.insights.refresh import catch_up
from kb.search.models import SearchLog

FIRST = date(2026, 1, 1)
DAYS = 40


def _grouped_from_every_row(period: Period, opened: bool, limit: int) -> list[dict]:
    kind = "unopened" if opened else "none"
    rows = db.session.execute(gap_queries._grouped(period, kind).limit(limit)).all()
    return [gap_queries._row(r) for r in rows]


@pytest.fixture
def searches(app: Flask) -> None:
    """Some queries searched often, most rarely, on forty days, in two languages."""
    rng = random.Random(5)
    for n in range(1500):
        query = f"query {int(150 * rng.random() ** 3)}"
        day = FIRST + timedelta(days=rng.randrange(DAYS))
        # Whole hours: many queries tie on their count and last search, as the order must settle.
        when = datetime(day.year, day.month, day.day, rng.choice((9, 17)), tzinfo=UTC)
        db.session.add(SearchLog(query=query, normalized=query, lang=rng.choice(("en", "fr")),
                                 results=rng.randrange(2), clicked_key=None if n % 3 else "a",
                                 visit_id=f"v{n}", created_at=when))
    db.session.commit()
    catch_up()


@pytest.mark.parametrize("limit", [1, 5, 50])
def test_long_periods_list_what_grouping_every_row_lists(searches: None, limit: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gap_queries, "SHORT_PERIOD_DAYS", 7)  # every period here is "long"
    periods = [Period(FIRST + timedelta(days=start), FIRST + timedelta(days=start + length - 1), lang)
               for start in (0, 3, 17) for length in (8, 15, 40) for lang in (None, "en", "fr")]
    full = 0
    for period in periods:
        for opened in (False, True):
            expected = _grouped_from_every_row(period, opened, limit)
            assert gap_queries.searches_without_answer(period, opened, limit) == expected, period
            full += len(expected) == limit
    assert full > len(periods)  # most lists are full: the pruning had to choose


def test_the_totals_follow_the_daily_rows(searches: None) -> None:
    db.session.add(SearchLog(query="query 1", normalized="query 1", lang="en", results=0,
                             visit_id="late", created_at=datetime(2026, 1, 3, tzinfo=UTC)))
    db.session.commit()
    catch_up()
    total = db.session.scalar(select(SearchGapTotal.searches).where(
        SearchGapTotal.kind == "none", SearchGapTotal.lang == "en",
        SearchGapTotal.normalized == "query 1"))
    expected = len(db.session.scalars(select(SearchLog).where(
        SearchLog.normalized == "query 1", SearchLog.lang == "en", SearchLog.results == 0)).all())
    assert total == expected
