"""Everything about one ticket, gathered so that an agent never has to ask the shopper twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from kb.articles.models import Article, ArticleStatus
from kb.contact.models import ContactRequest
from kb.desk.service import agent_names, is_overdue, waiting_since
from kb.extensions import db
from kb.orders.models import Order, OrderItem
from kb.policy import Store
from kb.returns.models import WizardSession
from kb.shop import current_policy
from kb.tickets.models import Attachment, Refund, RefundStatus, Ticket, TicketEvent, TicketItem
from kb.tickets.refunds import RefundLimits, refund_limits
from kb.tickets.states import Action, allowed_actions


@dataclass(frozen=True)
class OrderLine:
    """One line of the order, with the part of it this ticket covers (if any)."""

    item: OrderItem
    covered: TicketItem | None

    @property
    def line_total(self) -> Decimal:
        """What the shopper paid for the whole line."""
        return self.item.unit_price * self.item.quantity


@dataclass(frozen=True)
class ArticleSeen:
    """An article the wizard offered, and whether the shopper opened it."""

    key: str
    title: str
    lang: str | None
    slug: str | None
    opened: bool


@dataclass(frozen=True)
class TicketDetails:
    """The ticket page's facts: order, decision, choices, self-help, money, history, photos."""

    ticket: Ticket
    order: Order | None  # a question may have none
    lines: list[OrderLine]
    store: Store | None
    articles: list[ArticleSeen]
    opened_elsewhere: list[str]
    limits: RefundLimits
    refunds: list[Refund]
    events: list[TicketEvent]
    attachments: list[Attachment]
    actions: list[Action]
    assignee: str | None
    waiting_since: datetime | None
    overdue: bool

    @property
    def pending_refunds(self) -> list[Refund]:
        """Refunds of this ticket waiting for a second agent."""
        return [r for r in self.refunds if r.status == RefundStatus.PENDING_CONFIRMATION]

    @property
    def can_refund(self) -> bool:
        """Whether the state machine allows a refund now."""
        return Action.REFUND in self.actions

    @property
    def form_actions(self) -> list[Action]:
        """The allowed actions that have their own form (refunds have theirs)."""
        return [a for a in self.actions if a != Action.REFUND]


def ticket_details(ticket: Ticket) -> TicketDetails:
    """Gather the ticket page's facts for ``ticket``."""
    order = db.session.get(Order, ticket.order_id) if ticket.order_id is not None else None
    if order is None and not ticket.is_question:  # a return's order is never deleted (foreign key)
        raise LookupError(f"ticket {ticket.reference} has no order")
    covered = {item.order_item_id: item for item in ticket.items}
    lines = [OrderLine(item, covered.get(item.id)) for item in order.items] if order else []
    store = next((s for s in current_policy().stores if s.code == ticket.store_code), None)
    articles, opened_elsewhere = _self_help(ticket)
    waiting = waiting_since([ticket])[ticket.id]
    names = agent_names({ticket.assigned_to_id} if ticket.assigned_to_id else set())
    return TicketDetails(
        ticket=ticket,
        order=order,
        lines=lines,
        store=store,
        articles=articles,
        opened_elsewhere=opened_elsewhere,
        limits=refund_limits(ticket),
        refunds=list(ticket.refunds),
        events=list(ticket.events),
        attachments=list(ticket.attachments),
        actions=allowed_actions(ticket.status, ticket.kind),
        assignee=names.get(ticket.assigned_to_id or 0),
        waiting_since=waiting,
        overdue=is_overdue(waiting),
    )


def _self_help(ticket: Ticket) -> tuple[list[ArticleSeen], list[str]]:
    """The articles the wizard (or the contact form) offered, opened or not, and any opened
    that were not offered."""
    session: WizardSession | ContactRequest | None
    if ticket.is_question:
        session = db.session.scalar(select(ContactRequest).where(ContactRequest.ticket_id == ticket.id))
    else:
        session = db.session.get(WizardSession, ticket.session_id) if ticket.session_id else None
    if session is None:
        return [], []
    offered = _keys(session.offered_json)
    opened = _keys(session.opened_json)
    found = _articles(offered, ticket.lang)
    seen = []
    for key in offered:
        article = found.get(key)
        seen.append(ArticleSeen(key=key, title=article.title if article else key,
                                lang=article.lang if article else None,
                                slug=article.slug if article else None, opened=key in opened))
    return seen, [key for key in opened if key not in offered]


def _keys(raw: str | None) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(key) for key in value] if isinstance(value, list) else []


def _articles(keys: list[str], lang: str) -> dict[str, Article]:
    """Published articles by key, in the ticket's language when it exists."""
    if not keys:
        return {}
    rows = db.session.scalars(
        select(Article).where(Article.key.in_(keys), Article.status == ArticleStatus.PUBLISHED)
    )
    found: dict[str, Article] = {}
    for article in rows:
        if article.key not in found or article.lang == lang:
            found[article.key] = article
    return found
