"""A lost status link: e-mail an order's return links again, to the order's own address.

The answer is the same whether anything matched or not, so nobody learns from it whether an
order exists; the work is done the same way too, so the time taken does not tell either.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kb.config import LANGUAGES
from kb.database import write_transaction
from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.mail.service import queue_email
from kb.returns.wizard_service import WizardError, find_order
from kb.tickets.models import Ticket
from kb.tickets.service import status_token
from kb.types import utcnow

# What the shopper reads after asking, whatever happened.
CONFIRMATION = _l("If an order matches, we've e-mailed its return links to the address on the order.")
# A second request for the same order within this time sends nothing more (no mail flood).
COOLDOWN = timedelta(minutes=2)


def status_link(ticket: Ticket, lang: str) -> str:
    """The secret link to a return's status page, in ``lang``."""
    token = status_token(ticket)
    base = current_app.config.get("BASE_URL")
    if base:
        path = url_for("wizard.status", lang=lang, reference=ticket.reference, token=token)
        return str(base).rstrip("/") + path
    return url_for("wizard.status", lang=lang, reference=ticket.reference, token=token, _external=True)


def resend_links(*, email: str, order_number: str | None, transaction_id: str | None,
                 lang: str | None) -> bool:
    """E-mail the status links of the order's returns to the order's address; True if it matched.

    Bad input (no e-mail, no order number or transaction ID, too long) raises WizardError 400;
    a wrong number or e-mail does not: callers answer the same whatever this returns.
    """
    try:
        order, _receiptless = find_order(email=email, order_number=order_number, transaction_id=transaction_id)
    except WizardError as exc:
        if exc.code != "order_not_found":
            raise
        order = None
    # The same reads, rendering and write transaction with or without a match.
    order_id = order.id if order is not None else 0
    tickets = list(db.session.scalars(
        select(Ticket).where(Ticket.order_id == order_id).order_by(Ticket.created_at, Ticket.id)))
    if lang not in LANGUAGES:
        lang = tickets[-1].lang if tickets and tickets[-1].lang in LANGUAGES else LANGUAGES[0]
    recipient = order.email if order is not None else ""
    number = order.number if order is not None else (order_number or "")
    with force_locale(lang):
        subject = _("Your return links for order %(number)s", number=number)
        links = [(ticket, status_link(ticket, lang)) for ticket in tickets]
        start = url_for("wizard.start", lang=lang, _external=True)
        body = render_template("mail/return_links.txt", number=number, links=links, start=start)
    with write_transaction():
        recent = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.recipient == recipient, OutboxMessage.subject == subject,
            OutboxMessage.created_at >= utcnow() - COOLDOWN).limit(1))
        if order is not None and recent is None:
            queue_email(recipient, subject, body)
    return order is not None
