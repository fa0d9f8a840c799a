"""On PostgreSQL, a refund and a decline of one ticket queue up on its lock instead of crossing."""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy import select

from kb.extensions import db
from kb.tickets.models import Ticket, TicketItem
from kb.tickets.refunds import issue_refund
from kb.tickets.service import TicketError, apply_action
from tests.desk.conftest import open_return


def test_a_decline_waits_for_a_refund_in_progress_and_then_sees_it(app: Flask, demo: dict) -> None:
    ticket, _token = open_return("A1002", exception=True)
    assert ticket.status == "needs_review"  # both a refund and a decline are allowed
    ticket_id = ticket.id
    outcome: dict[str, str] = {}

    def decline() -> None:
        with app.app_context():
            other = db.session.get(Ticket, ticket_id)
            try:
                apply_action(other, "decline", "agent B", decline_reason="other")
                db.session.commit()
                outcome["decline"] = "declined"
            except TicketError as exc:
                db.session.rollback()
                outcome["decline"] = exc.code
            finally:
                db.session.remove()

    # Agent A's refund is written but not committed yet when agent B declines.
    issue_refund(ticket, amount="10.00", goodwill="0", method="original_payment", actor="agent A")
    db.session.flush()
    second = threading.Thread(target=decline)
    second.start()
    time.sleep(1.0)
    db.session.commit()
    second.join(timeout=30)
    assert not second.is_alive()

    db.session.expire_all()
    assert outcome["decline"] in ("refunded_ticket", "illegal_transition")
    assert db.session.get(Ticket, ticket_id).status == "refunded"
    reserved = db.session.scalars(select(TicketItem.reserved).where(TicketItem.ticket_id == ticket_id)).all()
    assert reserved and all(reserved)  # the refunded items are not freed for another return
