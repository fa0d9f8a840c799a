"""The contact form's steps as plain functions: read the question, offer articles, send it."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from kb.articles.models import Article, ArticleStatus
from kb.contact.models import ContactRequest
from kb.extensions import db
from kb.orders.models import Order
from kb.returns.models import WizardOutcome
from kb.search import search_articles
from kb.tickets.models import Ticket
from kb.tickets.service import open_question, token_hash
from kb.types import utcnow

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$")
MAX_SUBJECT = 200
MAX_MESSAGE = 5000
MAX_ORDER_NUMBER = 40
OFFERED = 4  # articles shown before the question can be sent
REQUEST_IDLE = timedelta(hours=1)  # as long as an assistant session


class ContactError(Exception):
    """A step the shopper cannot take now (an expired or finished request)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Question:
    """What the shopper typed into the contact form, trimmed."""

    email: str
    subject: str
    message: str
    order_number: str


def read_question(form: Mapping[str, str]) -> tuple[Question, dict[str, str]]:
    """The question from the form's fields, and an error code per field that is wrong."""
    question = Question(
        email=(form.get("email") or "").strip().lower(),
        subject=" ".join((form.get("subject") or "").split()),
        message=(form.get("message") or "").strip(),
        order_number=(form.get("order_number") or "").strip().upper(),
    )
    errors: dict[str, str] = {}
    if not question.message:
        errors["message"] = "missing_message"
    elif len(question.message) > MAX_MESSAGE:
        errors["message"] = "message_too_long"
    if len(question.email) > 254 or not EMAIL.match(question.email):
        errors["email"] = "invalid_email"
    if len(question.subject) > MAX_SUBJECT:
        errors["subject"] = "subject_too_long"
    if len(question.order_number) > MAX_ORDER_NUMBER:
        errors["order_number"] = "order_number_too_long"
    return question, errors


def matching_articles(question: Question, lang: str) -> list[str]:
    """Keys of the published articles that answer the question best (a plain search)."""
    text = f"{question.subject} {question.message}"
    return [hit.key for hit in search_articles(text, lang, limit=OFFERED).hits]


def start_request(question: Question, lang: str, visit_id: str = "") -> tuple[ContactRequest, str]:
    """Remember the question and the articles offered for it; returns it with its secret token."""
    token = secrets.token_urlsafe(24)
    request = ContactRequest(
        token_hash=token_hash(token), lang=lang, email=question.email, subject=question.subject,
        message=question.message, order_number=question.order_number,
        offered_json=json.dumps(matching_articles(question, lang)), visit_id=visit_id[:40],
    )
    db.session.add(request)
    forget_abandoned()
    db.session.flush()
    return request, token


def forget_abandoned() -> None:
    """Drop the words of questions left on the form past their expiry: nobody can send them now."""
    expired = utcnow() - REQUEST_IDLE
    db.session.execute(
        update(ContactRequest)
        .where(ContactRequest.created_at < expired, ContactRequest.last_seen_at < expired,
               ContactRequest.outcome == WizardOutcome.OPEN, ContactRequest.email != "")
        .values(email="", subject="", message="", order_number="")
        .execution_options(synchronize_session=False)
    )


def load_request(token: str | None) -> ContactRequest:
    """The open request of this token; it expires after an hour without activity."""
    if not token or len(token) > 100:
        raise ContactError("request_not_found", "Your question has expired. Please ask it again.")
    found = db.session.scalar(select(ContactRequest).where(ContactRequest.token_hash == token_hash(token)))
    if found is None or found.outcome != WizardOutcome.OPEN or utcnow() - found.last_seen_at > REQUEST_IDLE:
        raise ContactError("request_not_found", "Your question has expired. Please ask it again.")
    return found


def offered_articles(request: ContactRequest) -> list[Article]:
    """The offered articles, in the order they were offered (those still published)."""
    keys = _keys(request.offered_json)
    if not keys:
        return []
    rows = db.session.scalars(select(Article).where(
        Article.key.in_(keys), Article.lang == request.lang, Article.status == ArticleStatus.PUBLISHED))
    by_key = {article.key: article for article in rows}
    return [by_key[key] for key in keys if key in by_key]


def mark_opened(request: ContactRequest, article_key: str) -> None:
    """Remember that the shopper opened one of the offered articles."""
    opened = _keys(request.opened_json)
    if article_key not in opened:
        request.opened_json = json.dumps([*opened, article_key[:80]])
    request.last_seen_at = utcnow()


def deflect(request: ContactRequest, article_key: str | None) -> None:
    """An article answered the question: no ticket, and the shopper's words are dropped."""
    if article_key is not None and article_key not in _keys(request.offered_json):
        raise ContactError("unknown_article", "That article was not offered for this question.")
    request.outcome = WizardOutcome.DEFLECTED
    request.deflected_key = article_key
    _end(request)


def send_question(request: ContactRequest) -> tuple[Ticket, str]:
    """Open the question ticket (linked to the order only when it is the shopper's)."""
    # A double click on PostgreSQL: the second waits for the row, then finds it sent.
    db.session.refresh(request, with_for_update=True)
    if request.outcome != WizardOutcome.OPEN:
        raise ContactError("request_not_found", "Your question has already been sent.")
    ticket, token = open_question(
        email=request.email, subject=request.subject, message=request.message, lang=request.lang,
        order=shoppers_order(request.order_number, request.email),
    )
    request.outcome = WizardOutcome.TICKET
    request.ticket_id = ticket.id
    _end(request)
    return ticket, token


def shoppers_order(number: str, email: str) -> Order | None:
    """The order with this number if it was placed with this e-mail; None otherwise."""
    if not number:
        return None
    order = db.session.scalar(select(Order).where(Order.number == number))
    # Compared in constant time; the shopper is never told whether it matched.
    if order is None or not secrets.compare_digest(order.email.lower().encode(), email.encode()):
        return None
    return order


def _end(request: ContactRequest) -> None:
    request.email = request.subject = request.message = request.order_number = ""
    request.ended_at = request.last_seen_at = utcnow()


def _keys(raw: str | None) -> list[str]:
    value = json.loads(raw or "[]")
    return [key for key in value if isinstance(key, str)] if isinstance(value, list) else []
