"""Erasing a shopper: personal data goes everywhere, the aggregates and agents' work stay."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.ops.privacy import ERASED, ErasureError, erase_shopper, normalise_email, pseudonym_for
from kb.orders.models import Order
from kb.returns.models import WizardSession
from kb.tickets.models import Attachment, Ticket, TicketEvent
from tests.ops.conftest import SHOPPER


def orders_per_email() -> dict[str, int]:
    rows = db.session.execute(select(Order.email, func.count()).group_by(Order.email))
    return {email: count for email, count in rows}


def mentions_shopper(text: str) -> bool:
    """Whether ana@example.com itself appears (joana@example.com is someone else)."""
    return re.search(r"(?<![\w.+-])ana@example\.com", text) is not None


def everything_text() -> str:
    """Every text column that could hold the address, joined, to search it in one go."""
    parts: list[str] = []
    for model, names in [
        (Order, ("email", "transaction_id")),
        (Ticket, ("email", "note")),
        (TicketEvent, ("message", "data_json")),
        (WizardSession, ("note",)),
        (OutboxMessage, ("recipient", "subject", "body", "headers_json")),
    ]:
        for row in db.session.scalars(select(model)):
            parts.extend(str(getattr(row, name) or "") for name in names)
    return "\n".join(parts).lower()


def test_pseudonym_is_stable_keyed_and_undeliverable() -> None:
    one = pseudonym_for("ana@example.com", "secret")
    assert one == pseudonym_for("ana@example.com", "secret")
    assert one != pseudonym_for("ana@example.com", "another secret")
    assert one != pseudonym_for("tom@example.com", "secret")
    assert one.startswith("erased-") and one.endswith("@invalid")
    assert len(one) == len("erased-@invalid") + 16


@pytest.mark.parametrize("email", ["", "   ", "ana", "ana@", "@example.com", "a na@example.com",
                                   "erased-0123456789abcdef@invalid"])
def test_what_is_not_an_address_is_refused(email: str) -> None:
    with pytest.raises(ErasureError):
        normalise_email(email)


def test_erase_pseudonymises_orders_and_keeps_counts(
    content_app: Flask, shopper_history: dict[str, Any], runner: FlaskCliRunner
) -> None:
    before = orders_per_email()
    result = runner.invoke(args=["privacy", "erase", "  Ana@Example.com "])
    assert result.exit_code == 0, result.output
    pseudonym = pseudonym_for(SHOPPER, content_app.config["SECRET_KEY"])
    assert pseudonym in result.output
    after = orders_per_email()
    assert SHOPPER not in after
    assert after[pseudonym] == before[SHOPPER]  # "orders per shopper" still adds up
    assert {k: v for k, v in after.items() if k != pseudonym} == {
        k: v for k, v in before.items() if k != SHOPPER
    }
    erased = db.session.scalars(select(Order).where(Order.email == pseudonym)).all()
    assert all(order.transaction_id is None for order in erased)
    other = db.session.scalar(select(Order).where(Order.number == "A1010"))
    assert other.transaction_id  # other shoppers keep theirs


def test_erase_removes_what_the_shopper_wrote_and_keeps_the_agents_work(
    content_app: Flask, shopper_history: dict[str, Any], runner: FlaskCliRunner
) -> None:
    events_before = db.session.scalar(select(func.count()).select_from(TicketEvent))
    result = runner.invoke(args=["privacy", "erase", SHOPPER])
    assert result.exit_code == 0, result.output
    pseudonym = pseudonym_for(SHOPPER, content_app.config["SECRET_KEY"])
    ticket = db.session.get(Ticket, shopper_history["ticket_id"])
    assert ticket.email == pseudonym and ticket.note == ERASED
    assert ticket.status and ticket.reference == shopper_history["reference"]
    by_actor = {(e.actor, e.kind): e.message for e in ticket.events}
    assert by_actor[("shopper", "shopper_reply")] == ERASED
    assert by_actor[("Alex Agent", "reply")] == (
        f"Hello, we wrote to {pseudonym} (not joana@example.com): label attached."
    )
    assert by_actor[("Alex Agent", "note")] == "Customer sounded upset."
    assert db.session.scalar(select(func.count()).select_from(TicketEvent)) == events_before
    session = db.session.get(WizardSession, ticket.session_id)
    assert session.note == ""
    text = everything_text()
    assert not mentions_shopper(text) and "06 12 34 56 78" not in text and "p01-0001005" not in text


def test_erase_deletes_photos_but_keeps_their_count(
    content_app: Flask, shopper_history: dict[str, Any], runner: FlaskCliRunner
) -> None:
    photos = db.session.scalars(select(Attachment)).all()
    files = [Path(content_app.config["UPLOADS_DIR"]) / a.filename for a in photos]
    assert len(photos) == 1 and all(f.is_file() for f in files)
    result = runner.invoke(args=["privacy", "erase", SHOPPER])
    assert result.exit_code == 0, result.output
    assert "photos deleted: 1" in result.output
    assert not any(f.exists() for f in files)
    kept = db.session.scalars(select(Attachment)).all()
    assert len(kept) == 1 and kept[0].filename == "" and kept[0].size == 0
    assert kept[0].ticket_id == shopper_history["ticket_id"]


def test_erase_stops_mail_to_the_shopper(
    content_app: Flask, shopper_history: dict[str, Any], runner: FlaskCliRunner
) -> None:
    to_shopper = select(OutboxMessage).where(OutboxMessage.recipient == SHOPPER)
    queued = db.session.scalars(to_shopper).all()
    assert queued, "opening the ticket and the agent's reply queue e-mails"
    runner.invoke(args=["privacy", "erase", SHOPPER])
    for message in queued:
        db.session.refresh(message)
        assert message.recipient.endswith("@invalid") and message.body == ERASED
        assert message.status in ("failed", "sent")


def test_dry_run_reports_the_same_and_changes_nothing(
    content_app: Flask, shopper_history: dict[str, Any], runner: FlaskCliRunner
) -> None:
    text_before = everything_text()
    dry = runner.invoke(args=["privacy", "erase", SHOPPER, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would change" in dry.output and "dry run: nothing was changed" in dry.output
    db.session.expire_all()
    assert everything_text() == text_before
    assert all(a.filename for a in db.session.scalars(select(Attachment)))
    real = runner.invoke(args=["privacy", "erase", SHOPPER])
    counts = [line.split(":")[-1] for line in dry.output.splitlines()[1:8]]
    assert counts == [line.split(":")[-1] for line in real.output.splitlines()[1:8]]


def test_erase_is_idempotent(
    content_app: Flask, shopper_history: dict[str, Any], runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["privacy", "erase", SHOPPER])
    assert first.exit_code == 0, first.output
    db.session.expire_all()
    snapshot = everything_text()
    again = runner.invoke(args=["privacy", "erase", SHOPPER])
    assert again.exit_code == 0, again.output
    assert "changed 0 records" in again.output and "nothing to erase" in again.output
    db.session.expire_all()
    assert everything_text() == snapshot


def test_other_shoppers_are_untouched(content_app: Flask, shopper_history: dict[str, Any]) -> None:
    others = {o.number: (o.email, o.transaction_id)
              for o in db.session.scalars(select(Order).where(Order.email != SHOPPER))}
    report = erase_shopper(SHOPPER)
    db.session.commit()
    assert report.orders > 0
    db.session.expire_all()
    assert {o.number: (o.email, o.transaction_id)
            for o in db.session.scalars(select(Order).where(Order.number.in_(others)))} == others


def test_an_unknown_address_changes_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["privacy", "erase", "nobody@example.com"])
    assert result.exit_code == 0, result.output
    assert "nothing to erase" in result.output
    bad = runner.invoke(args=["privacy", "erase", "not-an-address"])
    assert bad.exit_code != 0 and "not an e-mail address" in bad.output
