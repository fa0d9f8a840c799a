"""The returns assistant's steps as plain functions, shared by the HTML pages and the API."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from kb.articles.models import Article
from kb.extensions import db
from kb.orders.facts import item_facts, order_facts
from kb.orders.models import Order, OrderItem
from kb.orders.records import normalise_order_number, normalise_transaction_id
from kb.policy import (
    Condition,
    Decision,
    Reason,
    decide,
    shop_today,
)
from kb.returns.models import WizardOutcome, WizardSession
from kb.returns.selfhelp import keys_for_lines
from kb.search import suggest_for
from kb.shop import current_policy
from kb.tickets.holds import reserved_quantities
from kb.tickets.service import token_hash
from kb.types import utcnow

SESSION_IDLE = timedelta(hours=1)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
MAX_NOTE = 2000

ORDER_CANCELLED = ("This order was cancelled, so it cannot be returned. If you have a question about it, "
                   "please contact us.")


class WizardError(Exception):
    """A step the shopper cannot take, with an API code, an HTTP status and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LineChoice:
    """What the shopper picked for one item."""

    sku: str
    quantity: int
    reason: str
    condition: str


@dataclass(frozen=True)
class Evaluated:
    """A line with its order item and the policy's decision."""

    choice: LineChoice
    item: OrderItem
    decision: Decision


def today() -> date:
    """Today in the shop's time zone (the one place the wizard reads the clock)."""
    return shop_today(current_policy(), utcnow())


# -- step 1: find the order -------------------------------------------------------------------

def lookup(
    *, email: str, order_number: str | None, transaction_id: str | None, lang: str, visit_id: str = ""
) -> tuple[WizardSession, str]:
    """Open a wizard session for the order that matches; the same error whatever is wrong."""
    order, receiptless = find_order(email=email, order_number=order_number, transaction_id=transaction_id)
    return open_session(order.id, lang=lang, receiptless=receiptless, visit_id=visit_id)


def find_order(*, email: str, order_number: str | None, transaction_id: str | None) -> tuple[Order, bool]:
    """The order these details name, and whether it was found without its receipt (reads only).

    Without its number the order is found by the payment transaction ID: a receipt-less return.
    The same error whatever is wrong.
    """
    email = (email or "").strip().lower()
    number = normalise_order_number(order_number)
    transaction = normalise_transaction_id(transaction_id) or ""
    if not EMAIL.match(email) or len(email) > 254:
        raise WizardError(400, "invalid_email", "Please enter the e-mail address used for the order.")
    if bool(number) == bool(transaction):
        raise WizardError(400, "missing_order", "Please enter the order number or the payment transaction ID.")
    if len(number) > 40 or len(transaction) > 80:
        raise WizardError(400, "invalid_order", "That order number or transaction ID is too long.")
    if number:
        # Rows imported before numbers were normalised may hold the shopper's exact spelling.
        raw = (order_number or "").strip()
        order = db.session.scalar(select(Order).where(Order.number.in_({number, raw})).limit(1))
    else:
        raw = (transaction_id or "").strip()
        order = db.session.scalar(select(Order).where(Order.transaction_id.in_({transaction, raw})).limit(1))
    # Compare in constant time, and answer the same for a wrong number and a wrong e-mail.
    if order is None or not secrets.compare_digest(order.email.encode(), email.encode()):
        raise WizardError(404, "order_not_found",
                          "We could not find an order with these details. Please check them and try again.")
    if order.cancelled_at is not None:
        raise WizardError(409, "order_cancelled", ORDER_CANCELLED)
    return order, not number


def open_session(order_id: int, *, lang: str, receiptless: bool, visit_id: str = "") -> tuple[WizardSession, str]:
    """Start a wizard session on a found order (by id); returns it with its secret token."""
    token = secrets.token_urlsafe(24)
    session = WizardSession(
        token_hash=token_hash(token), order_id=order_id, lang=lang, receiptless=receiptless,
        visit_id=visit_id[:40],
    )
    db.session.add(session)
    db.session.flush()
    return session, token


def load_session(token: str | None, *, touch: bool = True) -> WizardSession:
    """The live session for a token; it expires after an hour without activity.

    ``touch`` records the activity (a write); a read-only step passes False.
    """
    if not token or len(token) > 100:
        raise WizardError(404, "session_not_found", "Your returns session has expired. Please start again.")
    session = db.session.scalar(select(WizardSession).where(WizardSession.token_hash == token_hash(token)))
    if session is None or utcnow() - session.last_seen_at > SESSION_IDLE:
        raise WizardError(404, "session_not_found", "Your returns session has expired. Please start again.")
    if touch:
        session.last_seen_at = utcnow()
    return session


def returnable_quantities(order: Order) -> dict[str, int]:
    """For each SKU, how many can still go into a return."""
    reserved = reserved_quantities(order)
    return {item.sku: max(item.quantity - reserved.get(item.id, 0), 0) for item in order.items}


def order_summary(order: Order) -> dict[str, Any]:
    """The order as the API shows it to the shopper."""
    left = returnable_quantities(order)
    return {
        "number": order.number,
        "channel": order.channel,
        "currency": order.currency,
        "placed_at": order.placed_at.isoformat(),
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
        "seller": order.seller,
        "items": [
            {"sku": i.sku, "name": i.name, "category": i.category, "quantity": i.quantity,
             "unit_price": str(i.unit_price), "final_sale": i.final_sale,
             "returnable_quantity": left[i.sku]}
            for i in order.items
        ],
    }


def item_previews(session: WizardSession) -> list[tuple[OrderItem, int, Decision]]:
    """Each item with how many are left and what a change-of-mind return allows, for step 2."""
    order = session.order
    reserved = reserved_quantities(order)
    facts = order_facts(order)
    rows = []
    for item in order.items:
        left = max(item.quantity - reserved.get(item.id, 0), 0)
        decision = decide(current_policy(), facts, item_facts(item, reserved.get(item.id, 0)),
                          Reason.CHANGED_MIND, Condition.UNOPENED, today(), quantity=max(min(1, left), 1))
        rows.append((item, left, decision))
    return rows


# -- step 3 and 4: reasons, and self-help ---------------------------------------------------------

def parse_lines(raw: Any) -> list[LineChoice]:
    """Validate the items of a request: known codes, whole quantities, each SKU once."""
    if not isinstance(raw, list) or not raw:
        raise WizardError(400, "invalid_items", "Choose at least one item.")
    if len(raw) > 200:
        raise WizardError(400, "invalid_items", "Too many items.")
    lines, seen = [], set()
    reasons, conditions = {r.value for r in Reason}, {c.value for c in Condition}
    for entry in raw:
        if not isinstance(entry, dict):
            raise WizardError(400, "invalid_items", "Each item must be an object.")
        unknown = set(entry) - {"sku", "quantity", "reason", "condition"}
        if unknown:
            raise WizardError(400, "invalid_items", f"Unknown item field: {', '.join(sorted(unknown))}.")
        sku, quantity = entry.get("sku"), entry.get("quantity", 1)
        reason, condition = entry.get("reason"), entry.get("condition")
        if not isinstance(sku, str) or not sku or len(sku) > 64:
            raise WizardError(400, "invalid_items", "Each item needs its sku.")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
            raise WizardError(400, "invalid_quantity", f"The quantity for {sku} must be a whole number from 1.")
        if reason not in reasons:
            raise WizardError(400, "invalid_reason", f"Choose a reason for {sku}.")
        if condition not in conditions:
            raise WizardError(400, "invalid_condition", f"Choose the condition of {sku}.")
        if sku in seen:
            raise WizardError(400, "invalid_items", f"{sku} is listed twice.")
        seen.add(sku)
        lines.append(LineChoice(sku, quantity, reason, condition))
    return lines


def evaluate(session: WizardSession, lines: list[LineChoice], when: date | None = None) -> list[Evaluated]:
    """The policy's decision for each chosen line of the session's order."""
    order = session.order
    by_sku = {item.sku: item for item in order.items}
    reserved = reserved_quantities(order)
    facts = order_facts(order)
    evaluated = []
    for line in lines:
        item = by_sku.get(line.sku)
        if item is None:
            raise WizardError(400, "unknown_sku", f"{line.sku} is not part of this order.")
        if line.quantity > item.quantity:
            raise WizardError(400, "invalid_quantity", f"The order has only {item.quantity} of {line.sku}.")
        decision = decide(current_policy(), facts, item_facts(item, reserved.get(item.id, 0)),
                          Reason(line.reason), Condition(line.condition), when or today(),
                          quantity=line.quantity)
        evaluated.append(Evaluated(line, item, decision))
    return evaluated


def clean_note(note: Any) -> str:
    """The shopper's note, trimmed ("" for none); WizardError if not text or over MAX_NOTE."""
    if note is None:
        return ""
    if not isinstance(note, str):
        raise WizardError(400, "invalid_note", "The note must be text.")
    if len(note) > MAX_NOTE:
        raise WizardError(400, "invalid_note", f"The note may have at most {MAX_NOTE} characters.")
    return note.strip()


def advise(session: WizardSession, lines: list[LineChoice], note: Any) -> tuple[list[Evaluated], list[Article], str]:
    """Decide each line and find the articles that answer the case (reads only)."""
    evaluated = evaluate(session, lines)
    note_text = clean_note(note)
    keys, never = keys_for_lines([(e.decision, e.choice.reason) for e in evaluated])
    articles = suggest_for(keys, note_text, session.lang, exclude=never)
    return evaluated, articles, note_text


def remember_offer(session: WizardSession, lines: list[LineChoice], note_text: str, offered: list[str]) -> None:
    """Remember what the shopper chose and which articles were offered (the self-help step)."""
    session.selection_json = json.dumps([line.__dict__ for line in lines])
    session.note = note_text
    session.offered_json = json.dumps(offered)
    session.offered_at = utcnow()


def self_help(session: WizardSession, lines: list[LineChoice], note: Any) -> tuple[list[Evaluated], list[Article]]:
    """Decide each line and find the articles that answer the case; remember what was offered."""
    evaluated, articles, note_text = advise(session, lines, note)
    remember_offer(session, lines, note_text, [a.key for a in articles])
    return evaluated, articles


def selection(session: WizardSession) -> list[LineChoice]:
    """The lines the shopper chose in the self-help step."""
    return [LineChoice(**entry) for entry in json.loads(session.selection_json or "[]")]


def mark_opened(session: WizardSession, article_key: str) -> None:
    """Remember that the shopper opened one of the offered articles."""
    opened = json.loads(session.opened_json or "[]")
    if article_key not in opened:
        opened.append(article_key[:80])
        session.opened_json = json.dumps(opened)


def deflect(session: WizardSession, article_key: str | None) -> None:
    """The shopper's problem was solved by self-help: no ticket."""
    if session.outcome == WizardOutcome.TICKET:
        raise WizardError(409, "already_ticketed", "A return was already created in this session.")
    if session.offered_at is None:
        raise WizardError(409, "self_help_first", "Choose your items and reason first.")
    offered = json.loads(session.offered_json or "[]")
    if article_key is not None and (not isinstance(article_key, str) or article_key not in offered):
        raise WizardError(400, "unknown_article", "That article was not offered in this session.")
    session.outcome = WizardOutcome.DEFLECTED
    session.deflected_key = article_key
    session.ended_at = utcnow()
