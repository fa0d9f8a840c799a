"""Daily rollups summed by calendar month, so that a long period reads few rows.

A month row holds the sums of its days' rows. A recount of some days takes their old rows out
of their months' sums before deleting them and adds the new ones after (``move_months``), so
the months stay equal to their days without reading a whole month again. A period reads its
whole months from the month rows and the days before and after them from the day rows
(``split``): at most about sixty days, whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.sql.elements import ColumnElement

from kb.insights.period import Period
from kb.insights.sql import month_of, upsert_insert


def move_months(connection: Connection, day_model: Any, month_model: Any, dims: tuple[str, ...],
                sums: tuple[str, ...], sign: int, start: date, end: date) -> None:
    """Add (``sign`` 1) or take out (-1) the day rows from ``start`` to ``end`` (excluded) to
    or from their months' sums."""
    month = month_of(day_model.day).label("month")
    keys = [getattr(day_model, name) for name in dims]
    totals = [func.sum(getattr(day_model, name)) * sign for name in sums]
    rows = (select(month, *keys, *totals)
            .where(day_model.day >= start, day_model.day < end).group_by(month, *keys))
    statement = upsert_insert(connection, month_model).from_select(["month", *dims, *sums], rows)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["month", *dims],
        set_={name: getattr(month_model, name) + statement.excluded[name] for name in sums}))
    # Rows whose days are all gone: a month holds only what its days hold.
    connection.execute(delete(month_model).where(
        month_model.month >= start.replace(day=1), month_model.month < end,
        *(getattr(month_model, name) == 0 for name in sums)))


@dataclass(frozen=True)
class Split:
    """A period as whole months (``months``: the first days of the first and last, or None)
    and the days outside them."""

    period: Period
    months: tuple[date, date] | None

    def day_rows(self, model: Any) -> list[list[ColumnElement[bool]]]:
        """The conditions on a day rollup's rows, one list for each run of the period's days
        outside its whole months (each a range of an index on the day)."""
        if self.months is None:
            return [[model.day >= self.period.start, model.day <= self.period.end]]
        first, last = self.months
        runs = []
        if self.period.start < first:
            runs.append([model.day >= self.period.start, model.day < first])
        after = _next_month(last)
        if after <= self.period.end:
            runs.append([model.day >= after, model.day <= self.period.end])
        return runs

    def month_rows(self, model: Any) -> list[ColumnElement[bool]] | None:
        """The conditions on a month rollup's rows (None: the period holds no whole month)."""
        if self.months is None:
            return None
        first, last = self.months
        return [model.month >= first, model.month <= last]


def split(period: Period) -> Split:
    """The whole calendar months a period covers."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    after = period.end + timedelta(days=1)
    last = after.replace(day=1) - timedelta(days=1)  # the last day of the last whole month
    if last < first:
        return Split(period, None)
    return Split(period, (first, last.replace(day=1)))


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
