"""Return reasons and money kept: aggregates over tickets, their items, orders and refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, cast, func, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from kb.extensions import db
from kb.insights.models import (
    RefundDay,
    SoldDay,
    SoldMonth,
    TicketCategoryDay,
    TicketDay,
    TicketSkuDay,
    TicketSkuMonth,
    TicketValueDay,
)
from kb.insights.months import split
from kb.insights.period import Period
from kb.insights.sql import as_date, ratio
from kb.orders.models import OrderItem
from kb.tickets.models import Ticket

TOP_PRODUCTS = 20
ZERO = Decimal("0.00")


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    """The column's timestamp falls within the period."""
    return and_(column >= period.since, column < period.until)


def _tickets_of(period: Period) -> list[ColumnElement[bool]]:
    conditions = [in_period(Ticket.created_at, period)]
    if period.lang:
        conditions.append(Ticket.lang == period.lang)
    return conditions


def ticket_counts(period: Period) -> list[dict[str, Any]]:
    """Tickets opened in the period, counted by day, reason and channel (from the rollup)."""
    conditions = [TicketDay.day >= period.start, TicketDay.day <= period.end]
    if period.lang:
        conditions.append(TicketDay.lang == period.lang)
    rows = db.session.execute(
        select(TicketDay.day, TicketDay.reason, TicketDay.channel, func.sum(TicketDay.tickets))
        .where(*conditions)
        .group_by(TicketDay.day, TicketDay.reason, TicketDay.channel)
    ).all()
    return [{"day": as_date(d), "reason": reason, "channel": channel, "tickets": int(n)}
            for d, reason, channel, n in rows]


def ranked(counts: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Ticket counts summed by one field, most tickets first (then by code)."""
    totals: dict[str, int] = {}
    for row in counts:
        totals[row[field]] = totals.get(row[field], 0) + row["tickets"]
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [{"key": key, "tickets": tickets} for key, tickets in ordered]


def per_day(counts: list[dict[str, Any]], period: Period) -> list[dict[str, Any]]:
    """Ticket counts summed by day, every day of the period included."""
    totals: dict[Any, int] = {}
    for row in counts:
        totals[row["day"]] = totals.get(row["day"], 0) + row["tickets"]
    return [{"key": d, "tickets": totals.get(d, 0)} for d in period.each_day()]


def _rollup_days(model: Any, period: Period, by_lang: bool = True) -> list[ColumnElement[bool]]:
    conditions = [model.day >= period.start, model.day <= period.end]
    if by_lang and period.lang:
        conditions.append(model.lang == period.lang)
    return conditions


def tickets_by_category(period: Period) -> list[dict[str, Any]]:
    """Tickets and returned units by the category of the items they hold (from the rollup)."""
    tickets = func.sum(TicketCategoryDay.tickets)
    rows = db.session.execute(
        select(TicketCategoryDay.category.label("key"), tickets.label("tickets"),
               func.sum(TicketCategoryDay.units).label("units"))
        .where(*_rollup_days(TicketCategoryDay, period))
        .group_by(TicketCategoryDay.category)
        .order_by(tickets.desc(), TicketCategoryDay.category)
    ).all()
    return [{"key": r.key, "tickets": int(r.tickets), "units": int(r.units)} for r in rows]


def _sku_rows(period: Period, by_lang: bool = True, declined: bool = True) -> Any:
    """The ticket rows by SKU of the period: its whole months' rows and its other days'."""
    parts = split(period)
    runs: list[tuple[Any, list[ColumnElement[bool]]]] = [
        (TicketSkuDay, conditions) for conditions in parts.day_rows(TicketSkuDay)]
    months = parts.month_rows(TicketSkuMonth)
    if months is not None:
        runs.append((TicketSkuMonth, months))
    parts_of = []
    for model, conditions in runs:
        if by_lang and period.lang:
            conditions.append(model.lang == period.lang)
        if not declined:
            conditions.append(model.declined == 0)
        parts_of.append(select(model.sku.label("sku"), model.tickets.label("tickets"),
                               model.units.label("units")).where(*conditions))
    return union_all(*parts_of).subquery()


def _sold_rows(period: Period) -> Any:
    """The units sold by SKU in the period: its whole months' rows and its other days'."""
    parts = split(period)
    parts_of = [select(SoldDay.sku.label("sku"), SoldDay.units.label("units")).where(*conditions)
                for conditions in parts.day_rows(SoldDay)]
    months = parts.month_rows(SoldMonth)
    if months is not None:
        parts_of.append(select(SoldMonth.sku.label("sku"), SoldMonth.units.label("units"))
                        .where(*months))
    return union_all(*parts_of).subquery()


def tickets_by_product(period: Period, limit: int = TOP_PRODUCTS) -> list[dict[str, Any]]:
    """The SKUs in the most tickets, with their returned units and a name."""
    rows_of = _sku_rows(period)
    tickets = func.sum(rows_of.c.tickets)
    rows = db.session.execute(
        select(rows_of.c.sku, tickets, func.sum(rows_of.c.units))
        .group_by(rows_of.c.sku)
        .order_by(tickets.desc(), rows_of.c.sku)
        .limit(limit)
    ).all()
    names = product_names({sku for sku, _t, _u in rows})
    return [{"key": sku, "name": names.get(sku, ""), "tickets": int(n), "units": int(units)}
            for sku, n, units in rows]


def product_names(skus: set[str]) -> dict[str, str]:
    """A name for each SKU (orders may name a product differently: the last name wins)."""
    if not skus:
        return {}
    rows = db.session.execute(
        select(OrderItem.sku, func.max(OrderItem.name))
        .where(OrderItem.sku.in_(sorted(skus)))
        .group_by(OrderItem.sku)
    ).all()
    return {sku: name for sku, name in rows}


def return_rates(period: Period, limit: int = TOP_PRODUCTS) -> list[dict[str, Any]]:
    """Units returned in the period's tickets ÷ units sold in the period's orders, per SKU.

    Declined tickets do not count. Orders carry no language, so neither side is filtered by
    language. A SKU needs at least one unit sold in the period to have a rate.
    """
    returned_rows = _sku_rows(period, by_lang=False, declined=False)
    returned = (
        select(returned_rows.c.sku.label("sku"), func.sum(returned_rows.c.units).label("units"))
        .group_by(returned_rows.c.sku)
        .subquery()
    )
    sold_rows = _sold_rows(period)
    sold = (
        select(sold_rows.c.sku.label("sku"), func.sum(sold_rows.c.units).label("units"))
        .group_by(sold_rows.c.sku)
        .subquery()
    )
    rate = cast(returned.c.units, Float) / sold.c.units
    rows = db.session.execute(
        select(returned.c.sku, returned.c.units, sold.c.units)
        .join(sold, sold.c.sku == returned.c.sku)
        .where(sold.c.units >= 1)
        .order_by(rate.desc(), returned.c.units.desc(), returned.c.sku)
        .limit(limit)
    ).all()
    names = product_names({row[0] for row in rows})
    return [
        {
            "key": sku,
            "name": names.get(sku, ""),
            "returned": int(units_returned),
            "sold": int(units_sold),
            "rate": ratio(units_returned, units_sold),
        }
        for sku, units_returned, units_sold in rows
    ]


def returned_values(period: Period) -> dict[str, dict[str, Decimal]]:
    """Per currency: the value of all returned items, and of those kept as exchange or credit
    (from the rollup; declined tickets do not count)."""
    rows = db.session.execute(
        select(
            TicketValueDay.currency,
            func.sum(TicketValueDay.returned).label("returned"),
            func.sum(TicketValueDay.kept).label("kept"),
        )
        .where(*_rollup_days(TicketValueDay, period))
        .group_by(TicketValueDay.currency)
    ).all()
    return {
        row.currency: {"returned": _money(row.returned), "kept": _money(row.kept)} for row in rows
    }


def refunds_paid(period: Period) -> dict[str, dict[str, Any]]:
    """Per currency: confirmed refunds, goodwill and guarantee claims paid in the period (from
    the rollup, which files each refund under its ticket's language)."""
    rows = db.session.execute(
        select(RefundDay.currency, func.sum(RefundDay.refunds).label("refunds"),
               func.sum(RefundDay.refunded).label("refunded"),
               func.sum(RefundDay.goodwill).label("goodwill"),
               func.sum(RefundDay.claims).label("claims"),
               func.sum(RefundDay.guarantee_paid).label("guarantee"))
        .where(*_rollup_days(RefundDay, period))
        .group_by(RefundDay.currency)
    ).all()
    return {
        row.currency: {
            "refunds": int(row.refunds),
            "refunded": _money(row.refunded),
            "goodwill": _money(row.goodwill),
            "guarantee_claims": int(row.claims),
            "guarantee_paid": _money(row.guarantee),
        }
        for row in rows
    }


def _money(value: Decimal | int | None) -> Decimal:
    """A summed Money column: None (no rows) is zero."""
    if value is None:
        return ZERO
    return Decimal(value).quantize(ZERO)
