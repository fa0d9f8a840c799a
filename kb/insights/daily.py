"""The daily report rollups: tickets, wizard sessions and unanswered searches per day.

Each ticket, wizard session and search contributes a set of rollup keys (its day, language and
the figures' dimensions). SQLAlchemy's mapper events add a row's contribution when it is
inserted, move it when an update changes it (a session deflected later, a search clicked
later) and remove it when the row is deleted, in the same transaction as the event.
``rebuild_daily`` (``kb insights rebuild``, migration 0004) recomputes them from the events with
the very same contribution functions, so the two cannot disagree.

Bulk deletes bypass the mapper events: ``forget_searches_before`` is called by the search-log
retention prune so that pruned days leave the gaps rollup too.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Connection,
    and_,
    bindparam,
    delete,
    event,
    func,
    inspect,
    literal_column,
    or_,
    select,
)

from kb.contact.models import ContactRequest
from kb.insights.models import (
    SearchGapDay,
    SoldDay,
    TicketCategoryDay,
    TicketDay,
    TicketSkuDay,
    WizardArticleDay,
    WizardDay,
)
from kb.insights.sql import upsert_insert
from kb.returns.models import WizardOutcome, WizardSession
from kb.search.models import SearchLog

Key = tuple[Any, ...]  # (rollup model, its primary key values[, a column other than the count])
Getter = Callable[[str], Any]

_OLD = "insights_old_keys"  # InstanceState.info: a row's contribution before it changes
# Statements built once a process: on the wizard's writes, building SQLAlchemy statements cost
# more than SQLite took to run them (they are immutable, and executed with fresh parameters).
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_COUNT_COLUMN = {TicketDay: "tickets", TicketCategoryDay: "tickets", TicketSkuDay: "tickets",
                 SoldDay: "lines", WizardDay: "sessions", WizardArticleDay: "sessions",
                 SearchGapDay: "searches"}


def day_of_moment(moment: datetime) -> date:
    """The UTC day of an instant (naive instants are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def _strings(text: str | None) -> list[str]:
    values = json.loads(text or "[]")
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _first_reason(text: str | None) -> str:
    values = json.loads(text or "[]")
    first = values[0] if isinstance(values, list) and values else None
    reason = first.get("reason") if isinstance(first, dict) else None
    return reason if isinstance(reason, str) else ""


# The "reason" a contact form question counts under in the self-help reports.
QUESTION_REASON = "question"


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


def search_keys(get: Getter) -> list[Key]:
    """The gaps rollup row a search counts in, if it found nothing or nobody opened a result."""
    if not get("normalized"):
        return []
    if get("results") == 0:
        kind = "none"
    elif get("results") > 0 and get("clicked_key") is None:
        kind = "unopened"
    else:
        return []
    return [(SearchGapDay, (day_of_moment(get("created_at")), get("lang"), kind, get("normalized")))]


_SOURCES: dict[Any, Callable[[Getter], list[Key]]] = {
    WizardSession: session_keys, SearchLog: search_keys, ContactRequest: contact_keys,
}
_COLUMNS = {
    WizardSession: ("created_at", "lang", "selection_json", "outcome", "deflected_key",
                    "offered_json", "opened_json"),
    SearchLog: ("created_at", "lang", "normalized", "results", "clicked_key"),
    ContactRequest: ("created_at", "lang", "outcome", "deflected_key", "offered_json", "opened_json"),
}


def listen() -> None:
    """Keep the rollups up to date as tickets, sessions and searches change (once a process)."""
    for model in _SOURCES:
        for name, handler in (("after_insert", _after_insert), ("before_update", _before_change),
                              ("after_update", _after_update), ("before_delete", _before_change),
                              ("after_delete", _after_delete)):
            if not event.contains(model, name, handler):
                event.listen(model, name, handler)


def _current(target: Any) -> Getter:
    return lambda name: getattr(target, name)


def _after_insert(mapper: Any, connection: Connection, target: Any) -> None:
    moment = target.created_at if mapper.class_ is SearchLog else None
    apply(connection, Counter(_SOURCES[mapper.class_](_current(target))), last_seen=moment)


def _before_change(mapper: Any, connection: Connection, target: Any) -> None:
    """Before an update or delete: the row's contribution as the database still holds it."""
    model = mapper.class_
    state = inspect(target)
    changed = any(state.attrs[name].history.has_changes() for name in _COLUMNS[model])
    if changed or state.obj() in (state.session.deleted if state.session else ()):
        stored: Mapping[Any, Any] | None = _loaded_values(state, _COLUMNS[model])
        if stored is None:
            row = connection.execute(statement(("stored", model), lambda: select(
                *(getattr(model, name) for name in _COLUMNS[model])).where(model.id == bindparam("id"))),
                {"id": target.id}).first()
            stored = None if row is None else row._mapping
        state.info[_OLD] = [] if stored is None else _SOURCES[model](stored.__getitem__)
    else:
        state.info.pop(_OLD, None)  # left by a flush that failed: its change was rolled back


def _loaded_values(state: Any, names: Iterable[str]) -> dict[str, Any] | None:
    """The columns' values as loaded from the database, or None when one was not loaded.

    (An attribute set on an expired object keeps no old value: then the database is asked.)
    """
    values = {}
    for name in names:
        history = state.attrs[name].history
        if history.has_changes():
            if not history.deleted:
                return None
            values[name] = history.deleted[0]
        elif history.unchanged:
            values[name] = history.unchanged[0]
        else:
            return None
    return values


def statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """A statement built once a process under ``key`` (executed with its parameters)."""
    built = _STATEMENTS.get(key)
    if built is None:
        built = _STATEMENTS[key] = build()
    return built


def _after_update(mapper: Any, connection: Connection, target: Any) -> None:
    old = inspect(target).info.pop(_OLD, None)
    if old is not None:
        change = Counter(_SOURCES[mapper.class_](_current(target)))
        change.subtract(old)
        apply(connection, change)


def _after_delete(_mapper: Any, connection: Connection, target: Any) -> None:
    change: Counter[Key] = Counter()
    change.subtract(inspect(target).info.pop(_OLD, []))
    apply(connection, change)


def add_searches(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Count many new searches in the gaps rollup at once (the search log's batched writes)."""
    change: Counter[Key] = Counter()
    latest: dict[Key, datetime] = {}
    for row in rows:
        for key in search_keys(row.get):
            change[key] += 1
            latest[key] = max(latest.get(key, row["created_at"]), row["created_at"])
    for key, count in change.items():
        apply(connection, Counter({key: count}), last_seen=latest[key])


def apply(connection: Connection, change: Counter[Key],
          last_seen: datetime | None = None) -> None:
    """Add (or take away) amounts from rollup rows; a row whose count falls to zero is deleted.

    A key ``(model, values)`` counts in the model's count column; ``(model, values, column)``
    adds to another column of the same row (units, say). ``last_seen``: the time of the
    one search being added, if known (else the gaps rollup reads it from the day's searches).
    """
    for (model, values), deltas in grouped(change).items():
        count = _COUNT_COLUMN[model]
        if model is SearchGapDay:
            if deltas.get(count, 0) > 0:
                _upsert(connection, model, values, deltas, last_seen)
            elif deltas.get(count, 0) < 0:
                _recount_gap(connection, values)
            continue
        _upsert(connection, model, values, deltas)
        if any(delta < 0 for delta in deltas.values()):
            connection.execute(statement(("delete_empty", model), functools.partial(_delete_empty, model)),
                               {f"pk_{name}": value for name, value in _pk(model, values).items()})


def _delete_empty(model: Any) -> Any:
    """DELETE one rollup row (its key as ``pk_<column>`` parameters) if its count fell to zero."""
    table = model.__table__
    return delete(table).where(*(column == bindparam(f"pk_{column.name}") for column in table.primary_key),
                               table.c[_COUNT_COLUMN[model]] <= 0)


def grouped(change: Counter[Key]) -> dict[tuple[Any, tuple[Any, ...]], dict[str, int]]:
    """The non-zero amounts of a change, by rollup row and column."""
    rows: dict[tuple[Any, tuple[Any, ...]], dict[str, int]] = {}
    for key, delta in change.items():
        if delta:
            column = key[2] if len(key) > 2 else _COUNT_COLUMN[key[0]]
            row = rows.setdefault((key[0], key[1]), {})
            row[column] = row.get(column, 0) + delta
    return rows


def _pk(model: Any, values: tuple[Any, ...]) -> dict[str, Any]:
    return {column.name: value for column, value in zip(model.__table__.primary_key, values,
                                                         strict=True)}


def _where(model: Any, values: tuple[Any, ...]) -> Any:
    table = model.__table__
    return and_(*(table.c[name] == value for name, value in _pk(model, values).items()))


def _upsert(connection: Connection, model: Any, values: tuple[Any, ...], deltas: dict[str, int],
            last_seen: datetime | None = None) -> None:
    row = {**_pk(model, values), **deltas}
    if model is SearchGapDay:
        row["last_seen"] = last_seen or _gap_of_day(connection, values)[1]
    columns = tuple(sorted(deltas))
    key = ("upsert", connection.dialect.name, model, columns)
    connection.execute(statement(key, lambda: _upsert_statement(connection, model, columns)), row)


def _upsert_statement(connection: Connection, model: Any, columns: tuple[str, ...]) -> Any:
    """INSERT a rollup row, or add the amounts of ``columns`` to the row already there."""
    table = model.__table__
    insert = upsert_insert(connection, table)
    updates: dict[str, Any] = {c: table.c[c] + insert.excluded[c] for c in columns}
    if model is SearchGapDay:
        latest = func.max if connection.dialect.name == "sqlite" else func.greatest
        updates["last_seen"] = latest(table.c.last_seen, insert.excluded.last_seen)
    return insert.on_conflict_do_update(index_elements=[c.name for c in table.primary_key], set_=updates)


def _recount_gap(connection: Connection, values: tuple[Any, ...]) -> None:
    """A maximum cannot be taken back: count the day's searches of that query again."""
    connection.execute(delete(SearchGapDay).where(_where(SearchGapDay, values)))
    searches, last = _gap_of_day(connection, values)
    if searches:
        _upsert(connection, SearchGapDay, values, {"searches": searches}, last)


def _gap_condition(kind: str) -> Any:
    zero: ColumnClause[int] = literal_column("0")  # as the partial indexes of kb.insights.models are written
    if kind == "none":
        return SearchLog.results == zero
    return and_(SearchLog.results > zero, SearchLog.clicked_key.is_(None))


def _gap_of_day(connection: Connection, values: tuple[Any, ...]) -> tuple[int, datetime | None]:
    day, lang, kind, normalized = values
    since = datetime.combine(day, time(), tzinfo=UTC)
    row = connection.execute(
        select(func.count(SearchLog.id), func.max(SearchLog.created_at)).where(
            SearchLog.created_at >= since, SearchLog.created_at < since + timedelta(days=1),
            SearchLog.lang == lang, SearchLog.normalized == normalized, _gap_condition(kind))
    ).one()
    return int(row[0] or 0), row[1]


def forget_searches_before(connection: Connection, cutoff: datetime) -> None:
    """After searches older than ``cutoff`` were deleted in bulk, drop them from the rollup."""
    first_kept = day_of_moment(cutoff)
    connection.execute(delete(SearchGapDay).where(SearchGapDay.day < first_kept))
    rows = connection.execute(
        select(SearchGapDay.day, SearchGapDay.lang, SearchGapDay.kind, SearchGapDay.normalized)
        .where(SearchGapDay.day == first_kept)).all()
    for values in rows:  # the cutoff's own day lost its earlier searches
        _recount_gap(connection, tuple(values))


def _source_rows(connection: Connection, model: Any) -> Iterable[Any]:
    query = select(*(getattr(model, name) for name in _COLUMNS[model]))
    if model is SearchLog:
        query = query.where(SearchLog.normalized != "",
                            or_(SearchLog.results == 0, SearchLog.clicked_key.is_(None)))
    return connection.execute(query.execution_options(yield_per=5000))


def write_rows(connection: Connection, counts: Counter[Key],
               last: dict[Key, datetime] | None = None) -> None:
    """Insert freshly aggregated rollup rows (the tables were emptied first)."""
    by_model: dict[Any, list[dict[str, Any]]] = {}
    for (model, values), amounts in grouped(counts).items():
        row = {**_pk(model, values), **amounts}
        if model is SearchGapDay:
            row["last_seen"] = (last or {})[(model, values)]
        by_model.setdefault(model, []).append(row)
    for model, rows in by_model.items():
        for start in range(0, len(rows), 5000):
            connection.execute(model.__table__.insert(), rows[start:start + 5000])


def rebuild_daily(connection: Connection) -> dict[str, int]:
    """Recompute every daily rollup from the events; returns how many rows each holds."""
    from kb.insights.daily_returns import rebuild_returns

    for model in _COUNT_COLUMN:
        connection.execute(delete(model))
    present = set(inspect(connection).get_table_names())
    for source, keys_of in _SOURCES.items():
        if source.__tablename__ not in present:
            continue  # migration 0004 rebuilds before later migrations create their tables
        counts: Counter[Key] = Counter()
        last: dict[Key, datetime] = {}
        for row in _source_rows(connection, source):
            mapping = row._mapping
            for key in keys_of(mapping.__getitem__):
                counts[key] += 1
                if source is SearchLog and (key not in last or mapping["created_at"] > last[key]):
                    last[key] = mapping["created_at"]
        write_rows(connection, counts, last)
    rebuild_returns(connection)
    return {model.__tablename__: int(connection.scalar(select(func.count()).select_from(model))
                                     or 0) for model in _COUNT_COLUMN}
