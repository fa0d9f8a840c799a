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
from kb.errors import KbError
from kb.extensions import db
from kb.orders.models import Order, OrderItem
from kb.policy import (
    Decision,
    Estimate,
)
from kb.shop import current_policy
from kb.tickets import notify
from kb.tickets.models import Ticket, TicketEvent, TicketItem, TicketKind, TicketStatus
from kb.tickets.states import Action, IllegalTransition, next_status
from kb.types import utcnow

# No 0/O, 1/I/L: references are read aloud on the phone and typed from paper slips.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
DECLINE_REASONS = (
    "outside_policy", "not_eligible_item", "no_proof", "item_not_as_claimed", "other"
)
REFUND_METHODS = ("original_payment", "store_credit")
GOODWILL_ZERO = Decimal("0.00")


class TicketError(KbError):
    """A refused ticket action, with an API error code and a message for people."""

    def __init__(self, code: str, message: str, status: int = 422, **extra: object) -> None:
        super().__init__(status, code, message, **extra)


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
    reasons = _reasons_to_review(lines, review_reasons, exception)
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
    ticket.items.extend(_ticket_item(line) for line in lines)
    db.session.add(ticket)
    record_event(ticket, "opened", "shopper", public=True, data={"status": ticket.status})
    if ticket.status == TicketStatus.APPROVED:
        record_event(ticket, "approved", "policy", public=True, data={"automatic": True})
    db.session.flush()
    notify.ticket_opened(ticket, token)
    return ticket, token


def _reasons_to_review(lines: list[TicketLine], review_reasons: tuple[str, ...],
                       exception: bool) -> list[str]:
    """Why an agent must look: an exception asked for first, then each line's, each once."""
    reasons = list(review_reasons)
    if exception:
        reasons.insert(0, "exception_requested")
    for line in lines:
        reasons.extend(r for r in line.decision.review_reasons if r not in reasons)
    return reasons


def _ticket_item(line: TicketLine) -> TicketItem:
    """The ticket's line for one returned order line, with the policy's decision on it."""
    return TicketItem(
        order_item_id=line.item.id,
        sku=line.item.sku,
        quantity=line.quantity,
        reason=line.reason,
        condition=line.condition,
        eligible=line.decision.eligible,
        not_eligible_reason=line.decision.not_eligible_reason,
        window_ends=line.decision.window_ends.isoformat() if line.decision.window_ends else None,
        value=line.item.unit_price * line.quantity,
    )


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
    lock_ticket(ticket)
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
        ) or 0
        ordered = db.session.get(OrderItem, item.order_item_id)
        if ordered is not None and taken + item.quantity > ordered.quantity:
            raise TicketError("already_returned", f"{item.sku} is already in another return", 409)
        item.reserved = True


def _lock_order(order_id: int | None) -> None:
    """Take the order's row lock (PostgreSQL) so that two refunds or reservations queue up.

    SQLite's BEGIN IMMEDIATE already serialises writers; FOR UPDATE is ignored there. A question
    without an order has no row to lock.
    """
    if order_id is None:
        return
    db.session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


def lock_ticket(ticket: Ticket) -> None:
    """Lock the order's row, then the ticket's, and reload the ticket before deciding anything.

    Every function that changes a ticket's status computes the transition after this, so a
    refund and a decline of one ticket queue up on PostgreSQL instead of both acting on what
    they read before the other committed. The order first, always, so two locks never cross.
    """
    _lock_order(ticket.order_id)
    db.session.refresh(ticket, with_for_update=True)
    db.session.expire(ticket, ["refunds", "items"])
