"""SQL pieces that differ between SQLite and PostgreSQL, written once for every report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, and_, cast, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from kb.extensions import db

# Any fixed number, the same in every process that recounts the rollups.
ROLLUPS_LOCK = 7_105_118


def _dialect() -> str:
    return db.engine.dialect.name


def upsert_insert(connection: Connection, table: Any) -> Any:
    """An INSERT of the connection's dialect, which has ``on_conflict_do_*`` and ``excluded``."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"no upsert for {dialect}")  # pragma: no cover - SQLite and PostgreSQL only


def day_of(column: Any) -> ColumnElement[Any]:
    """The UTC day of a timestamp column, as SQL (a 'YYYY-MM-DD' text on SQLite)."""
    if _dialect() == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def month_of(day: Any) -> ColumnElement[Any]:
    """The first day of the month of a date column, as SQL (constants written into it, so that
    a GROUP BY repeats the very same expression)."""
    if _dialect() == "postgresql":
        return cast(func.date_trunc(literal_column("'month'"), day), Date)
    return func.date(day, literal_column("'start of month'"))


def day_range(column: Any, start: date, end: date) -> ColumnElement[bool]:
    """The timestamp column falls on one of the UTC days from ``start`` up to (not including) ``end``."""
    since = datetime.combine(start, time(), tzinfo=UTC)
    until = datetime.combine(end, time(), tzinfo=UTC)
    return and_(column >= since, column < until)


def lock_rollups(connection: Connection) -> None:
    """Hold the rollups for this transaction, so that two recounts never write the same rows.

    SQLite's write transactions already take the one database lock up front; on PostgreSQL
    an advisory lock, released at commit, lets a second job wait and then find nothing to do.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(ROLLUPS_LOCK)))


def analyze(connection: Connection, tables: list[str]) -> None:
    """Give PostgreSQL's planner fresh statistics of tables just rewritten whole (until its
    autovacuum comes by, it would plan a report over a year of rows as if they were empty)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.exec_driver_sql(f'ANALYZE "{table}"')


def as_date(value: Any) -> date:
    """A day as ``day_of`` returns it (text on SQLite, a date on PostgreSQL), as a date."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def first_reason(selection_json: Any) -> ColumnElement[Any]:
    """The reason of the first line of a wizard session's selection (NULL when none)."""
    if _dialect() == "postgresql":
        return func.jsonb_extract_path_text(cast(selection_json, JSONB), "0", "reason")
    return func.json_extract(selection_json, "$[0].reason")


def json_strings(json_column: Any) -> Any:
    """The strings of a JSON array column, as a table-valued function with a ``value`` column."""
    if _dialect() == "postgresql":
        return func.jsonb_array_elements_text(cast(json_column, JSONB)).table_valued("value")
    return func.json_each(json_column).table_valued("value")


def ratio(part: float | Decimal | None, whole: float | Decimal | None) -> float | None:
    """part ÷ whole rounded to four decimals; None when there is nothing to divide by."""
    if not whole:
        return None
    return round(float(part or 0) / float(whole), 4)
