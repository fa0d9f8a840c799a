"""The staff API: the queue, a ticket, actions and refunds, for the shop's systems."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import RAISE

from kb.api_docs import STAFF_ONLY, ApiBlueprint, ErrorSchema
from kb.auth.access import actor_identity, actor_name, current_actor, token_required
from kb.database import write_transaction
from kb.desk import schemas as s
from kb.desk import service
from kb.desk.details import ticket_details
from kb.desk.payloads import limits_payload, refund_payload, ticket_payload, ticket_summary
from kb.errors import KbError
from kb.extensions import csrf, db
from kb.tickets.models import Refund, Ticket
from kb.tickets.refunds import confirm_refund, issue_refund, refund_limits
from kb.tickets.service import TicketError, apply_action

bp = ApiBlueprint("desk_api", __name__, url_prefix="/api/v1",
                  description="The staff API: the queue, a ticket, actions and refunds (bearer token).")
# Called with a bearer token, never a cookie: no CSRF token is needed (or possible).
csrf.exempt(bp)


def _ticket_or_404(reference: str) -> Ticket:
    ticket = service.find_ticket(reference)
    if ticket is None:
        raise KbError(404, "not_found", f"No ticket {reference}.")
    return ticket


def _staff(func: Any) -> Any:
    """Documented as needing a staff token; 401 without one, 403 for a role that may not."""
    for status, text in ((401, "No valid bearer token"), (403, "The token's role may not do this")):
        func = bp.alt_response(status, schema=ErrorSchema, description=text)(func)
    return bp.doc(security=STAFF_ONLY)(func)


@bp.get("/tickets")
@token_required("agent")
@bp.arguments(s.QueueQuerySchema, location="query", unknown=RAISE)
@bp.response(200, s.QueueSchema)
@_staff
def tickets(_query: dict[str, Any]) -> dict[str, Any]:
    """The queue: tickets oldest first, filtered by status, kind, reason and channel, paginated."""
    filters = service.parse_filters(request.args, strict=True)
    page, per_page = service.parse_page(request.args, strict=True)
    actor = current_actor()
    me = actor.user.id if actor is not None and actor.user is not None else None
    listing = service.queue_page(filters, page, per_page, me=me)
    return {"tickets": [ticket_summary(row) for row in listing.rows], "page": page,
            "per_page": per_page, "total": listing.total}


@bp.get("/tickets/<reference>")
@token_required("agent")
@bp.response(200, s.StaffTicketSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such ticket")
@_staff
def ticket(reference: str) -> dict[str, Any]:
    """One ticket: items, decision, history, refunds, estimate and the caps left."""
    return ticket_payload(ticket_details(_ticket_or_404(reference)))


@bp.post("/tickets/<reference>/actions")
@token_required("agent")
@bp.arguments(s.ActionSchema)
@bp.response(200, s.ActionResultSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such ticket")
@bp.alt_response(409, schema=ErrorSchema, description="Not allowed in the ticket's state (illegal_transition)")
@_staff
def act(data: dict[str, Any], reference: str) -> dict[str, Any]:
    """Run an action through the state machine; 409 when the ticket's state does not allow it."""
    with write_transaction():
        target = _ticket_or_404(reference)
        event = apply_action(target, data["action"], actor_name("api"), message=data.get("message") or "",
                             decline_reason=data.get("reason"), condition=data.get("condition"))
        return {"reference": target.reference, "status": target.status,
                "event": {"kind": event.kind, "actor": event.actor, "public": event.public}}


@bp.post("/tickets/<reference>/refund")
@token_required("agent")
@bp.arguments(s.RefundRequestSchema)
@bp.response(201, s.StaffRefundSchema, description="Created (confirmed or pending)")
@bp.alt_response(404, schema=ErrorSchema, description="No such ticket")
@bp.alt_response(409, schema=ErrorSchema, description="Not allowed in the ticket's state")
@bp.alt_response(422, schema=ErrorSchema, description="Over the order's caps (over_cap, with caps_left)")
@_staff
def refund(data: dict[str, Any], reference: str) -> dict[str, Any]:
    """Refund within the caps (422 over_cap, nothing recorded); big ones wait for a second agent."""
    try:
        with write_transaction():
            ticket = _ticket_or_404(reference)
            service.require_review_checked(ticket, data["review_checked"])
            created = issue_refund(ticket, amount=data["amount"], goodwill=data.get("goodwill"),
                                   method=data["method"], actor=actor_name("api"), actor_key=actor_identity())
            return refund_payload(created)
    except TicketError as exc:
        if exc.code != "over_cap":
            raise
        # Refused over a cap: the answer says what is left (read after the refused write rolled back).
        left = limits_payload(refund_limits(_ticket_or_404(reference)))
        raise TicketError(exc.code, exc.message, exc.status, caps_left=left) from exc


@bp.post("/refunds/<int:refund_id>/confirm")
@token_required("agent")
@bp.response(200, s.StaffRefundSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such refund")
@bp.alt_response(409, schema=ErrorSchema, description="Not pending, or confirmed by its own creator")
@_staff
def confirm(refund_id: int) -> dict[str, Any]:
    """A second agent (or token) confirms a refund waiting above the threshold."""
    with write_transaction():
        pending = db.session.get(Refund, refund_id)
        if pending is None:
            raise KbError(404, "not_found", f"No refund {refund_id}.")
        confirm_refund(pending, actor_name("api"), actor_identity())
        return refund_payload(pending)
