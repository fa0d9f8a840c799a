"""The staff API: the queue, a ticket, actions and refunds, for the shop's systems."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from kb.auth.access import current_actor, token_required
from kb.database import write_transaction
from kb.desk import service
from kb.desk.details import ticket_details
from kb.desk.payloads import limits_payload, refund_payload, ticket_payload, ticket_summary
from kb.extensions import csrf, db
from kb.tickets.models import Refund, Ticket
from kb.tickets.refunds import confirm_refund, issue_refund, refund_limits
from kb.tickets.service import TicketError, apply_action
from kb.web import ApiError, json_body, string_field

bp = Blueprint("desk_api", __name__, url_prefix="/api/v1")
# Called with a bearer token, never a cookie: no CSRF token is needed (or possible).
csrf.exempt(bp)

API_ACTIONS = ("approve", "decline", "receive", "exchange", "repair", "reply", "note", "close",
               "reopen")
ACTION_FIELDS = {"action", "message", "reason", "condition"}
REFUND_FIELDS = {"amount", "goodwill", "method", "review_checked"}


def _actor_name() -> str:
    actor = current_actor()
    return actor.name if actor is not None else "api"


def _actor_key() -> str | None:
    actor = current_actor()
    return actor.identity if actor is not None else None


def _ticket_or_404(reference: str) -> Ticket:
    ticket = service.find_ticket(reference)
    if ticket is None:
        raise ApiError(404, "not_found", f"No ticket {reference}.")
    return ticket


def _api_error(exc: TicketError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


@bp.get("/tickets")
@token_required("agent")
def tickets() -> Response:
    """The queue: tickets oldest first, filtered by status, kind, reason and channel, paginated."""
    unknown = set(request.args) - {"status", "reason", "channel", "lang", "age", "assigned", "q",
                                   "kind", "page", "per_page"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ApiError(400, "unknown_parameter", f"Unknown parameter(s): {names}.")
    try:
        filters = service.parse_filters(request.args, strict=True)
        page, per_page = service.parse_page(request.args, strict=True)
    except service.FilterError as exc:
        raise ApiError(400, f"invalid_{exc.name}", str(exc)) from exc
    actor = current_actor()
    me = actor.user.id if actor is not None and actor.user is not None else None
    listing = service.queue_page(filters, page, per_page, me=me)
    return jsonify({"tickets": [ticket_summary(row) for row in listing.rows], "page": page,
                    "per_page": per_page, "total": listing.total})


@bp.get("/tickets/<reference>")
@token_required("agent")
def ticket(reference: str) -> Response:
    """One ticket: items, decision, history, refunds, estimate and the caps left."""
    return jsonify(ticket_payload(ticket_details(_ticket_or_404(reference))))


def _action_body() -> dict[str, Any]:
    data = json_body(ACTION_FIELDS, {"action"})
    fields = {name: string_field(data, name, 5000) for name in ACTION_FIELDS}
    if fields["action"] not in API_ACTIONS:
        raise ApiError(400, "invalid_action", f"action must be one of: {', '.join(API_ACTIONS)}.")
    return fields


@bp.post("/tickets/<reference>/actions")
@token_required("agent")
def act(reference: str) -> Response:
    """Run an action through the state machine; 409 when the ticket's state does not allow it."""
    fields = _action_body()
    try:
        with write_transaction():
            target = _ticket_or_404(reference)
            event = apply_action(target, str(fields["action"]), _actor_name(),
                                 message=fields["message"] or "", decline_reason=fields["reason"],
                                 condition=fields["condition"])
            body = {"reference": target.reference, "status": target.status,
                    "event": {"kind": event.kind, "actor": event.actor, "public": event.public}}
    except TicketError as exc:
        raise _api_error(exc) from exc
    return jsonify(body)


def _decimal_string(data: dict[str, Any], name: str, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", f'{name} must be a decimal string such as "12.50".')
    return value


@bp.post("/tickets/<reference>/refund")
@token_required("agent")
def refund(reference: str) -> tuple[Response, int]:
    """Refund within the caps (422 over_cap, nothing recorded); big ones wait for a second agent."""
    data = json_body(REFUND_FIELDS, {"amount", "method"})
    amount = _decimal_string(data, "amount", True)
    goodwill = _decimal_string(data, "goodwill", False)
    method = string_field(data, "method", 40, required=True)
    checked = data.get("review_checked", False)
    if not isinstance(checked, bool):
        raise ApiError(400, "invalid_field", "review_checked must be true or false.")
    try:
        with write_transaction():
            ticket = _ticket_or_404(reference)
            service.require_review_checked(ticket, checked)
            created = issue_refund(ticket, amount=amount, goodwill=goodwill,
                                   method=method or "", actor=_actor_name(), actor_key=_actor_key())
            body = refund_payload(created)
    except TicketError as exc:
        if exc.code != "over_cap":
            raise _api_error(exc) from exc
        left = limits_payload(refund_limits(_ticket_or_404(reference)))
        raise ApiError(exc.status, exc.code, exc.message, caps_left=left) from exc
    return jsonify(body), 201


@bp.post("/refunds/<int:refund_id>/confirm")
@token_required("agent")
def confirm(refund_id: int) -> Response:
    """A second agent (or token) confirms a refund waiting above the threshold."""
    try:
        with write_transaction():
            pending = db.session.get(Refund, refund_id)
            if pending is None:
                raise ApiError(404, "not_found", f"No refund {refund_id}.")
            confirm_refund(pending, _actor_name(), _actor_key())
            body = refund_payload(pending)
    except TicketError as exc:
        raise _api_error(exc) from exc
    return jsonify(body)
