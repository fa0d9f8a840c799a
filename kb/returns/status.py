"""A return's status page and printable slip, behind the ticket's secret token."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from kb.database import write_transaction
from kb.extensions import db
from kb.returns.models import Order
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


def qr_svg(text: str) -> Markup:
    """An inline SVG QR code (no external service, no image file)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    # Safe: qrcode draws only paths from our own reference, never shopper text.
    return Markup(svg[svg.index("<svg") :])  # nosec B704


@bp.route("/<lang:lang>/returns/status/<reference>", methods=["GET", "POST"])
def status(lang: str, reference: str) -> Response | str:
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
    store = next((s for s in current_policy().stores if s.code == ticket.store_code), None)
    return render_template(
        "returns/status.html", ticket=ticket, token=token, order=order, events=events, store=store,
        new=request.args.get("new") == "1",
    )


@bp.get("/<lang:lang>/returns/status/<reference>/slip")
def slip(lang: str, reference: str) -> str:
    """A printable return slip: the reference as a QR code, the items, where they go."""
    ticket, token = _ticket_or_404(reference)
    if ticket.is_question:  # questions have nothing to send back
        abort(404)
    order = db.session.get(Order, ticket.order_id)
    store = next((s for s in current_policy().stores if s.code == ticket.store_code), None)
    names = {item.sku: item.name for item in order.items} if order else {}
    return render_template("returns/slip.html", ticket=ticket, token=token, order=order, store=store,
                           names=names, qr=qr_svg(ticket.reference))
