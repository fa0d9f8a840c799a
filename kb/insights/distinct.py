"""Distinct visits and shoppers over any period, read from a few rows a day.

Counting a year's distinct visits from one row per visit and day means reading millions of
rows. Instead, each visit (or shopper) is counted on the first day of the period it was seen:

    distinct keys seen from S to E = keys seen for the first time ever on a day from S to E
                                   + keys seen again on a day from S to E whose previous day
                                     falls before S

The first term is a sum of daily counts (``insights_first_seen_day``). The second reads
``insights_seen_again``: one row per key and day on which the key had been seen before, and
each key counts there at most once for a period (on its first day in it). Both terms are
exact, in each language and in every language together (scope "*", where a visit seen in two
languages on a day counts once).

The figures follow a "seen" table of (day, language, key) rows kept by the rollups
(``help_visit_day``, ``insights_shopper_day``). When the seen rows of some days change, the
figures of those days are recounted, and so are the days on which their keys were next seen
(their previous day may have moved).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Connection,
    Date,
    bindparam,
    delete,
    distinct,
    exists,
    func,
    insert,
    literal_column,
    select,
    true,
    union,
)
from sqlalchemy.orm import aliased

from kb.extensions import db
from kb.insights.models import FirstSeenDay, SeenAgain
from kb.insights.period import Period, day_ranges
from kb.insights.sql import as_date, upsert_insert

ANY_LANGUAGE = "*"


@dataclass(frozen=True)
class Seen:
    """A seen table: its model (with ``day`` and ``lang``), its key column's name, and the
    ``kind`` its figures are stored under."""

    kind: str
    model: Any
    key_name: str

    @property
    def key(self) -> Any:
        """The key column."""
        return getattr(self.model, self.key_name)


def sync_seen(connection: Connection, seen: Seen, fresh: Any, start: date, end: date,
              keep_gone: bool = False) -> None:
    """Make the seen rows of the days ``start`` to ``end`` (excluded) those of ``fresh`` (a
    SELECT of day, language and key), then recount the distinct figures they change.

    ``keep_gone`` keeps the rows that ``fresh`` no longer gives (visits are never forgotten).
    """
    model = seen.model
    in_days = (model.day >= start, model.day < end)
    fresh_rows = fresh.subquery()
    changed = False
    same_row = (fresh_rows.c.day == model.day, fresh_rows.c.lang == model.lang,
                fresh_rows.c[seen.key_name] == seen.key)
    if not keep_gone:
        # NOT EXISTS rather than a NOT IN of tuples, which PostgreSQL runs once per row.
        gone = delete(model).where(*in_days, ~exists().where(*same_row))
        changed = bool(connection.execute(gone).rowcount)
    # Asked first: an INSERT ... ON CONFLICT does not always tell how many rows it wrote.
    missing = select(fresh_rows.c.day).where(~exists().where(*same_row)).limit(1)
    if connection.scalar(missing) is not None:
        # "WHERE true": SQLite needs a WHERE before ON CONFLICT to parse an INSERT ... SELECT.
        connection.execute(upsert_insert(connection, model).from_select(
            ["day", "lang", seen.key_name], select(*fresh_rows.c).where(true())).on_conflict_do_nothing())
        changed = True
    if changed:
        # The days on which these days' keys, before and after the change, were next seen.
        next_days = _days_after(connection, seen, start, end)
        recount_days(connection, seen, {start + timedelta(days=n) for n in range((end - start).days)}
                     | next_days)


def _days_after(connection: Connection, seen: Seen, start: date, end: date) -> set[date]:
    """The days after ``end`` on which the keys seen from ``start`` were next seen, in their
    language and in any: from the seen rows (as they are now), and from the previous days
    stored before the recount (as they were)."""
    model = seen.model
    if connection.scalar(select(model.day).where(model.day >= end).limit(1)) is None:
        return set()  # nothing later (a rebuild goes forward in time)
    later = aliased(model)
    keys = select(model.lang, seen.key).where(model.day >= start, model.day < end).distinct().subquery()
    key = keys.c[seen.key_name]
    later_key = getattr(later, seen.key_name)
    in_language = (select(func.min(later.day)).where(later_key == key, later.lang == keys.c.lang,
                                                     later.day >= end).group_by(key, keys.c.lang))
    in_any = select(func.min(later.day)).where(later_key == key, later.day >= end).group_by(key)
    stored = select(SeenAgain.day).where(SeenAgain.kind == seen.kind, SeenAgain.day >= end,
                                         SeenAgain.previous >= start, SeenAgain.previous < end)
    return {as_date(day) for day in connection.scalars(union(in_language, in_any, stored))}


def recount_days(connection: Connection, seen: Seen, days: set[date]) -> None:
    """Recount the first-seen counts and seen-again rows of some days from the seen rows."""
    for start, end in day_ranges(days):
        for model in (FirstSeenDay, SeenAgain):
            connection.execute(delete(model).where(model.kind == seen.kind, model.day >= start,
                                                   model.day < end))
        _write_seen_again(connection, seen, start, end)
        _write_first_seen(connection, seen, start, end)


def _write_seen_again(connection: Connection, seen: Seen, start: date, end: date) -> None:
    model, earlier = seen.model, aliased(seen.model)
    kind: ColumnClause[str] = literal_column(f"'{seen.kind}'")
    same_key = getattr(earlier, seen.key_name) == seen.key
    in_language = select(kind.label("kind"), model.lang.label("scope"), model.day,
                         seen.key.label("key"),
                         select(func.max(earlier.day))
                         .where(same_key, earlier.lang == model.lang, earlier.day < model.day)
                         .scalar_subquery().label("previous")) \
        .where(model.day >= start, model.day < end)
    days = select(model.day, seen.key).where(model.day >= start, model.day < end).distinct().subquery()
    in_any = select(kind.label("kind"), literal_column(f"'{ANY_LANGUAGE}'").label("scope"), days.c.day,
                    days.c[seen.key_name].label("key"),
                    select(func.max(earlier.day))
                    .where(getattr(earlier, seen.key_name) == days.c[seen.key_name],
                           earlier.day < days.c.day)
                    .scalar_subquery().label("previous"))
    columns = ["kind", "scope", "day", "key", "previous"]
    for rows in (in_language.subquery(), in_any.subquery()):
        connection.execute(insert(SeenAgain).from_select(
            columns, select(*rows.c).where(rows.c.previous.is_not(None))))


def _write_first_seen(connection: Connection, seen: Seen, start: date, end: date) -> None:
    """First seen on a day = seen on it, less seen again on it (written just before)."""
    model = seen.model
    in_days = (model.day >= start, model.day < end)
    counts: Counter[tuple[str, date]] = Counter()
    for day, lang, n in connection.execute(
            select(model.day, model.lang, func.count()).where(*in_days).group_by(model.day, model.lang)):
        counts[(lang, as_date(day))] += n
    for day, n in connection.execute(
            select(model.day, func.count(distinct(seen.key))).where(*in_days).group_by(model.day)):
        counts[(ANY_LANGUAGE, as_date(day))] += n
    for day, scope, n in connection.execute(
            select(SeenAgain.day, SeenAgain.scope, func.count())
            .where(SeenAgain.kind == seen.kind, SeenAgain.day >= start, SeenAgain.day < end)
            .group_by(SeenAgain.day, SeenAgain.scope)):
        counts[(scope, as_date(day))] -= n
    rows = [{"kind": seen.kind, "scope": scope, "day": day, "count": n}
            for (scope, day), n in counts.items() if n]
    if rows:
        connection.execute(insert(FirstSeenDay), rows)


def count_distinct(kind: str, period: Period) -> int:
    """The distinct visits or shoppers seen in the period (in its language, or in any)."""
    scope = period.lang or ANY_LANGUAGE
    first = db.session.scalar(
        select(func.sum(FirstSeenDay.count)).where(
            FirstSeenDay.kind == kind, FirstSeenDay.scope == scope,
            FirstSeenDay.day >= period.start, FirstSeenDay.day <= period.end))
    # The period's dates are written into the statement: as parameters of a statement the
    # driver prepares once it has run five times, PostgreSQL's generic plan cannot tell that
    # few rows have a previous day before the start, and scans the period's every row by the
    # primary key instead (305 ms against 0.05 ms for a year at ten times the volume).
    start, end = (bindparam(None, day, Date, literal_execute=True)
                  for day in (period.start, period.end))
    again = db.session.scalar(
        select(func.count()).select_from(SeenAgain).where(
            SeenAgain.kind == kind, SeenAgain.scope == scope, SeenAgain.day >= start,
            SeenAgain.day <= end, SeenAgain.previous < start))
    return int(first or 0) + int(again or 0)
