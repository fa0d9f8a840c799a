"""What the shopper and the shop hear about a ticket: e-mails and webhooks via the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from kb.catalogue.service import exchange_choices
from kb.extensions import db
from kb.mail.service import queue_email, queue_webhooks
from kb.orders.models import Order, OrderItem

if TYPE_CHECKING:
    from kb.tickets.models import Ticket

WEBHOOK_EVENTS = ("opened", "approved", "declined", "received", "refunded", "exchanged",
                  "repaired", "closed")
# Events the shopper is e-mailed about (beyond the confirmation), with the status link.
SHOPPER_EVENTS = ("approved", "declined", "received", "refunded", "exchanged", "repaired", "reply")


def status_url(ticket: Ticket, token: str) -> str:
    """The secret link to the ticket's status page."""
    base = current_app.config.get("BASE_URL")
    path = url_for("wizard.status", lang=ticket.lang, reference=ticket.reference, token=token)
    if base:
        return base.rstrip("/") + path
    return url_for("wizard.status", lang=ticket.lang, reference=ticket.reference, token=token,
                   _external=True)


def ticket_opened(ticket: Ticket, token: str) -> None:
    """The confirmation e-mail, in the shopper's language, with the status link."""
    with force_locale(ticket.lang):
        link = status_url(ticket, token)
        if ticket.is_question:
            subject = _("Your question %(reference)s", reference=ticket.reference)
            body = render_template("mail/question_opened.txt", ticket=ticket, link=link)
        else:
            subject = _("Your return %(reference)s", reference=ticket.reference)
            body = render_template("mail/ticket_opened.txt", ticket=ticket, link=link, names=_item_names(ticket))
    queue_email(ticket.email, subject, body)


def ticket_event(ticket: Ticket, kind: str, message: str = "") -> None:
    """Tell the shopper that something happened (the status page has the details)."""
    if kind not in SHOPPER_EVENTS:
        return
    from kb.tickets.service import status_token

    link = status_url(ticket, status_token(ticket))
    with force_locale(ticket.lang):
        if ticket.is_question:
            subject = _("Answer to your question %(reference)s", reference=ticket.reference)
        else:
            subject = _("Update on your return %(reference)s", reference=ticket.reference)
        body = render_template(
            "mail/ticket_event.txt", ticket=ticket, kind=kind, message=message, link=link
        )
    queue_email(ticket.email, subject, body)


def webhooks_for(ticket: Ticket, kind: str, data: dict[str, Any]) -> None:
    """Queue the shop's webhooks for the events they carry out (refunds, exchanges…)."""
    if kind not in WEBHOOK_EVENTS or ticket.is_question:  # the shop acts on returns only
        return
    queue_webhooks(
        f"ticket.{kind}",
        {
            "reference": ticket.reference,
            "status": ticket.status,
            "order_number": ticket.order_id and _order_number(ticket),
            "resolution": ticket.resolution,
            "method": ticket.method,
            "currency": ticket.currency,
            # For an exchange: what the shopper wants instead, and its SKU when chosen from the catalogue.
            "exchange_variant": ticket.exchange_variant or None,
            "exchange_sku": _exchange_sku(ticket),
            "data": data,
        },
    )


def _exchange_sku(ticket: Ticket) -> str | None:
    """The SKU of the variant chosen for an exchange, when it was one the catalogue offered."""
    if ticket.resolution != "exchange" or not ticket.exchange_variant:
        return None
    # Stock may have run out since: look among all the products' variants.
    choices = exchange_choices(list(_item_names(ticket)), in_stock_only=False)
    return next((c.sku for c in choices if c.label == ticket.exchange_variant), None)


def _order_number(ticket: Ticket) -> str | None:
    order = db.session.get(Order, ticket.order_id)
    return order.number if order else None


def _item_names(ticket: Ticket) -> dict[str, str]:
    """The ticket's products by SKU: shoppers know them by name."""
    ids = [item.order_item_id for item in ticket.items]
    return {item.sku: item.name for item in db.session.scalars(select(OrderItem).where(OrderItem.id.in_(ids)))}
