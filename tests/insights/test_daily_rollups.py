"""The daily rollups equal a fresh aggregate of the events after inserts, updates and prunes.

Each check first lets the rollups catch up, as every report does before reading them.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import and_, case, func, literal, select, text, true
from sqlalchemy.exc import IntegrityError

from kb import database
from kb.articles.models import Article, Vote
from kb.buffers import flush_all
from kb.extensions import db
from kb.insights.models import (
    ArticleDay,
    ArticleView,
    HelpVisitDay,
    SearchGapDay,
    SoldDay,
    TicketCategoryDay,
    TicketDay,
    TicketSkuDay,
    TicketValueDay,
    WizardArticleDay,
    WizardDay,
)
from kb.insights.refresh import catch_up, rebuild
from kb.insights.sql import as_date, day_of, first_reason, json_strings
from kb.insights.tracking import record_article_view
from kb.ops.retention import prune_search_logs
from kb.orders.models import Order, OrderItem
from kb.returns.models import WizardSession
from kb.search.models import SearchLog
from kb.search.searchlog import log_click, log_search
from kb.tickets.models import Ticket, TicketItem
from tests.conftest import make_app
from tests.insights.conftest import at
from tests.insights.test_months import assert_sums_equal_their_days

Rows = dict[str, set[tuple[Any, ...]]]


def _stored() -> Rows:
    """What the rollups hold now (dates and times as text, to compare with the aggregates)."""
    def rows(model: Any) -> set[tuple[Any, ...]]:
        table = model.__table__
        return {tuple(_plain(v) for v in row) for row in db.session.execute(select(table))}

    return {m.__tablename__: rows(m) for m in (TicketDay, TicketCategoryDay, TicketSkuDay,
                                                TicketValueDay, SoldDay, WizardDay,
                                                WizardArticleDay, SearchGapDay, ArticleDay)}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _fresh() -> Rows:
    """The same figures aggregated afresh from the events, in SQL."""
    ticket_day = day_of(Ticket.created_at)
    tickets = {(as_date(d).isoformat(), lang, reason, channel, n) for d, lang, reason, channel, n
               in db.session.execute(select(ticket_day, Ticket.lang, Ticket.reason,
                                            Ticket.channel, func.count())
                                     .group_by(ticket_day, Ticket.lang, Ticket.reason,
                                               Ticket.channel))}
    day = day_of(WizardSession.created_at)
    reason = first_reason(WizardSession.selection_json)
    sessions = {(as_date(d).isoformat(), lang, r or "", outcome, n) for d, lang, r, outcome, n
                in db.session.execute(select(day, WizardSession.lang, reason,
                                             WizardSession.outcome, func.count())
                                      .group_by(day, WizardSession.lang, reason,
                                                WizardSession.outcome))}
    articles: set[tuple[Any, ...]] = set()
    for kind, outcome, column, extra in (
        ("deflected", "deflected", WizardSession.opened_json,
         WizardSession.deflected_key.is_(None)),
        ("ticket", "ticket", WizardSession.offered_json, None),
        ("ticket", "ticket", WizardSession.opened_json, None),
        ("ticket_opened", "ticket", WizardSession.opened_json, None),
    ):
        values = json_strings(column)
        query = (select(day.label("d"), WizardSession.lang.label("lang"),
                        values.c.value.label("key"), WizardSession.id.label("sid"))
                 .join(values, true()).where(WizardSession.outcome == outcome))
        if extra is not None:
            query = query.where(extra)
        for d, lang, key, sid in db.session.execute(query):
            articles.add((as_date(d).isoformat(), lang, kind, key, sid))
    named = select(day, WizardSession.lang, WizardSession.deflected_key, WizardSession.id).where(
        WizardSession.outcome == "deflected", WizardSession.deflected_key.is_not(None))
    for d, lang, key, sid in db.session.execute(named):
        articles.add((as_date(d).isoformat(), lang, "deflected", key, sid))
    counted: dict[tuple[Any, ...], int] = {}
    for *key, _sid in articles:
        counted[tuple(key)] = counted.get(tuple(key), 0) + 1
    search_day = day_of(SearchLog.created_at)
    gaps: set[tuple[Any, ...]] = set()
    for kind, condition in (("none", SearchLog.results == 0),
                            ("unopened", and_(SearchLog.results > 0,
                                              SearchLog.clicked_key.is_(None)))):
        for d, lang, normalized, n, last in db.session.execute(
            select(search_day, SearchLog.lang, SearchLog.normalized, func.count(),
                   func.max(SearchLog.created_at))
            .where(condition, SearchLog.normalized != "")
            .group_by(search_day, SearchLog.lang, SearchLog.normalized)
        ):
            gaps.add((as_date(d).isoformat(), lang, kind, normalized, n, _plain(last)))
    return {**_fresh_returns(), **_fresh_articles(), "insights_ticket_day": tickets, "insights_wizard_day": sessions,
            "insights_wizard_article_day": {(*k, n) for k, n in counted.items()},
            "insights_search_gap_day": gaps}


def _fresh_returns() -> Rows:
    day = day_of(Ticket.created_at)
    declined = (Ticket.status == "declined").label("declined")
    by_sku = select(day, Ticket.lang, TicketItem.sku, declined,
                    func.count(func.distinct(Ticket.id)), func.sum(TicketItem.quantity)) \
        .join(TicketItem, TicketItem.ticket_id == Ticket.id) \
        .group_by(day, Ticket.lang, TicketItem.sku, declined)
    by_category = select(day, Ticket.lang, OrderItem.category,
                         func.count(func.distinct(Ticket.id)), func.sum(TicketItem.quantity)) \
        .join(TicketItem, TicketItem.ticket_id == Ticket.id) \
        .join(OrderItem, OrderItem.id == TicketItem.order_item_id) \
        .group_by(day, Ticket.lang, OrderItem.category)
    placed = day_of(Order.placed_at)
    sold = select(placed, OrderItem.sku, func.count(), func.sum(OrderItem.quantity)) \
        .join(OrderItem, OrderItem.order_id == Order.id).group_by(placed, OrderItem.sku)

    def rows(query: Any) -> set[tuple[Any, ...]]:
        return {(as_date(d).isoformat(), *(int(v) if isinstance(v, bool) else v for v in rest))
                for d, *rest in db.session.execute(query)}

    kept = case((Ticket.resolution.in_(("exchange", "store_credit")), TicketItem.value), else_=0)
    values = select(day, Ticket.lang, Ticket.currency, func.sum(TicketItem.value), func.sum(kept)) \
        .join(TicketItem, TicketItem.ticket_id == Ticket.id).where(Ticket.status != "declined") \
        .group_by(day, Ticket.lang, Ticket.currency)
    return {"insights_ticket_sku_day": rows(by_sku), "insights_ticket_value_day": rows(values),
            "insights_ticket_category_day": rows(by_category),
            "insights_sold_day": rows(sold)}


def _fresh_articles() -> Rows:
    counted: dict[tuple[str, int], list[int]] = {}
    for model in (ArticleView, Vote):
        for moment, article_id, helpful in db.session.execute(select(
                model.created_at, model.article_id,
                Vote.helpful if model is Vote else literal(None))):
            figures = counted.setdefault((moment.date().isoformat(), article_id), [0, 0, 0])
            figures[0 if helpful is None else 1 if helpful else 2] += 1
    return {"insights_article_day": {(*key, *figures) for key, figures in counted.items()}}


def _assert_fresh() -> None:
    db.session.commit()
    catch_up()
    stored, fresh = _stored(), _fresh()
    differences = {name: (stored[name] - fresh[name], fresh[name] - stored[name])
                   for name in stored}
    assert differences == {name: (set(), set()) for name in stored}
    assert_sums_equal_their_days()


def _new_session(order_id: int, created: datetime, lang: str = "en") -> WizardSession:
    session = WizardSession(
        token_hash=secrets.token_hex(32), order_id=order_id, lang=lang,
        selection_json=json.dumps([{"sku": "X", "quantity": 1, "reason": "wrong_size"}]),
        offered_json="[]", opened_json="[]", outcome="open", created_at=created,
        last_seen_at=created,
    )
    db.session.add(session)
    return session


def test_the_history_written_through_the_orm_is_rolled_up(app: Flask, history: dict) -> None:
    catch_up()
    stored = _stored()
    assert all(stored.values())
    _assert_fresh()
    rebuild()
    assert _stored() == stored


def test_sessions_ended_later_move_between_rollup_rows(app: Flask, history: dict) -> None:
    order_id = db.session.scalar(select(Order.id).limit(1))
    assert order_id is not None
    deflected = _new_session(order_id, at("03-10", 23))
    ticketed = _new_session(order_id, at("03-11", 1), lang="fr")
    _assert_fresh()
    db.session.refresh(deflected)  # loaded: its old figures come from the ORM's history
    deflected.offered_json = json.dumps(["exchange", "return-window"])
    deflected.opened_json = json.dumps(["exchange", "size-guide", "exchange"])
    deflected.outcome = "deflected"
    _assert_fresh()
    ticketed.offered_json = json.dumps(["exchange"])  # expired: its old figures are read back
    ticketed.opened_json = json.dumps(["size-guide"])
    ticketed.outcome = "ticket"
    _assert_fresh()
    deflected.deflected_key = "exchange"  # named afterwards: only that article counts
    ticketed.last_seen_at = at("03-11", 2)  # no figure changes
    _assert_fresh()


def test_tickets_declined_or_changed_later_move_their_figures(
    app: Flask, history: dict
) -> None:
    ticket = db.session.scalars(select(Ticket).where(Ticket.status != "declined")).first()
    assert ticket is not None and ticket.items
    ticket.status = "declined"
    _assert_fresh()
    ticket.items[0].quantity += 2
    _assert_fresh()
    order = db.session.get(Order, ticket.order_id)
    assert order is not None
    order.items.append(OrderItem(sku="NEW-1", name="New", category="garden", quantity=3,
                                 unit_price=order.items[0].unit_price))
    _assert_fresh()
    ticket.items.append(TicketItem(
        order_item_id=order.items[-1].id, sku="NEW-1", quantity=1, reason="defective",
        condition="unopened", eligible=True, value=order.items[0].unit_price))
    _assert_fresh()
    order.items[-1].category = "outdoor"  # the ticket returning that line counts it there now
    _assert_fresh()
    order.placed_at = at("02-27")  # corrected: its lines leave the day they counted under
    _assert_fresh()


def test_a_flush_that_failed_leaves_no_figures_for_the_next_one(app: Flask, history: dict) -> None:
    ticket = db.session.scalars(select(Ticket).where(Ticket.status != "declined")).first()
    assert ticket is not None and ticket.items
    ticket.status = "declined"
    db.session.flush()  # moved in the rollups, then undone with the transaction below
    ticket.items[0].quantity = None  # type: ignore[assignment]
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    ticket.status = "declined"  # from its stored status again, not from the undone one
    _assert_fresh()


def test_an_item_whose_flush_failed_changes_no_figure_with_its_next_update(app: Flask, history: dict) -> None:
    ticket = db.session.scalars(select(Ticket).where(Ticket.status != "declined")).first()
    assert ticket is not None and ticket.items
    item = ticket.items[0]
    item.quantity = None  # type: ignore[assignment]
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    item.condition = "used"  # changes no figure of its ticket
    _assert_fresh()


def test_a_session_whose_flush_failed_is_counted_from_its_stored_state(app: Flask, history: dict) -> None:
    order_id = db.session.scalar(select(Order.id).limit(1))
    assert order_id is not None
    session = _new_session(order_id, at("03-12", 9))
    _assert_fresh()
    session.outcome = "deflected"
    db.session.flush()  # moved in the rollups, then undone with the transaction below
    session.outcome, session.lang = "ticket", None  # type: ignore[assignment]
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    session.last_seen_at = at("03-12", 10)  # changes no figure
    _assert_fresh()


def test_searches_clicked_later_leave_the_unopened_list(app: Flask, history: dict) -> None:
    early = SearchLog(query="Parcel", normalized="parcel", lang="en", results=3,
                      created_at=at("03-12", 8), token="early-search-tok")
    late = SearchLog(query="parcel", normalized="parcel", lang="en", results=3,
                     created_at=at("03-12", 20), token="late-search-tokn")
    db.session.add_all([early, late])
    _assert_fresh()
    log_click("late-search-tokn", "lost-parcel")  # the day's last unopened search is now the early one
    _assert_fresh()
    row = db.session.scalars(select(SearchGapDay).where(SearchGapDay.normalized == "parcel")).one()
    assert (row.searches, row.last_seen) == (1, at("03-12", 8))
    log_click("early-search-tok", "lost-parcel")
    _assert_fresh()
    assert db.session.scalar(select(SearchGapDay).where(SearchGapDay.normalized == "parcel")) \
        is None


def test_pruned_searches_leave_the_gaps_rollup(app: Flask) -> None:
    """Pruned days go from the gaps rollup (the report would no longer see them otherwise)."""
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)
    for age in (400, 181, 180.4, 179.9, 10):
        db.session.add(SearchLog(query="refund", normalized="refund", lang="en", results=0,
                                 created_at=now - timedelta(days=age)))
    _assert_fresh()
    assert prune_search_logs(180, now) == 3
    _assert_fresh()
    days = db.session.scalars(select(SearchGapDay.day).order_by(SearchGapDay.day)).all()
    assert days == [date(2026, 1, 1), date(2026, 6, 20)]  # the cutoff's day keeps one search
    assert db.session.scalar(select(SearchGapDay.searches).where(
        SearchGapDay.day == date(2026, 1, 1))) == 1


def test_the_migration_fills_the_rollups_from_earlier_events(tmp_path: Path) -> None:
    application = make_app(tmp_path)
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        database.upgrade("0002")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO search_log (query, normalized, lang, results, visit_id, created_at) "
                "VALUES ('x', 'x', 'fr', 0, 'abc', '2026-03-05 23:30:00'), "
                "('x', 'x', 'fr', 0, 'abc', '2026-03-05 08:00:00'), "
                "('y', 'y', 'en', 2, '', '2026-03-06 08:00:00')"))
        database.upgrade()
        assert _stored()["insights_search_gap_day"] == {
            ("2026-03-05", "fr", "none", "x", 2, "2026-03-05T23:30:00+00:00"),
            ("2026-03-06", "en", "unopened", "y", 1, "2026-03-06T08:00:00+00:00"),
        }
        assert _stored() == _fresh()
        db.session.remove()
        db.engine.dispose()


def test_batched_searches_clicks_and_views_are_rolled_up_like_single_ones(
    app: Flask, history: dict
) -> None:
    app.config["EVENT_FLUSH_SECONDS"] = 3600.0  # everything waits for the one flush below
    article = db.session.scalars(select(Article).limit(1)).one()
    catch_up()
    visits_before = set(db.session.execute(select(HelpVisitDay.__table__)))
    tokens = [log_search(query, "en", results, visit_id=f"visit-{n:012d}")
              for n, (query, results) in enumerate([("parcel lost", 3), ("Parcel  lost", 3),
                                                     ("wrong colour", 0), ("wrong colour", 0),
                                                     ("refund", 5)])]
    log_click(tokens[0] or "", "lost-parcel")
    for n in range(3):
        record_article_view(article.id, f"visit-{n + 7:012d}")
    assert flush_all() == 9  # five searches, one click, three views
    _assert_fresh()
    visits = set(db.session.execute(select(HelpVisitDay.__table__)))
    assert len(visits - visits_before) == 8  # five searching visits and three reading ones
    rebuild()
    assert set(db.session.execute(select(HelpVisitDay.__table__))) == visits
