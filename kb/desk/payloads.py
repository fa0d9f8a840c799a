"""The staff API's JSON shapes for tickets, events and refunds (money as decimal strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from kb.desk.details import TicketDetails
from kb.desk.service import QueueRow
from kb.tickets.models import Refund, Ticket, TicketEvent
from kb.tickets.refunds import RefundLimits


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_summary(row: QueueRow) -> dict[str, Any]:
    """A ticket as the list shows it."""
    t = row.ticket
    return {
        "reference": t.reference,
        "kind": t.kind,
        "status": t.status,
        "reason": t.reason,
        "channel": t.channel,
        "lang": t.lang,
        "resolution": t.resolution,
        "method": t.method,
        "currency": t.currency,
        "estimate_total": str(t.estimate_total),
        "assigned_to": row.assignee,
        "created_at": _when(t.created_at),
        "updated_at": _when(t.updated_at),
        "waiting_since": _when(row.waiting_since),
        "overdue": row.overdue,
        "url": url_for("desk_api.ticket", reference=t.reference, _external=True),
    }


def event_payload(event: TicketEvent) -> dict[str, Any]:
    """One history entry."""
    return {"kind": event.kind, "actor": event.actor, "public": event.public,
            "message": event.message, "data": event.data, "created_at": _when(event.created_at)}


def refund_payload(refund: Refund) -> dict[str, Any]:
    """One refund, with the ticket it belongs to."""
    return {
        "id": refund.id,
        "reference": refund.ticket.reference,
        "status": refund.status,
        "currency": refund.currency,
        "amount": str(refund.amount),
        "goodwill": str(refund.goodwill),
        "method": refund.method,
        "guarantee": refund.guarantee,
        "created_by": refund.created_by,
        "confirmed_by": refund.confirmed_by,
        "created_at": _when(refund.created_at),
        "ticket_status": refund.ticket.status,
    }


def limits_payload(limits: RefundLimits) -> dict[str, Any]:
    """What the ticket may still refund."""
    return {
        "currency": limits.currency,
        "amount": str(limits.amount_left),
        "goodwill": str(limits.goodwill_left),
        "guarantee": str(limits.guarantee_left) if limits.guarantee_left is not None else None,
    }


def estimate_payload(ticket: Ticket) -> dict[str, str]:
    """The refund estimate made when the ticket was opened."""
    return {"currency": ticket.currency, "items_total": str(ticket.estimate_items),
            "fee": str(ticket.estimate_fee), "deduction": str(ticket.estimate_deduction),
            "total": str(ticket.estimate_total)}


def ticket_payload(d: TicketDetails) -> dict[str, Any]:
    """A ticket with everything an agent needs: items, decision, history, refunds, caps left."""
    t = d.ticket
    return {
        **ticket_summary(QueueRow(t, d.assignee, d.waiting_since, d.overdue)),
        "order": _order_payload(d),
        "subject": t.subject,
        "email": t.email,
        "store": t.store_code,
        "note": t.note,
        "exception": t.exception,
        "receiptless": t.receiptless,
        "review_reasons": t.review_reasons,
        "policy_version": t.policy_version,
        "decline_reason": t.decline_reason,
        "items": [
            {"sku": item.sku, "quantity": item.quantity, "reason": item.reason,
             "condition": item.condition, "condition_received": item.condition_received,
             "eligible": item.eligible, "not_eligible_reason": item.not_eligible_reason,
             "window_ends": item.window_ends, "value": str(item.value), "reserved": item.reserved}
            for item in t.items
        ],
        "self_help": {"offered": [a.key for a in d.articles],
                      "opened": [a.key for a in d.articles if a.opened] + d.opened_elsewhere},
        "estimate": estimate_payload(t),
        "refunds": [refund_payload(r) for r in d.refunds],
        "caps_left": limits_payload(d.limits),
        "allowed_actions": [str(a) for a in d.actions],
        "history": [event_payload(e) for e in d.events],
        "photos": len(d.attachments),
    }


def _order_payload(d: TicketDetails) -> dict[str, Any] | None:
    """The ticket's order and its lines (None: a question that names no order of the shopper)."""
    if d.order is None:
        return None
    return {
        "number": d.order.number, "channel": d.order.channel, "seller": d.order.seller,
        "currency": d.order.currency, "shipping": str(d.order.shipping),
        "placed_at": _when(d.order.placed_at), "delivered_at": _when(d.order.delivered_at),
        "items": [{"sku": line.item.sku, "name": line.item.name, "category": line.item.category,
                   "quantity": line.item.quantity, "unit_price": str(line.item.unit_price),
                   "final_sale": line.item.final_sale} for line in d.lines],
    }
