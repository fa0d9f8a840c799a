"""Erasing one shopper's personal data while the aggregates that mention them stay true."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select

from kb.contact.models import ContactRequest
from kb.extensions import db
from kb.mail.models import OutboxMessage, OutboxStatus
from kb.orders.models import Order
from kb.returns.models import WizardSession
from kb.tickets.models import Attachment, Ticket, TicketEvent
from kb.tickets.photos import photo_path
from kb.types import utcnow

ERASED = "[erased]"
PSEUDONYM_DOMAIN = "invalid"  # RFC 2606: never delivered, never someone's real address


COUNTS = ("orders", "tickets", "shopper_messages", "mentions", "photos", "wizard_notes", "emails")


class ErasureError(ValueError):
    """An address that cannot be erased (empty, malformed, or already a pseudonym)."""


@dataclass
class ErasureReport:
    """What an erasure changed (or, in a dry run, would change), counted by kind."""

    email: str
    pseudonym: str
    dry_run: bool = False
    orders: int = 0
    tickets: int = 0
    shopper_messages: int = 0
    mentions: int = 0
    photos: int = 0
    wizard_notes: int = 0
    emails: int = 0
    # Stray files in the uploads folder that no photo row names (not records: not in COUNTS).
    orphan_files: int = 0
    # (table, id, column) already erased whole, so the mention scan does not count them twice.
    erased: set[tuple[str, int, str]] = field(default_factory=set, repr=False)

    @property
    def changed(self) -> int:
        """How many records were (or would be) changed in all."""
        return sum(getattr(self, name) for name in COUNTS)

    def lines(self) -> list[str]:
        """The report as lines for the terminal."""
        verb = "would change" if self.dry_run else "changed"
        return [
            f"{self.email} -> {self.pseudonym} ({verb} {self.changed} records)",
            f"  orders pseudonymised, transaction ids cleared: {self.orders}",
            f"  tickets pseudonymised, notes erased: {self.tickets}",
            f"  shopper messages erased: {self.shopper_messages}",
            f"  other texts where the address was replaced: {self.mentions}",
            f"  photos deleted: {self.photos}",
            f"  wizard notes cleared: {self.wizard_notes}",
            f"  queued or sent e-mails pseudonymised: {self.emails}",
        ] + ([f"  stray upload files deleted: {self.orphan_files}"] if self.orphan_files else [])


def normalise_email(email: str) -> str:
    """The address as orders store it; raise ErasureError when it cannot be one."""
    email = (email or "").strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in email):
        raise ErasureError(f"{email!r} is not an e-mail address")
    if domain == PSEUDONYM_DOMAIN and local.startswith("erased-"):
        raise ErasureError(f"{email} is already an erased shopper's pseudonym")
    return email


def pseudonym_for(email: str, secret: str) -> str:
    """The stable stand-in for an address: the same shopper always gets the same one.

    Keyed with the secret key: a plain hash of an address could be confirmed by anyone
    who hashes a guess, which would undo the erasure.
    """
    digest = hmac.new(secret.encode(), email.encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:16]}@{PSEUDONYM_DOMAIN}"


def erase_shopper(email: str, *, dry_run: bool = False) -> ErasureReport:
    """Pseudonymise one shopper everywhere, delete their photos; the caller commits.

    Photos are deleted from disk before the caller commits: if the commit then fails, the
    rows still name the (now missing) files and running the erasure again finishes the job.
    """
    email = normalise_email(email)
    pseudonym = pseudonym_for(email, str(current_app.config["SECRET_KEY"]))
    report = ErasureReport(email, pseudonym, dry_run=dry_run)
    apply = not dry_run

    orders = list(db.session.scalars(select(Order).where(func.lower(Order.email) == email)))
    order_ids = [o.id for o in orders]
    for order in orders:
        report.orders += 1
        if apply:
            order.email, order.transaction_id = report.pseudonym, None

    tickets = list(db.session.scalars(select(Ticket).where(
        or_(func.lower(Ticket.email) == email, Ticket.order_id.in_(order_ids))
    )))
    ticket_ids = [t.id for t in tickets]
    for ticket in tickets:
        report.tickets += 1
        report.erased.add(("ticket", ticket.id, "note"))
        if apply:
            ticket.email = report.pseudonym
            ticket.note = ERASED if ticket.note else ""
            ticket.subject = ERASED if ticket.subject else ""
    _erase_shopper_messages(ticket_ids, report, apply)
    _erase_open_questions(email, report, apply)

    sessions = list(db.session.scalars(
        select(WizardSession).where(WizardSession.order_id.in_(order_ids), WizardSession.note != "")
    ))
    for session in sessions:
        report.wizard_notes += 1
        report.erased.add(("wizard_session", session.id, "note"))
        if apply:
            session.note = ""

    session_ids = list(db.session.scalars(
        select(WizardSession.id).where(WizardSession.order_id.in_(order_ids))
    ))
    _delete_photos(ticket_ids, session_ids, report, apply)
    _erase_emails(email, report, apply)
    _replace_mentions(email, report, apply)
    return report


def _erase_shopper_messages(ticket_ids: list[int], report: ErasureReport, apply: bool) -> None:
    """What the shopper wrote goes entirely; agents' words stay (see _replace_mentions)."""
    events = db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id.in_(ticket_ids),
        TicketEvent.actor == "shopper",
        TicketEvent.message != "",
        TicketEvent.message != ERASED,
    ))
    for event in events:
        report.shopper_messages += 1
        report.erased.add(("ticket_event", event.id, "message"))
        if apply:
            event.message = ERASED


def _delete_photos(
    ticket_ids: list[int], session_ids: list[int], report: ErasureReport, apply: bool
) -> None:
    """Delete the files; the rows stay (with no file) so that photo counts stay true."""
    attachments = db.session.scalars(select(Attachment).where(
        or_(Attachment.ticket_id.in_(ticket_ids), Attachment.session_id.in_(session_ids)),
        Attachment.filename != "",
    ))
    for attachment in attachments:
        report.photos += 1
        if apply:
            path: Path = photo_path(attachment)
            path.unlink(missing_ok=True)
            attachment.filename, attachment.size = "", 0
    _delete_stray_files(report, apply)


# A file younger than this may belong to an upload whose transaction has not committed yet.
STRAY_AFTER = timedelta(hours=1)


def _delete_stray_files(report: ErasureReport, apply: bool) -> None:
    """Delete upload files no photo row names: left by refused uploads before they were cleaned
    up, they cannot be told apart by shopper, so an erasure removes them all."""
    folder = Path(current_app.config["UPLOADS_DIR"])
    if not folder.is_dir():
        return
    named = set(db.session.scalars(select(Attachment.filename).where(Attachment.filename != "")))
    cutoff = (utcnow() - STRAY_AFTER).timestamp()
    for path in folder.iterdir():
        if path.is_file() and path.name not in named and path.stat().st_mtime < cutoff:
            report.orphan_files += 1
            if apply:
                path.unlink(missing_ok=True)


def _erase_emails(email: str, report: ErasureReport, apply: bool) -> None:
    """Mail to the shopper keeps its subject (a reference) but loses address and body."""
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "email", func.lower(OutboxMessage.recipient) == email
    ))
    for message in messages:
        report.emails += 1
        report.erased.update(("outbox", message.id, name) for name in ("recipient", "body"))
        if apply:
            message.recipient, message.body = report.pseudonym, ERASED
            if message.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                # An .invalid address would only bounce: stop delivering instead.
                message.status, message.last_error = OutboxStatus.FAILED, "recipient erased"


def _erase_open_questions(email: str, report: ErasureReport, apply: bool) -> None:
    """Questions still on the contact form (not sent, not answered by an article) hold the
    shopper's words until they end: clear them."""
    pending = db.session.scalars(select(ContactRequest).where(func.lower(ContactRequest.email) == email))
    for question in pending:
        report.shopper_messages += 1
        if apply:
            question.email = question.subject = question.message = question.order_number = ""


def _replace_mentions(email: str, report: ErasureReport, apply: bool) -> None:
    """Wherever else the address was written (agents' replies, notes), put the pseudonym."""
    mention = _mention_pattern(email)
    columns: list[tuple[Any, tuple[str, ...]]] = [
        (TicketEvent, ("message", "data_json")),
        (Ticket, ("note",)),
        (WizardSession, ("note",)),
        (OutboxMessage, ("recipient", "subject", "body", "headers_json")),
    ]
    for model, names in columns:
        found: list[ColumnElement[bool]] = [
            func.lower(getattr(model, name)).contains(email, autoescape=True) for name in names
        ]
        for row in db.session.scalars(select(model).where(or_(*found))):
            changed = False
            for name in names:
                if (model.__tablename__, row.id, name) in report.erased:
                    continue
                value = getattr(row, name) or ""
                replaced = mention.sub(report.pseudonym, value)
                if replaced != value:
                    changed = True
                    if apply:
                        setattr(row, name, replaced)
            report.mentions += changed


def _mention_pattern(email: str) -> re.Pattern[str]:
    """The address as a whole word: not inside joana@… nor before a longer domain."""
    return re.compile(rf"(?<![\w.+-]){re.escape(email)}(?![\w-]|\.[\w-])", re.IGNORECASE)
