"""A return's status page and printable slip, behind the ticket's secret token."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.database import write_transaction
from kb.extensions import db
from kb.orders.models import Order
from kb.returns.label import code128_svg, dropoff_code, qr_svg, return_by
from kb.returns.wizard import bp
from kb.shop import current_policy
from kb.tickets.models import Ticket
from kb.tickets.service import TicketError, find_ticket_for_shopper, shopper_reply


def _ticket_or_404(reference: str) -> tuple[Ticket, str]:
    token = request.values.get("token", "")
    ticket = find_ticket_for_shopper(reference, token)
    if ticket is None:
        # A wrong, cut or old link: say so, and offer to send the links again.
        abort(make_response(render_template("returns/link_invalid.html"), 404))
    return ticket, token


@bp.route("/<lang:lang>/returns/status/<reference>", methods=["GET", "POST"])
def status(lang: str, reference: str) -> ResponseReturnValue:
    """The shopper's view of a return: status, instructions, history, and replies."""
    ticket, token = _ticket_or_404(reference)
    if request.method == "POST":
        try:
            with write_transaction():
                ticket, token = _ticket_or_404(reference)
                shopper_reply(ticket, request.form.get("message", ""))
            flash(_("Your message has been sent to our team."), "success")
        except TicketError:
            flash(_("Please write a message (at most 5,000 characters)."), "error")
        return redirect(url_for("wizard.status", lang=lang, reference=ticket.reference, token=token))
    order = db.session.get(Order, ticket.order_id) if ticket.order_id is not None else None
    events = [e for e in ticket.events if e.public]
    if ticket.is_question:  # a question from the contact form: what was asked, and the answers
        return render_template("returns/question_status.html", ticket=ticket, token=token,
                               order=order, events=events)
    policy = current_policy()
    store = next((s for s in policy.stores if s.code == ticket.store_code), None)
    return render_template(
        "returns/status.html", ticket=ticket, token=token, order=order, events=events, store=store,
        new=request.args.get("new") == "1", names=_names(order), carrier=policy.carrier,
        ship_by=return_by(ticket, policy),
    )


def _names(order: Order | None) -> dict[str, str]:
    """Product names by SKU: shoppers know their items by name, not by code."""
    return {item.sku: item.name for item in order.items} if order else {}


@bp.get("/<lang:lang>/returns/status/<reference>/slip")
def slip(lang: str, reference: str) -> str:
    """The printable return label (carrier, drop-off) or slip (store): address, codes, items, date."""
    ticket, token = _ticket_or_404(reference)
    if ticket.is_question:  # questions have nothing to send back
        abort(404)
    order = db.session.get(Order, ticket.order_id)
    policy = current_policy()
    store = next((s for s in policy.stores if s.code == ticket.store_code), None)
    return render_template(
        "returns/slip.html", ticket=ticket, token=token, order=order, store=store, names=_names(order),
        barcode=code128_svg(ticket.reference), qr=qr_svg(ticket.reference),
        dropoff_qr=qr_svg(dropoff_code(ticket, policy)) if ticket.method == "dropoff" else None,
        ship_by=return_by(ticket, policy), carrier=policy.carrier, address=policy.return_address,
    )
