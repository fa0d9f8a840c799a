"""The agents' queue: which tickets, in what order, filtered how, and which ones wait too long."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, false, func, or_, select

from kb.auth.models import Role, User
from kb.errors import KbError
from kb.extensions import db
from kb.orders.models import Order, OrderItem
from kb.policy import Channel, Reason
from kb.tickets.models import Refund, RefundStatus, Ticket, TicketEvent, TicketItem, TicketKind, TicketStatus
from kb.tickets.service import TicketError
from kb.types import utcnow

PER_PAGE = 25
MAX_PER_PAGE = 100
# Tickets an agent still has something to do on; the queue shows these unless asked otherwise.
OPEN_STATUSES = (
    TicketStatus.NEEDS_REVIEW,
    TicketStatus.APPROVED,
    TicketStatus.RECEIVED,
    TicketStatus.REFUNDED,
    TicketStatus.EXCHANGED,
    TicketStatus.REPAIRED,
)
STATUS_CHOICES = ("open", "all", *(s.value for s in TicketStatus))
REASON_CHOICES = tuple(r.value for r in Reason)
CHANNEL_CHOICES = tuple(c.value for c in Channel)
LANG_CHOICES = ("en", "fr")
AGE_CHOICES = (1, 3, 7)
ASSIGNED_CHOICES = ("me", "none")
KIND_CHOICES = tuple(k.value for k in TicketKind)
# Events written by the shopper: the ticket waits for the desk from the last one of these.
SHOPPER_EVENTS = ("opened", "asked", "shopper_reply")
MAX_QUERY = 254  # the longest e-mail address


class FilterError(KbError, ValueError):
    """A queue filter with a value the queue does not know."""

    def __init__(self, name: str, allowed: tuple[object, ...]) -> None:
        super().__init__(400, f"invalid_{name}", f"{name} must be one of: {', '.join(str(a) for a in allowed)}")
        self.name = name


@dataclass(frozen=True)
class QueueFilters:
    """What the agent narrowed the queue to; None means any."""

    status: str | None = "open"
    reason: str | None = None
    channel: str | None = None
    lang: str | None = None
    older_than_days: int | None = None
    assigned: str | None = None  # "me", "none", or None for everyone's
    kind: str | None = None  # "return", "question", or None for both
    query: str | None = None  # an order number, an e-mail address or a ticket reference

    def as_args(self) -> dict[str, str]:
        """The filters as URL query arguments (to keep them across pages)."""
        args = {"status": self.status or "all", "reason": self.reason, "channel": self.channel,
                "lang": self.lang, "age": self.older_than_days, "assigned": self.assigned,
                "q": self.query, "kind": self.kind}
        return {name: str(value) for name, value in args.items() if value is not None}


@dataclass(frozen=True)
class QueueRow:
    """A ticket in the queue, with who has it and since when it waits for us."""

    ticket: Ticket
    assignee: str | None
    waiting_since: datetime | None
    overdue: bool
    order_number: str = ""
    item_names: tuple[str, ...] = ()


RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Page(Generic[RowT]):
    """One page of a desk listing (the queue, the unmapped products): its rows and where it stands."""

    rows: list[RowT]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // self.per_page)))


def parse_filters(args: Mapping[str, str], *, strict: bool) -> QueueFilters:
    """Read the queue filters from query arguments; strict (API) refuses unknown values."""

    def pick(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        """One argument's value if known; else the default (page) or FilterError (API)."""
        value = (args.get(name) or "").strip()
        if not value:
            return default
        if value in allowed:
            return value
        if strict:
            raise FilterError(name, allowed)
        return default  # a page keeps working when an old bookmark has a stale filter

    query = " ".join((args.get("q") or "").split())
    if len(query) > MAX_QUERY:
        if strict:
            raise FilterError("q", (f"at most {MAX_QUERY} characters",))
        query = query[:MAX_QUERY]
    # A search looks through every status unless the agent also picked one.
    status = pick("status", STATUS_CHOICES, "open" if not (strict or query) else "all")
    age = pick("age", tuple(str(days) for days in AGE_CHOICES))
    return QueueFilters(
        status=None if status == "all" else status,
        reason=pick("reason", REASON_CHOICES),
        channel=pick("channel", CHANNEL_CHOICES),
        lang=pick("lang", LANG_CHOICES),
        older_than_days=int(age) if age else None,
        assigned=pick("assigned", ASSIGNED_CHOICES),
        kind=pick("kind", KIND_CHOICES),
        query=query or None,
    )


def parse_page(args: Mapping[str, str], *, strict: bool) -> tuple[int, int]:
    """The page number and page size from query arguments (the desk always shows 25)."""
    numbers = []
    for name, default, highest in (("page", 1, 100_000), ("per_page", PER_PAGE, MAX_PER_PAGE)):
        raw = (args.get(name) or "").strip()
        if not raw:
            numbers.append(default)
        elif (raw.isascii() and raw.isdigit()) and 1 <= int(raw) <= highest:
            numbers.append(int(raw))
        elif strict:
            raise FilterError(name, (f"a whole number from 1 to {highest}",))
        else:
            numbers.append(default)
    page, per_page = numbers
    return page, per_page if strict else PER_PAGE


def _filtered(query: Select, filters: QueueFilters, me: int | None) -> Select:
    if filters.status == "open":
        query = query.where(Ticket.status.in_([str(s) for s in OPEN_STATUSES]))
    elif filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.reason:
        query = query.where(Ticket.reason == filters.reason)
    if filters.channel:
        query = query.where(Ticket.channel == filters.channel)
    if filters.lang:
        query = query.where(Ticket.lang == filters.lang)
    if filters.kind:
        query = query.where(Ticket.kind == filters.kind)
    if filters.older_than_days:
        query = query.where(Ticket.created_at < utcnow() - timedelta(days=filters.older_than_days))
    if filters.assigned == "me":
        # An API token is nobody: "me" then matches no ticket (never the unassigned ones).
        query = query.where(Ticket.assigned_to_id == me if me is not None else false())
    elif filters.assigned == "none":
        query = query.where(Ticket.assigned_to_id.is_(None))
    if filters.query:
        query = query.where(_matches(filters.query))
    return query


def _matches(text: str) -> ColumnElement[bool]:
    """Tickets whose reference, shopper e-mail or order number is ``text`` (any case, "#" ignored)."""
    if "@" in text:
        return Ticket.email == text.lower()
    code = text.lstrip("#").strip().upper()
    orders = select(Order.id).where(func.upper(Order.number) == code)
    return or_(Ticket.reference == code, Ticket.order_id.in_(orders))


def queue_page(
    filters: QueueFilters, page: int = 1, per_page: int = PER_PAGE, me: int | None = None
) -> Page[QueueRow]:
    """The tickets matching the filters, oldest first, one page of them."""
    total = db.session.scalar(_filtered(select(func.count(Ticket.id)), filters, me)) or 0
    tickets = db.session.scalars(
        _filtered(select(Ticket), filters, me)
        .order_by(Ticket.created_at, Ticket.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(queue_rows(list(tickets)), total, page, per_page)


def queue_rows(tickets: list[Ticket]) -> list[QueueRow]:
    """Tickets with their order, items, assignee and how long they have waited for the desk."""
    waiting = waiting_since(tickets)
    names = agent_names({t.assigned_to_id for t in tickets if t.assigned_to_id})
    numbers: dict[int, str] = {}
    if tickets:
        found = db.session.execute(select(Order.id, Order.number).where(Order.id.in_({t.order_id for t in tickets})))
        numbers = {order_id: number for order_id, number in found}
    items = _item_names([t.id for t in tickets])
    return [
        QueueRow(t, names.get(t.assigned_to_id or 0), waiting[t.id], is_overdue(waiting[t.id]),
                 numbers.get(t.order_id, "") if t.order_id is not None else "", items.get(t.id, ()))
        for t in tickets
    ]


def _item_names(ticket_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The product names of each ticket's items, in the ticket's order, in one query."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(TicketItem.ticket_id, OrderItem.name)
        .join(OrderItem, OrderItem.id == TicketItem.order_item_id)
        .where(TicketItem.ticket_id.in_(ticket_ids))
        .order_by(TicketItem.id)
    )
    names: dict[int, list[str]] = {}
    for ticket_id, name in rows:
        names.setdefault(ticket_id, []).append(name)
    return {ticket_id: tuple(found) for ticket_id, found in names.items()}


def waiting_since(tickets: list[Ticket]) -> dict[int, datetime | None]:
    """When each ticket's shopper last wrote without a public answer since (None: answered)."""
    ids = [t.id for t in tickets]
    if not ids:
        return {}
    last_shopper = dict(db.session.execute(
        select(TicketEvent.ticket_id, func.max(TicketEvent.created_at))
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.kind == "shopper_reply")
        .group_by(TicketEvent.ticket_id)
    ).all())
    # Anything public from our side answers the shopper (the policy's automatic approval too);
    # internal notes and assignments do not.
    last_answer = dict(db.session.execute(
        select(TicketEvent.ticket_id, func.max(TicketEvent.created_at))
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.public.is_(True),
               TicketEvent.kind.not_in(SHOPPER_EVENTS))
        .group_by(TicketEvent.ticket_id)
    ).all())
    result: dict[int, datetime | None] = {}
    for ticket in tickets:
        # The ticket's own creation time is the "opened" event (moving it moves the wait).
        asked = max(_aware(last_shopper.get(ticket.id)) or ticket.created_at, ticket.created_at)
        answered = _aware(last_answer.get(ticket.id))
        result[ticket.id] = asked if answered is None or answered < asked else None
    return result


def _aware(value: datetime | None) -> datetime | None:
    # Guard for drivers that hand aggregates back without the column type's UTC tagging.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def response_target() -> timedelta:
    """How long a shopper may wait for an answer (RESPONSE_TARGET_HOURS)."""
    return timedelta(hours=float(current_app.config.get("RESPONSE_TARGET_HOURS") or 24))


def is_overdue(since: datetime | None, now: datetime | None = None) -> bool:
    """Whether a ticket waiting since ``since`` has passed the response target."""
    return since is not None and (now or utcnow()) - since > response_target()


def status_counts() -> dict[str, int]:
    """How many tickets are in each status (every status listed, zero included)."""
    rows = db.session.execute(select(Ticket.status, func.count(Ticket.id)).group_by(Ticket.status))
    counts = {status.value: 0 for status in TicketStatus}
    counts.update({status: int(count) for status, count in rows})
    return counts


def agent_names(ids: set[int]) -> dict[int, str]:
    """Display names of the given staff members."""
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {user_id: name or email for user_id, name, email in rows}


def assignable_agents() -> list[User]:
    """Active staff who may work tickets (agents and admins), by name."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_([Role.AGENT, Role.ADMIN]))
        .order_by(User.name, User.email)
    ))


def pending_refunds() -> list[Refund]:
    """Refunds over the threshold that wait for a second agent, oldest first."""
    return list(db.session.scalars(
        select(Refund).where(Refund.status == RefundStatus.PENDING_CONFIRMATION).order_by(Refund.created_at)
    ))


def find_ticket(reference: str) -> Ticket | None:
    """The ticket with this reference (case does not matter)."""
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference.upper()[:12]))


def require_review_checked(ticket: Ticket, confirmed: bool) -> None:
    """Refuse a refund on a ticket still under review unless the agent confirmed its reasons.

    One click once refunded a flagged frequent returner whose parcel never came back: the
    agent must approve the ticket first, or say they checked why it was flagged.
    """
    if ticket.status == TicketStatus.NEEDS_REVIEW and not confirmed:
        reasons = ", ".join(ticket.review_reasons) or "review"
        raise TicketError(
            "review_not_checked",
            f"the ticket is still under review ({reasons}): approve it first, or confirm the review reasons",
            409,
        )
