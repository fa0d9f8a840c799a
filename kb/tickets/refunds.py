"""Refunds on a ticket: the caps still open, issuing one, and the second agent's confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from kb.extensions import db
from kb.orders.facts import order_facts
from kb.orders.models import Order
from kb.policy import (
    ReasonKind,
    RefundCheck,
    Resolution,
    check_refund,
    floor_to_minor,
    parse_money,
    quantize,
    reason_kind,
)
from kb.policy.codes import WORN_CONDITIONS
from kb.shop import current_policy
from kb.tickets import notify
from kb.tickets.models import Refund, RefundStatus, Ticket, TicketItem
from kb.tickets.service import GOODWILL_ZERO, REFUND_METHODS, TicketError, lock_ticket, record_event
from kb.tickets.states import Action, IllegalTransition, next_status


def refunded_so_far(order_id: int) -> tuple[Decimal, Decimal, Decimal]:
    """Items amount, goodwill and guarantee amount already refunded on an order."""
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order_id)).all()
    amount = sum((r.amount for r in refunds if not r.guarantee), GOODWILL_ZERO)
    goodwill = sum((r.goodwill for r in refunds), GOODWILL_ZERO)
    guarantee = sum((r.amount for r in refunds if r.guarantee), GOODWILL_ZERO)
    return amount, goodwill, guarantee


@dataclass(frozen=True)
class RefundLimits:
    """What a ticket may still refund: its items' amount, the order's goodwill and guarantee."""

    currency: str
    amount_left: Decimal
    goodwill_left: Decimal
    guarantee_left: Decimal | None  # None: the ticket is not a guarantee claim


def _refund_check(ticket: Ticket, amount: Decimal, goodwill: Decimal) -> RefundCheck:
    """Judge a refund on ``ticket`` against the policy's caps (pending refunds count too)."""
    order = db.session.get(Order, ticket.order_id)
    if order is None:  # tickets reference their order by a foreign key: only a bug gets here
        raise TicketError("missing_order", "the ticket's order no longer exists", 409)
    guarantee = ticket.resolution == Resolution.GUARANTEE_CLAIM
    _amount, goodwill_paid, guarantee_paid = refunded_so_far(order.id)
    # The items cap is the ticket's own (its items are reserved to it); goodwill and the
    # guarantee are capped per order, so other tickets of the order count for those.
    on_ticket = sum((r.amount for r in ticket.refunds), GOODWILL_ZERO)
    # What the shopper paid for the ticket's items; shipping too when the policy refunds it.
    items_value = sum((_refundable_value(item) for item in ticket.items), GOODWILL_ZERO)
    return check_refund(
        current_policy(),
        order_facts(order),
        items_value=items_value,
        # A guarantee claim is a seller fault or a lost parcel: the same whole-order rule applies.
        shipping_refundable=_whole_order_seller_fault(ticket, order),
        amount=amount,
        goodwill=goodwill,
        already_refunded=on_ticket,
        already_goodwill=goodwill_paid,
        guarantee=guarantee,
        already_guarantee=guarantee_paid,
    )


def _refundable_value(item: TicketItem) -> Decimal:
    """An item's value for the refund cap: less the policy's deduction when it came back worn.

    The condition the agent recorded on receipt counts over the shopper's declaration, so an
    item declared unopened but received used is capped as the estimate would have been.
    """
    condition = item.condition_received or item.condition
    if reason_kind(item.reason) is not ReasonKind.CHANGE_OF_MIND or condition not in WORN_CONDITIONS:
        return item.value
    kept = Decimal(100 - current_policy().used_refund_percent) / 100
    return item.value - quantize(item.value * kept, item.ticket.currency)


def refund_limits(ticket: Ticket) -> RefundLimits:
    """The amounts still allowed on the ticket, as shown to agents next to the refund form."""
    if ticket.is_question or ticket.order_id is None:  # a question has nothing to refund
        return RefundLimits(ticket.currency, GOODWILL_ZERO, GOODWILL_ZERO, None)
    check = _refund_check(ticket, GOODWILL_ZERO, GOODWILL_ZERO)
    guarantee_left = None
    if ticket.resolution == Resolution.GUARANTEE_CLAIM:
        paid = refunded_so_far(ticket.order_id)[2]
        cap = floor_to_minor(current_policy().guarantee_cap, ticket.currency)
        guarantee_left = max(cap - paid, GOODWILL_ZERO)
    return RefundLimits(ticket.currency, check.max_amount, check.max_goodwill, guarantee_left)


def _or_zero(value: object) -> object:
    return value if value not in (None, "") else "0"


def issue_refund(
    ticket: Ticket, *, amount: object, goodwill: object, method: str, actor: str,
    actor_key: str | None = None,
) -> Refund:
    """Refund within the policy's caps, or raise TicketError(over_cap) and record nothing."""
    amount_value, goodwill_value = _parse_amounts(ticket, method, amount, goodwill)
    lock_ticket(ticket)
    try:
        target = next_status(ticket.status, Action.REFUND, ticket.kind)
    except IllegalTransition as exc:
        raise TicketError("illegal_transition", str(exc), 409) from exc
    check = _refund_check(ticket, amount_value, goodwill_value)
    if not check.ok:
        raise TicketError(str(check.code or "over_cap"), check.message, 422)
    _check_order_total(ticket, amount_value)
    threshold = Decimal(str(current_app.config["REFUND_SECOND_APPROVAL_OVER"]))
    # The threshold applies to all the refunds of the order together (every ticket, pending or
    # confirmed), so splitting a return into several tickets or refunds cannot dodge it.
    on_order = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount + Refund.goodwill), 0)).where(Refund.order_id == ticket.order_id)
    ) or GOODWILL_ZERO
    pending = Decimal(on_order) + amount_value + goodwill_value > threshold
    refund = Refund(
        order_id=ticket.order_id,
        currency=ticket.currency,
        amount=amount_value,
        goodwill=goodwill_value,
        method=method,
        guarantee=ticket.resolution == Resolution.GUARANTEE_CLAIM,
        status=RefundStatus.PENDING_CONFIRMATION if pending else RefundStatus.CONFIRMED,
        created_by=actor,
        created_by_key=actor_key,
    )
    ticket.refunds.append(refund)
    data = {"amount": str(amount_value), "goodwill": str(goodwill_value),
            "currency": ticket.currency, "method": method}
    if pending:
        record_event(ticket, "refund_pending", actor, data=data)
    else:
        ticket.status = target
        record_event(ticket, "refunded", actor, public=True, data=data)
        notify.ticket_event(ticket, "refunded")
    db.session.flush()
    return refund


def _parse_amounts(ticket: Ticket, method: str, amount: object, goodwill: object) -> tuple[Decimal, Decimal]:
    """The refund and goodwill as money of the ticket's currency; TicketError(400) if unusable."""
    if method not in REFUND_METHODS:
        raise TicketError("invalid_method", "method must be original_payment or store_credit", 400)
    try:
        amount_value = parse_money(_or_zero(amount), ticket.currency)
        goodwill_value = parse_money(_or_zero(goodwill), ticket.currency)
    except (ValueError, TypeError) as exc:
        message = f"amounts must be positive decimals: {exc}"
        raise TicketError("invalid_amount", message, 400) from exc
    if amount_value + goodwill_value <= 0:
        raise TicketError("invalid_amount", "the refund must be more than zero", 400)
    return amount_value, goodwill_value


def _check_order_total(ticket: Ticket, amount: Decimal) -> None:
    """TicketError(over_cap) if the order's refunds would pay back more than the order cost."""
    order = db.session.get(Order, ticket.order_id)
    if order is None:
        return
    # However the tickets of an order are split, all of them together never pay back more
    # than the order cost (items and shipping); goodwill comes on top, under its own cap.
    paid = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0))
                             .where(Refund.order_id == order.id)) or GOODWILL_ZERO
    if Decimal(paid) + amount > order.total:
        left = max(order.total - Decimal(paid), GOODWILL_ZERO)
        raise TicketError("over_cap", f"Refund of {amount} {order.currency} is over what is left "
                          f"of this order's total: {left} {order.currency}", 422)


def confirm_refund(refund: Refund, actor: str, actor_key: str | None = None) -> None:
    """A second agent confirms a large refund; only then does it count as paid."""
    lock_ticket(refund.ticket)
    db.session.refresh(refund)
    if refund.status != RefundStatus.PENDING_CONFIRMATION:
        raise TicketError("not_pending", "this refund does not wait for a confirmation", 409)
    same = (refund.created_by_key == actor_key) if refund.created_by_key and actor_key else (
        refund.created_by == actor)
    if same:
        raise TicketError("same_agent", "another agent must confirm this refund", 403)
    ticket = refund.ticket
    try:
        target = next_status(ticket.status, Action.REFUND, ticket.kind)
    except IllegalTransition as exc:  # the ticket moved on (declined, exchanged…) meanwhile
        raise TicketError("illegal_transition", str(exc), 409) from exc
    refund.status = RefundStatus.CONFIRMED
    refund.confirmed_by = actor
    ticket.status = target
    record_event(ticket, "refunded", actor, public=True,
                 data={"amount": str(refund.amount), "goodwill": str(refund.goodwill),
                       "currency": refund.currency, "method": refund.method, "confirmed": True})
    notify.ticket_event(ticket, "refunded")


def _whole_order_seller_fault(ticket: Ticket, order: Order) -> bool:
    from kb.policy import SELLER_FAULT_REASONS

    returned = {item.order_item_id: item.quantity for item in ticket.items}
    whole = all(returned.get(item.id, 0) >= item.quantity for item in order.items)
    return whole and all(item.reason in SELLER_FAULT_REASONS or item.reason == "not_received"
                         for item in ticket.items)
