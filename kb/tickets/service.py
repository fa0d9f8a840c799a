"""Opening tickets and acting on them: every change goes through these functions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from kb.auth.models import User
from kb.extensions import db
from kb.orders.facts import order_facts
from kb.orders.models import Order, OrderItem
from kb.policy import (
    Decision,
    Estimate,
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
from kb.tickets.models import Refund, Ticket, TicketEvent, TicketItem, TicketKind, TicketStatus
from kb.tickets.states import Action, IllegalTransition, next_status
from kb.types import utcnow

# No 0/O, 1/I/L: references are read aloud on the phone and typed from paper slips.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DECLINE_REASONS = (
    "outside_policy", "not_eligible_item", "no_proof", "item_not_as_claimed", "other"
)
REFUND_METHODS = ("original_payment", "store_credit")
GOODWILL_ZERO = Decimal("0.00")


class TicketError(Exception):
    """A refused ticket action, with an API error code and a message for people."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class TicketLine:
    """One order line going into a ticket, with the policy's decision for it."""

    item: OrderItem
    quantity: int
    reason: str
    condition: str
    decision: Decision


def token_hash(token: str) -> str:
    """Tickets and wizard sessions keep only the hash of their secret tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def status_token(ticket: Ticket) -> str:
    """The ticket's secret status token (192 bits), derived again when a link is needed."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"ticket:{ticket.reference}:{ticket.token_salt}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


def new_reference(prefix: str = "R-") -> str:
    """A fresh human-friendly reference like R-7K2P9Q (Q-… for questions), unique in the database."""
    for _attempt in range(20):
        reference = prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if db.session.scalar(select(Ticket.id).where(Ticket.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find a free ticket reference")


def open_ticket(
    *,
    order: Order,
    lines: list[TicketLine],
    resolution: str,
    method: str,
    estimate: Estimate,
    lang: str,
    note: str = "",
    store_code: str | None = None,
    exception: bool = False,
    receiptless: bool = False,
    review_reasons: tuple[str, ...] = (),
    session_id: int | None = None,
    idempotency_key: str | None = None,
    exchange_variant: str = "",
) -> tuple[Ticket, str]:
    """Create a ticket reserving its quantities; returns it with its secret status token."""
    needs_review = (
        exception or bool(review_reasons) or any(line.decision.needs_review for line in lines)
    )
    reasons = list(review_reasons)
    if exception:
        reasons.insert(0, "exception_requested")
    for line in lines:
        reasons.extend(r for r in line.decision.review_reasons if r not in reasons)
    ticket = Ticket(
        reference=new_reference(),
        token_salt=secrets.token_hex(16),
        # Set from the derived status token just below.
        token_hash="",  # nosec B106
        status=TicketStatus.NEEDS_REVIEW if needs_review else TicketStatus.APPROVED,
        kind=TicketKind.RETURN,
        order_id=order.id,
        session_id=session_id,
        lang=lang,
        email=order.email,
        reason=lines[0].reason,
        channel=order.channel,
        resolution=resolution,
        method=method,
        store_code=store_code,
        note=note,
        exception=exception,
        receiptless=receiptless,
        review_reasons_json=json.dumps(reasons),
        policy_version=current_policy().version,
        currency=order.currency,
        estimate_items=estimate.items_total,
        estimate_fee=estimate.fee,
        estimate_deduction=estimate.deduction,
        estimate_total=estimate.total,
        idempotency_key=idempotency_key,
        exchange_variant=exchange_variant if resolution == "exchange" else "",
    )
    token = status_token(ticket)
    ticket.token_hash = token_hash(token)
    for line in lines:
        ticket.items.append(
            TicketItem(
                order_item_id=line.item.id,
                sku=line.item.sku,
                quantity=line.quantity,
                reason=line.reason,
                condition=line.condition,
                eligible=line.decision.eligible,
                not_eligible_reason=line.decision.not_eligible_reason,
                window_ends=(
                    line.decision.window_ends.isoformat() if line.decision.window_ends else None
                ),
                value=line.item.unit_price * line.quantity,
            )
        )
    db.session.add(ticket)
    record_event(ticket, "opened", "shopper", public=True, data={"status": ticket.status})
    if ticket.status == TicketStatus.APPROVED:
        record_event(ticket, "approved", "policy", public=True, data={"automatic": True})
    db.session.flush()
    notify.ticket_opened(ticket, token)
    return ticket, token


def open_question(
    *, email: str, subject: str, message: str, lang: str, order: Order | None = None
) -> tuple[Ticket, str]:
    """Create a question ticket (the contact form's); returns it with its secret status token.

    ``order`` is the shopper's order only when its number matched their e-mail (the caller
    checks): a question never reveals or links an order that is not theirs.
    """
    ticket = Ticket(
        reference=new_reference("Q-"),
        token_salt=secrets.token_hex(16),
        token_hash="",  # nosec B106  (set from the derived status token just below)
        status=TicketStatus.NEEDS_REVIEW,
        kind=TicketKind.QUESTION,
        order_id=order.id if order is not None else None,
        lang=lang,
        email=email,
        reason="",
        channel=order.channel if order is not None else "",
        resolution="",
        method="",
        subject=subject,
        note=message,
        policy_version=current_policy().version,
        currency=order.currency if order is not None else "",
    )
    token = status_token(ticket)
    ticket.token_hash = token_hash(token)
    db.session.add(ticket)
    record_event(ticket, "asked", "shopper", public=True, data={"order_linked": order is not None})
    db.session.flush()
    notify.ticket_opened(ticket, token)
    return ticket, token


def record_event(
    ticket: Ticket,
    kind: str,
    actor: str,
    message: str = "",
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Add an entry to the ticket's history (and send the shop's webhooks for it)."""
    event = TicketEvent(
        kind=kind,
        actor=actor[:200],
        message=message,
        public=public,
        data_json=json.dumps(data or {}, default=str),
    )
    ticket.events.append(event)
    ticket.updated_at = utcnow()
    notify.webhooks_for(ticket, kind, data or {})
    return event


def find_ticket_for_shopper(reference: str, token: str) -> Ticket | None:
    """The ticket, only when the secret token matches (never by order number and e-mail)."""
    if not token or len(token) > 200:
        return None
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()[:12]))
    if ticket is None or not secrets.compare_digest(ticket.token_hash.encode(), token_hash(token).encode()):
        return None
    return ticket


def shopper_reply(ticket: Ticket, message: str) -> TicketEvent:
    """The shopper answers on their status page."""
    message = message.strip()
    if not message:
        raise TicketError("empty_message", "Please write a message.", 400)
    if len(message) > 5000:
        raise TicketError("message_too_long", "Messages may have at most 5,000 characters.", 400)
    return record_event(ticket, "shopper_reply", "shopper", message=message, public=True)


def assign(ticket: Ticket, user: User | None, actor: str) -> TicketEvent | None:
    """Give the ticket to an agent (None: to nobody); recorded in its internal history."""
    if user is not None and not (user.active and user.can("agent")):
        raise TicketError("invalid_assignee", "tickets can only go to active agents", 400)
    if ticket.assigned_to_id == (user.id if user else None):
        return None  # nothing changes (a double click), so nothing to record
    before = db.session.get(User, ticket.assigned_to_id) if ticket.assigned_to_id else None
    ticket.assigned_to_id = user.id if user else None
    data = {"from": before.name if before else None, "to": user.name if user else None,
            "to_id": user.id if user else None}
    return record_event(ticket, "assigned" if user else "unassigned", actor, data=data)


def apply_action(
    ticket: Ticket,
    action: str,
    actor: str,
    *,
    message: str = "",
    decline_reason: str | None = None,
    condition: str | None = None,
) -> TicketEvent:
    """Run a desk action (not refunds: see issue_refund) through the state machine."""
    try:
        act = Action(action)
    except ValueError as exc:
        raise TicketError("invalid_action", f"unknown action {action!r}", 400) from exc
    if act == Action.REFUND:
        raise TicketError("invalid_action", "use the refund endpoint to refund", 400)
    if len(message) > 5000:
        raise TicketError("message_too_long", "Messages may have at most 5,000 characters.", 400)
    _lock_ticket(ticket)
    try:
        target = next_status(ticket.status, act, ticket.kind)
    except IllegalTransition as exc:
        raise TicketError("illegal_transition", str(exc), 409) from exc
    data: dict[str, Any] = {"from": ticket.status, "to": target}
    if act in (Action.REPLY, Action.NOTE) and not message.strip():
        raise TicketError("empty_message", "Please write a message.", 400)
    if act == Action.DECLINE:
        if ticket.refunds:
            # Declining frees the items for another return: never once money went back for them.
            raise TicketError("refunded_ticket", "a ticket with refunds cannot be declined", 409)
        if decline_reason not in DECLINE_REASONS:
            raise TicketError(
                "invalid_reason", f"decline reason must be one of {', '.join(DECLINE_REASONS)}", 400
            )
        ticket.decline_reason = decline_reason
        data["reason"] = decline_reason
        for item in ticket.items:
            item.reserved = False  # the shopper may return these items again
    if act == Action.RECEIVE:
        if condition not in ("unopened", "like_new", "used", "damaged"):
            raise TicketError(
                "invalid_condition", "condition must be unopened, like_new, used or damaged", 400
            )
        for item in ticket.items:
            item.condition_received = condition
        data["condition"] = condition
    if act == Action.REOPEN and ticket.status == TicketStatus.DECLINED:
        _reserve_again(ticket)
    ticket.status = target
    kind = {Action.APPROVE: "approved", Action.DECLINE: "declined", Action.RECEIVE: "received",
            Action.EXCHANGE: "exchanged", Action.REPAIR: "repaired", Action.CLOSE: "closed",
            Action.REOPEN: "reopened"}.get(act, act.value)
    public = act != Action.NOTE
    event = record_event(ticket, kind, actor, message=message.strip(), public=public, data=data)
    if public:
        notify.ticket_event(ticket, kind, message.strip())
    return event


def _reserve_again(ticket: Ticket) -> None:
    """Reopening a declined ticket takes its quantities back, if nobody else returned them."""
    _lock_order(ticket.order_id)
    for item in ticket.items:
        taken = db.session.scalar(
            select(func.coalesce(func.sum(TicketItem.quantity), 0)).where(
                TicketItem.order_item_id == item.order_item_id,
                TicketItem.reserved.is_(True),
                TicketItem.id != item.id,
            )
        )
        ordered = db.session.get(OrderItem, item.order_item_id)
        if ordered is not None and taken + item.quantity > ordered.quantity:
            raise TicketError("already_returned", f"{item.sku} is already in another return", 409)
        item.reserved = True


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
    if ticket.is_question:  # a question has nothing to refund
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


def _lock_order(order_id: int) -> None:
    """Take the order's row lock (PostgreSQL) so that two refunds or reservations queue up.

    SQLite's BEGIN IMMEDIATE already serialises writers; FOR UPDATE is ignored there.
    """
    db.session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


def _lock_ticket(ticket: Ticket) -> None:
    """Lock the order's row, then the ticket's, and reload the ticket before deciding anything.

    Every function that changes a ticket's status computes the transition after this, so a
    refund and a decline of one ticket queue up on PostgreSQL instead of both acting on what
    they read before the other committed. The order first, always, so two locks never cross.
    """
    _lock_order(ticket.order_id)
    db.session.refresh(ticket, with_for_update=True)
    db.session.expire(ticket, ["refunds", "items"])


def issue_refund(
    ticket: Ticket, *, amount: object, goodwill: object, method: str, actor: str,
    actor_key: str | None = None,
) -> Refund:
    """Refund within the policy's caps, or raise TicketError(over_cap) and record nothing."""
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
    _lock_ticket(ticket)
    try:
        target = next_status(ticket.status, Action.REFUND, ticket.kind)
    except IllegalTransition as exc:
        raise TicketError("illegal_transition", str(exc), 409) from exc
    check = _refund_check(ticket, amount_value, goodwill_value)
    if not check.ok:
        raise TicketError(str(check.code or "over_cap"), check.message, 422)
    order = db.session.get(Order, ticket.order_id)
    if order is not None:
        # However the tickets of an order are split, all of them together never pay back more
        # than the order cost (items and shipping); goodwill comes on top, under its own cap.
        paid = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0))
                                 .where(Refund.order_id == order.id)) or GOODWILL_ZERO
        if Decimal(paid) + amount_value > order.total:
            left = max(order.total - Decimal(paid), GOODWILL_ZERO)
            raise TicketError("over_cap", f"Refund of {amount_value} {order.currency} is over what is left "
                              f"of this order's total: {left} {order.currency}", 422)
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
        status="pending_confirmation" if pending else "confirmed",
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


def confirm_refund(refund: Refund, actor: str, actor_key: str | None = None) -> None:
    """A second agent confirms a large refund; only then does it count as paid."""
    _lock_ticket(refund.ticket)
    db.session.refresh(refund)
    if refund.status != "pending_confirmation":
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
    refund.status = "confirmed"
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
