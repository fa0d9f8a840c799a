"""The self-help and knowledge-gap rollups: wizard sessions and unanswered searches per day.

Each rollup is recounted a whole UTC day at a time from the events of that day: the rows of
the days are deleted and written again. A recount reads the events and writes only the
rollups, so doing it twice changes nothing; kb.insights.refresh runs it for the days whose
events changed, ``kb insights rebuild`` for every day, with the very same functions.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnClause, Connection, and_, case, delete, func, insert, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from kb.contact.models import ContactRequest
from kb.insights.models import SearchGapDay, SearchGapMonth, SearchGapTotal, WizardArticleDay, WizardDay
from kb.insights.months import move_months
from kb.insights.sql import day_of, day_range, lock_rollups, upsert_insert
from kb.returns.models import WizardOutcome, WizardSession
from kb.search.models import SearchLog

Key = tuple[Any, tuple[Any, ...]]  # (rollup model, its primary key values)
Getter = Callable[[str], Any]

_COUNT_COLUMN = {WizardDay: "sessions", WizardArticleDay: "sessions"}
# The "reason" a contact form question counts under in the self-help reports.
QUESTION_REASON = "question"


def day_of_moment(moment: datetime) -> date:
    """The UTC day of an instant (naive instants are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def clear_days(connection: Connection, models: Iterable[Any], start: date, end: date) -> None:
    """Delete the rollup rows of the days ``start`` to ``end`` (excluded), before a recount."""
    for model in models:
        connection.execute(delete(model).where(model.day >= start, model.day < end))


def _strings(text: str | None) -> list[str]:
    values = json.loads(text or "[]")
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _first_reason(text: str | None) -> str:
    values = json.loads(text or "[]")
    first = values[0] if isinstance(values, list) and values else None
    reason = first.get("reason") if isinstance(first, dict) else None
    return reason if isinstance(reason, str) else ""


def session_keys(get: Getter) -> list[Key]:
    """The rollup rows a wizard session counts in (its outcome so far, and its articles)."""
    return _self_help_keys(get, _first_reason(get("selection_json")))


def contact_keys(get: Getter) -> list[Key]:
    """The rollup rows a contact form question counts in, as a self-help session of its own."""
    return _self_help_keys(get, QUESTION_REASON)


def _self_help_keys(get: Getter, reason: str) -> list[Key]:
    day, lang, outcome = day_of_moment(get("created_at")), get("lang"), str(get("outcome"))
    keys: list[Key] = [(WizardDay, (day, lang, reason, outcome))]
    opened = set(_strings(get("opened_json")))
    if outcome == WizardOutcome.DEFLECTED:
        named = get("deflected_key")
        solved = {named} if named is not None else opened
        keys += [(WizardArticleDay, (day, lang, "deflected", k)) for k in sorted(solved)]
    elif outcome == WizardOutcome.TICKET:
        seen = opened | set(_strings(get("offered_json")))
        keys += [(WizardArticleDay, (day, lang, "ticket", k)) for k in sorted(seen)]
        keys += [(WizardArticleDay, (day, lang, "ticket_opened", k)) for k in sorted(opened)]
    return keys


# The JSON columns are read in Python (the same on both databases), the rest in SQL.
_SELF_HELP: dict[Any, tuple[Callable[[Getter], list[Key]], tuple[str, ...]]] = {
    WizardSession: (session_keys, ("created_at", "lang", "selection_json", "outcome",
                                   "deflected_key", "offered_json", "opened_json")),
    ContactRequest: (contact_keys, ("created_at", "lang", "outcome", "deflected_key",
                                    "offered_json", "opened_json")),
}


def recount_self_help(connection: Connection, start: date, end: date) -> None:
    """Recount the sessions and questions started from ``start`` to ``end`` (excluded)."""
    clear_days(connection, _COUNT_COLUMN, start, end)
    counts: Counter[Key] = Counter()
    for model, (keys_of, columns) in _SELF_HELP.items():
        query = (select(*(getattr(model, name) for name in columns))
                 .where(day_range(model.created_at, start, end))
                 .execution_options(yield_per=5000))
        for row in connection.execute(query):
            counts.update(keys_of(row._mapping.__getitem__))
    rows: dict[Any, list[dict[str, Any]]] = {}
    for (model, values), count in counts.items():
        keys = {column.name: value for column, value in zip(model.__table__.primary_key, values,
                                                            strict=True)}
        rows.setdefault(model, []).append({**keys, _COUNT_COLUMN[model]: count})
    for model, batch in rows.items():
        connection.execute(model.__table__.insert(), batch)


_GAP_MONTHS = (SearchGapDay, SearchGapMonth, ("kind", "lang", "normalized"), ("searches",))


def _move_gap_totals(connection: Connection, sign: int, *days: ColumnElement[bool]) -> None:
    """Add (``sign`` 1) or take back (-1) the gap rows of some days from the queries' totals."""
    searches = func.sum(SearchGapDay.searches)
    rows = (select(SearchGapDay.kind, SearchGapDay.lang, SearchGapDay.normalized,
                   searches if sign > 0 else -searches)
            .where(*days).group_by(SearchGapDay.kind, SearchGapDay.lang, SearchGapDay.normalized))
    statement = upsert_insert(connection, SearchGapTotal).from_select(
        ["kind", "lang", "normalized", "searches"], rows)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["kind", "lang", "normalized"],
        set_={"searches": SearchGapTotal.searches + statement.excluded.searches}))


def recount_gaps(connection: Connection, start: date, end: date) -> None:
    """Recount the searches that found nothing or whose results nobody opened, in SQL."""
    in_days = (SearchGapDay.day >= start, SearchGapDay.day < end)
    _move_gap_totals(connection, -1, *in_days)
    move_months(connection, *_GAP_MONTHS, -1, start, end)
    clear_days(connection, (SearchGapDay,), start, end)
    zero: ColumnClause[int] = literal_column("0")
    kind = case((SearchLog.results == zero, literal_column("'none'")),
                else_=literal_column("'unopened'")).label("kind")
    day = day_of(SearchLog.created_at).label("day")
    found = (
        select(day, SearchLog.lang, kind, SearchLog.normalized, func.count().label("searches"),
               func.max(SearchLog.created_at).label("last_seen"))
        .where(day_range(SearchLog.created_at, start, end), SearchLog.normalized != "",
               or_(SearchLog.results == zero,
                   and_(SearchLog.results > zero, SearchLog.clicked_key.is_(None))))
        .group_by(day, SearchLog.lang, kind, SearchLog.normalized)
    )
    columns = ["day", "lang", "kind", "normalized", "searches", "last_seen"]
    connection.execute(insert(SearchGapDay).from_select(columns, found))
    _move_gap_totals(connection, 1, *in_days)
    move_months(connection, *_GAP_MONTHS, 1, start, end)


def forget_searches_before(connection: Connection, cutoff: datetime) -> None:
    """After searches older than ``cutoff`` were deleted in bulk, drop them from the rollup.

    Called by the search-log retention prune in its own transaction: a deletion leaves no row
    behind for kb.insights.refresh to notice, so the room that deletes says so.
    """
    lock_rollups(connection)
    first_kept = day_of_moment(cutoff)
    _move_gap_totals(connection, -1, SearchGapDay.day < first_kept)
    move_months(connection, *_GAP_MONTHS, -1, date.min, first_kept)
    connection.execute(delete(SearchGapDay).where(SearchGapDay.day < first_kept))
    recount_gaps(connection, first_kept, first_kept + timedelta(days=1))  # lost its earlier searches
