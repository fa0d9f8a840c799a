"""The agents' desk pages: the queue, a ticket, and the actions taken on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _

from kb.auth.access import actor_identity, actor_name, role_required
from kb.auth.models import User
from kb.database import write_transaction
from kb.desk import labels, service
from kb.desk.details import ticket_details
from kb.desk.models import SavedReply
from kb.desk.saved_replies import replies_for
from kb.extensions import db
from kb.policy import Condition
from kb.tickets.models import Attachment, Refund, RefundStatus, Ticket
from kb.tickets.photos import photo_path
from kb.tickets.refunds import confirm_refund, issue_refund
from kb.tickets.service import DECLINE_REASONS, REFUND_METHODS, TicketError, apply_action, assign
from kb.types import utcnow

bp = Blueprint("desk", __name__, url_prefix="/desk")
CONDITIONS = tuple(c.value for c in Condition)
ACTION_FIELDS = ("message", "reason", "condition")


@bp.context_processor
def _desk_labels() -> dict[str, Any]:
    return {"desk": labels, "decline_codes": DECLINE_REASONS, "refund_methods": REFUND_METHODS,
            "received_conditions": CONDITIONS}


@bp.get("", strict_slashes=False)
@role_required("agent")
def queue() -> str:
    """The return tickets, oldest first, with a search, filters, counts per status and pages."""
    filters = service.parse_filters(request.args, strict=False)
    page, per_page = service.parse_page(request.args, strict=False)
    me = g.actor.user.id if g.actor.user else None
    listing = service.queue_page(filters, page, per_page, me=me)
    kept: dict[str, Any] = filters.as_args()
    return render_template(
        "desk/queue.html",
        listing=listing,
        filters=filters,
        counts=service.status_counts(),
        pending=service.pending_refunds(),
        target_hours=current_app.config["RESPONSE_TARGET_HOURS"],
        now=utcnow(),
        format_timedelta=format_timedelta,
        page_url=lambda number: url_for("desk.queue", page=number, **kept),
        status_url=lambda status: url_for("desk.queue", **{**kept, "status": status}),
    )


def _ticket_or_404(reference: str) -> Ticket:
    ticket = service.find_ticket(reference)
    if ticket is None:
        abort(404)
    return ticket


def render_ticket(
    reference: str,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The ticket page, with the errors and typed values of a refused form if any."""
    details = ticket_details(_ticket_or_404(reference))
    return render_template(
        "desk/ticket.html",
        d=details,
        t=details.ticket,
        errors=errors or {},
        values=values or {},
        agents=service.assignable_agents(),
        saved_replies=replies_for(details.ticket.lang),
        me=g.actor.user,
        actor_name=actor_name("desk"),
        threshold=current_app.config["REFUND_SECOND_APPROVAL_OVER"],
        target_hours=current_app.config["RESPONSE_TARGET_HOURS"],
    ), status


@bp.get("/tickets/<reference>")
@role_required("agent")
def ticket(reference: str) -> tuple[str, int]:
    """Everything about one ticket, and the actions its state allows (``?reply=`` inserts a saved one)."""
    chosen = request.args.get("reply", "")
    reply = None
    if chosen.isascii() and chosen.isdigit() and len(chosen) < 10:
        reply = db.session.get(SavedReply, int(chosen))
    return render_ticket(reference, values={"reply-message": reply.body} if reply is not None else None)


def _refused(reference: str, form: str, exc: TicketError) -> tuple[str, int]:
    """Show the page again with the error next to the form (write_transaction rolled back)."""
    values = {f"{form}-{name}": value for name, value in request.form.items()
              if name != "csrf_token"}
    return render_ticket(reference, {form: labels.error_text(exc.code, exc.message)}, values,
                         exc.status)


@bp.post("/tickets/<reference>/actions")
@role_required("agent")
def act(reference: str) -> ResponseReturnValue:
    """Run one action (approve, decline, reply, note…) through the tickets service."""
    action = request.form.get("action", "")
    fields = {name: request.form.get(name, "") for name in ACTION_FIELDS}
    try:
        with write_transaction():
            apply_action(
                _ticket_or_404(reference), action, actor_name("desk"), message=fields["message"],
                decline_reason=fields["reason"] or None, condition=fields["condition"] or None,
            )
    except TicketError as exc:
        return _refused(reference, action if action in labels.ACTIONS else "action", exc)
    flash(_("Done: %(action)s.", action=labels.ACTIONS.get(action, action)), "success")
    return redirect(url_for("desk.ticket", reference=reference))


@bp.post("/tickets/<reference>/refund")
@role_required("agent")
def refund(reference: str) -> ResponseReturnValue:
    """Refund within the caps; above the threshold it waits for a second agent."""
    try:
        with write_transaction():
            ticket = _ticket_or_404(reference)
            service.require_review_checked(ticket, request.form.get("review_checked") == "yes")
            created = issue_refund(
                ticket,
                # French agents type 12,50: the form accepts a decimal comma (the API does not).
                amount=request.form.get("amount", "").strip().replace(",", "."),
                goodwill=request.form.get("goodwill", "").strip().replace(",", "."),
                method=request.form.get("method", ""),
                actor=actor_name("desk"),
                actor_key=actor_identity(),
            )
            pending = created.status == RefundStatus.PENDING_CONFIRMATION
    except TicketError as exc:
        return _refused(reference, "refund", exc)
    if pending:
        flash(_("The refund waits for a second agent's confirmation."), "warning")
    else:
        flash(_("Refund recorded."), "success")
    return redirect(url_for("desk.ticket", reference=reference))


@bp.post("/refunds/<int:refund_id>/confirm")
@role_required("agent")
def confirm(refund_id: int) -> ResponseReturnValue:
    """The second agent confirms a large refund (never the agent who created it)."""
    reference = ""
    try:
        with write_transaction():
            pending = db.get_or_404(Refund, refund_id)
            reference = pending.ticket.reference
            confirm_refund(pending, actor_name("desk"), actor_identity())
    except TicketError as exc:
        return _refused(reference, "confirm", exc)
    flash(_("Refund confirmed."), "success")
    return redirect(url_for("desk.ticket", reference=reference))


@bp.post("/tickets/<reference>/assign")
@role_required("agent")
def assign_ticket(reference: str) -> ResponseReturnValue:
    """Assign the ticket to me, to another agent, or to nobody."""
    choice = request.form.get("agent", "")
    try:
        with write_transaction():
            target = _assignee(choice)
            assign(_ticket_or_404(reference), target, actor_name("desk"))
    except TicketError as exc:
        return _refused(reference, "assign", exc)
    flash(_("Assignment saved."), "success")
    if request.form.get("back") == "queue":
        return redirect(url_for("desk.queue"))
    return redirect(url_for("desk.ticket", reference=reference))


def _assignee(choice: str) -> User | None:
    """The user chosen in an assignment form: "me", "none" or a user id."""
    if choice == "me":
        return g.actor.user
    if choice == "none":
        return None
    valid = choice.isascii() and choice.isdigit() and len(choice) <= 9
    user = db.session.get(User, int(choice)) if valid else None
    if user is None:
        raise TicketError("invalid_assignee", "choose an agent", 400)
    return user


@bp.get("/tickets/<reference>/photos/<int:attachment_id>")
@role_required("agent")
def photo(reference: str, attachment_id: int) -> Response:
    """A shopper's photo, to staff only, from the uploads folder (never from static)."""
    attachment = db.get_or_404(Attachment, attachment_id)
    ticket = _ticket_or_404(reference)
    path = photo_path(attachment)
    if attachment.ticket_id != ticket.id or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.mime, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response

