"""Knowledge gaps: the queries searched most often without an answer in a period.

A short period groups its days' rollup rows. A long one would group millions of them (a
query searched every day has a row every day), so it reads the queries in the order of their
totals over every day (``insights_search_gap_total``, never less than their searches in any
period) and counts only those: once the list is full and its last query was searched more
often than the next query's total, no query left can enter it, and the list is the one the
grouping of every row would give (the same SQL orders the queries that can be in it). Counting
reads each query's whole months from their sums (kb.insights.months) and its other days by day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from kb.extensions import db
from kb.insights.help_queries import TOP_QUERIES
from kb.insights.models import SearchGapDay, SearchGapMonth, SearchGapTotal
from kb.insights.months import split
from kb.insights.period import Period

SHORT_PERIOD_DAYS = 31  # up to this, grouping the days' rows is quicker
CANDIDATES = 200  # queries counted together
MAX_CANDIDATES = 4000  # past this many, grouping every row is quicker
LONG_PERIOD_DAYS = 120

Key = tuple[str, str]  # (normalized query, language)


def period_days(model: Any, period: Period) -> list[ColumnElement[bool]]:
    """The rollup rows of the period's days (and language).

    On SQLite a long period hides the day from the planner, which would otherwise take the
    day range of the primary key and sort a year's rows; it then reads the rollup's index that
    is in group order instead (a short period is quicker by its day range).
    """
    day: Any = model.day
    if period.days >= LONG_PERIOD_DAYS and db.engine.dialect.name == "sqlite":
        day = func.coalesce(model.day, model.day)
    conditions = [day >= period.start, day <= period.end]
    if period.lang:
        conditions.append(model.lang == period.lang)
    return conditions


def searches_without_answer(period: Period, opened: bool, limit: int = TOP_QUERIES) -> list[dict]:
    """Searches with no results (``opened=False``) or whose results nobody opened, grouped."""
    kind = "unopened" if opened else "none"
    if period.days > SHORT_PERIOD_DAYS:
        keys = _keys_that_can_rank(period, kind, limit)
        if keys is not None:
            names = sorted({name for name, _lang in keys})
            rows = db.session.execute(_grouped(period, kind).where(
                SearchGapDay.normalized.in_(names))).all()
            return [_row(r) for r in rows if (r.normalized, r.lang) in keys][:limit]
    return [_row(r) for r in db.session.execute(_grouped(period, kind).limit(limit))]


def _grouped(period: Period, kind: str) -> Select[str, str, int, datetime]:
    count = func.sum(SearchGapDay.searches)
    last_seen = func.max(SearchGapDay.last_seen)
    return (
        select(SearchGapDay.normalized, SearchGapDay.lang, count.label("searches"),
               last_seen.label("last"))
        .where(*period_days(SearchGapDay, period), SearchGapDay.kind == kind)
        .group_by(SearchGapDay.normalized, SearchGapDay.lang)
        .order_by(count.desc(), last_seen.desc(), SearchGapDay.normalized, SearchGapDay.lang)
    )


def _row(r: Any) -> dict[str, Any]:
    return {"key": r.normalized, "lang": r.lang, "searches": int(r.searches), "last_seen": r.last}


def _keys_that_can_rank(period: Period, kind: str, limit: int) -> set[Key] | None:
    """The queries that can be in the period's list, or None when too many must be counted."""
    ranked = select(SearchGapTotal.normalized, SearchGapTotal.lang, SearchGapTotal.searches) \
        .where(SearchGapTotal.kind == kind, SearchGapTotal.searches > 0)
    if period.lang:
        ranked = ranked.where(SearchGapTotal.lang == period.lang)
    candidates = db.session.execute(
        ranked.order_by(SearchGapTotal.searches.desc()).limit(MAX_CANDIDATES + 1)).all()
    counted: dict[Key, int] = {}
    for first in range(0, len(candidates), CANDIDATES):
        batch = candidates[first:first + CANDIDATES]
        counted.update(_counts(period, kind, {(c.normalized, c.lang) for c in batch}))
        following = candidates[first + CANDIDATES] if first + CANDIDATES < len(candidates) else None
        best = sorted(counted.values(), reverse=True)[:limit]
        if following is None or (len(best) == limit and best[-1] > following.searches):
            # Every query counted so far that ties with the last place may still take it.
            floor = best[-1] if len(best) == limit else 1
            return {key for key, n in counted.items() if n >= floor}
        if first + CANDIDATES >= MAX_CANDIDATES:
            return None
    return {key for key, n in counted.items() if n > 0}


def _counts(period: Period, kind: str, keys: set[Key]) -> dict[Key, int]:
    """The searches of some queries in the period: their whole months' sums and other days'."""
    names = sorted({name for name, _lang in keys})
    parts = split(period)
    sources: list[Any] = [
        select(SearchGapDay.normalized, SearchGapDay.lang, SearchGapDay.searches)
        .where(SearchGapDay.kind == kind, SearchGapDay.normalized.in_(names), *conditions)
        for conditions in parts.day_rows(SearchGapDay)]
    months = parts.month_rows(SearchGapMonth)
    if months is not None:
        sources.append(select(SearchGapMonth.normalized, SearchGapMonth.lang, SearchGapMonth.searches)
                       .where(SearchGapMonth.kind == kind, SearchGapMonth.normalized.in_(names),
                              *months))
    rows_of = union_all(*sources).subquery()
    rows = db.session.execute(
        select(rows_of.c.normalized, rows_of.c.lang, func.sum(rows_of.c.searches))
        .group_by(rows_of.c.normalized, rows_of.c.lang)).all()
    return {(name, lang): int(n) for name, lang, n in rows if (name, lang) in keys}
