"""The daily rollups of returns: tickets by reason, category and SKU, and units sold by SKU.

A ticket's figures depend on its items (and their order lines' categories), an order's on its
lines, so here a write is followed by what it changes in its ticket or order as a whole: the
ticket's (or order's) contribution is read from the database just before the write and just
after it, in the same transaction, and the difference goes to the rollups. Rebuilding reads
every ticket and order once and uses the same contribution functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, bindparam, event, inspect, select
from sqlalchemy.orm import Session

from kb.insights.daily import Key, apply, day_of_moment, statement, write_rows
from kb.insights.models import SoldDay, TicketCategoryDay, TicketDay, TicketSkuDay
from kb.orders.models import Order, OrderItem
from kb.tickets.models import Ticket, TicketItem, TicketKind, TicketStatus

_OLD = "insights_old_returns"  # InstanceState.info: the ticket's or order's figures before
# The columns whose change changes the figures, and how to find the ticket or order.
_WATCHED: dict[Any, tuple[tuple[str, ...], str]] = {
    Ticket: (("created_at", "lang", "reason", "channel", "status"), "id"),
    TicketItem: (("ticket_id", "order_item_id", "sku", "quantity"), "ticket_id"),
    Order: (("placed_at",), "id"),
    OrderItem: (("order_id", "sku", "quantity"), "order_id"),
}


def ticket_keys(ticket: Any, items: Iterable[Any]) -> Counter[Key]:
    """The rollup amounts of one ticket: ``ticket`` has created_at, lang, reason, channel and
    status; each item has sku, quantity and category (None without its order line).

    Questions from the contact form are no returns: they count in none of these figures.
    """
    if getattr(ticket, "kind", None) == TicketKind.QUESTION:
        return Counter()
    day, lang = day_of_moment(ticket.created_at), ticket.lang
    declined = int(ticket.status == TicketStatus.DECLINED)
    amounts: Counter[Key] = Counter({(TicketDay, (day, lang, ticket.reason, ticket.channel)): 1})
    skus: set[str] = set()
    categories: set[str] = set()
    for item in items:
        if item.sku is None:  # an outer join that found no item
            continue
        sku_row = (TicketSkuDay, (day, lang, item.sku, declined))
        amounts[(*sku_row, "units")] += item.quantity
        skus.add(item.sku)
        if item.category is not None:
            amounts[(TicketCategoryDay, (day, lang, item.category), "units")] += item.quantity
            categories.add(item.category)
    amounts.update({(TicketSkuDay, (day, lang, sku, declined)): 1 for sku in skus})
    amounts.update({(TicketCategoryDay, (day, lang, c)): 1 for c in categories})
    return amounts


def order_keys(placed_at: Any, lines: Iterable[Any]) -> Counter[Key]:
    """The rollup amounts of one order: its lines' units sold, by the order's day and SKU."""
    day = day_of_moment(placed_at)
    amounts: Counter[Key] = Counter()
    for line in lines:
        if line.sku is None:
            continue
        amounts[(SoldDay, (day, line.sku))] += 1
        amounts[(SoldDay, (day, line.sku), "units")] += line.quantity
    return amounts


def _ticket_query(with_kind: bool = True) -> Any:
    # Migration 0004 rebuilds these rollups before migration 0010 adds the ticket's kind.
    kind = [Ticket.kind] if with_kind else []
    return (
        select(Ticket.id, Ticket.created_at, Ticket.lang, Ticket.reason, Ticket.channel,
               Ticket.status, *kind, TicketItem.sku, TicketItem.quantity, OrderItem.category)
        .select_from(Ticket)
        .outerjoin(TicketItem, TicketItem.ticket_id == Ticket.id)
        .outerjoin(OrderItem, OrderItem.id == TicketItem.order_item_id)
    )


def _order_query() -> Any:
    return (select(Order.id, Order.placed_at, OrderItem.sku, OrderItem.quantity)
            .select_from(Order).outerjoin(OrderItem, OrderItem.order_id == Order.id))


def _stored(connection: Connection, owner: tuple[str, Any]) -> Counter[Key]:
    """The figures of a ticket or order (``("ticket", id)``) as the database holds them now."""
    kind, owner_id = owner
    if kind == "ticket":
        query = statement(("ticket_figures",), lambda: _ticket_query().where(Ticket.id == bindparam("owner")))
        rows = connection.execute(query, {"owner": owner_id}).all()
        return ticket_keys(rows[0], rows) if rows else Counter()
    query = statement(("order_figures",), lambda: _order_query().where(Order.id == bindparam("owner")))
    rows = connection.execute(query, {"owner": owner_id}).all()
    return order_keys(rows[0].placed_at, rows) if rows else Counter()


def listen() -> None:
    """Keep the returns rollups up to date as tickets and orders change (once a process)."""
    for model in _WATCHED:
        for name in ("insert", "update", "delete"):
            for when, handler in (("before", _before), ("after", _after)):
                if not event.contains(model, f"{when}_{name}", handler):
                    event.listen(model, f"{when}_{name}", handler)
    if not event.contains(Session, "after_flush", _settle):
        event.listen(Session, "after_flush", _settle)
    if not event.contains(Session, "after_rollback", _forget):
        event.listen(Session, "after_rollback", _forget)


def _owner(model: Any, target: Any) -> tuple[str, Any]:
    kind = "ticket" if model in (Ticket, TicketItem) else "order"
    return kind, getattr(target, _WATCHED[model][1])


def _flush_info(state: Any) -> dict[str, Any]:
    """Within one flush: each ticket's or order's figures before it, and those it changed.

    A flush calls every "before" event of a mapper, then writes, then calls every "after"
    event; the changed tickets and orders are counted again once, when the flush is done.
    """
    info = state.session.info if state.session is not None else {}
    return info.setdefault(_OLD, {"before": {}, "changed": {}})


def _forget(session: Session) -> None:
    """A flush that failed left its figures behind: the rollback drops them with its writes."""
    session.info.pop(_OLD, None)


def _before(mapper: Any, connection: Connection, target: Any) -> None:
    model = mapper.class_
    state = inspect(target)
    deleting = state.session is not None and target in state.session.deleted
    if state.key is None or deleting or any(state.attrs[name].history.has_changes()
                                            for name in _WATCHED[model][0]):
        state.info[_OLD] = True
        owner, before = _owner(model, target), _flush_info(state)["before"]
        if owner[1] is not None and owner not in before:
            before[owner] = _stored(connection, owner)
    else:
        state.info.pop(_OLD, None)  # left by a flush that failed: its change was rolled back


def _after(mapper: Any, _connection: Connection, target: Any) -> None:
    state = inspect(target)
    if state.info.pop(_OLD, None):
        owner, flushed = _owner(mapper.class_, target), _flush_info(state)
        # A ticket or order inserted by this flush had no figures before it (its id was unknown).
        flushed["before"].setdefault(owner, Counter())
        flushed["changed"][owner] = True


def _settle(session: Session, _context: Any) -> None:
    """After a flush: move each changed ticket's or order's figures in the rollups."""
    flushed = session.info.pop(_OLD, None)
    if not flushed or not flushed["changed"]:
        return
    connection = session.connection()
    for owner in flushed["changed"]:
        change = _stored(connection, owner)
        change.subtract(flushed["before"].get(owner, Counter()))
        apply(connection, change)


def rebuild_returns(connection: Connection) -> None:
    """Refill the returns rollups (emptied by the caller) from every ticket and order."""
    amounts: Counter[Key] = Counter()
    with_kind = "kind" in {column["name"] for column in inspect(connection).get_columns("ticket")}
    tickets = connection.execute(_ticket_query(with_kind).order_by(Ticket.id)
                                 .execution_options(yield_per=5000))
    for _id, rows in groupby(tickets, key=lambda row: row.id):
        items = list(rows)
        amounts.update(ticket_keys(items[0], items))
    orders = connection.execute(_order_query().order_by(Order.id)
                                .execution_options(yield_per=5000))
    for _id, rows in groupby(orders, key=lambda row: row.id):
        lines = list(rows)
        amounts.update(order_keys(lines[0].placed_at, lines))
    write_rows(connection, amounts)
