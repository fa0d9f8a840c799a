"""What the desk added to kb.tickets.service: assignment, refund limits, safer confirmation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from kb.extensions import db
from kb.tickets.refunds import confirm_refund, issue_refund, refund_limits
from kb.tickets.service import TicketError, apply_action, assign
from tests.desk.conftest import open_return, staff_user


def test_assign_records_who_gave_the_ticket_to_whom(demo: dict) -> None:
    ticket, _ = open_return("A1001")
    alex = staff_user("agent")
    event = assign(ticket, alex, "Ada Admin")
    db.session.commit()
    assert ticket.assigned_to_id == alex.id
    assert event is not None
    assert (event.kind, event.actor, event.public) == ("assigned", "Ada Admin", False)
    assert event.data == {"from": None, "to": "Alex Agent", "to_id": alex.id}


def test_assigning_to_the_same_agent_again_records_nothing(demo: dict) -> None:
    ticket, _ = open_return("A1001")
    alex = staff_user("agent")
    assign(ticket, alex, "Alex Agent")
    assert assign(ticket, alex, "Alex Agent") is None
    assert [e.kind for e in ticket.events].count("assigned") == 1


@pytest.mark.parametrize("who", ["writer", "inactive"])
def test_tickets_only_go_to_active_agents(demo: dict, who: str) -> None:
    ticket, _ = open_return("A1001")
    user = staff_user("writer") if who == "writer" else staff_user("agent")
    if who == "inactive":
        user.active = False
    with pytest.raises(TicketError) as refused:
        assign(ticket, user, "Ada Admin")
    assert refused.value.code == "invalid_assignee"
    assert ticket.assigned_to_id is None


def test_admins_can_be_assigned_tickets(demo: dict) -> None:
    ticket, _ = open_return("A1001")
    assert assign(ticket, staff_user("admin"), "Ada Admin") is not None


def test_refund_limits_follow_the_refunds(demo: dict) -> None:
    ticket, _ = open_return("A1010")
    before = refund_limits(ticket)
    assert (before.currency, before.amount_left, before.goodwill_left, before.guarantee_left) == (
        "GBP", Decimal("52.00"), Decimal("12.59"), None)
    issue_refund(ticket, amount="50.00", goodwill="2.59", method="original_payment", actor="a")
    after = refund_limits(ticket)
    assert (after.amount_left, after.goodwill_left) == (Decimal("2.00"), Decimal("10.00"))


def test_refunds_on_one_ticket_do_not_eat_another_tickets_items(demo: dict) -> None:
    tees, _ = open_return("A1001")
    jeans, _ = open_return("A1001", [("JEANS-32-INDIGO", 1, "wrong_size", "unopened")])
    issue_refund(tees, amount="39.80", goodwill="0", method="original_payment", actor="a")
    assert refund_limits(jeans).amount_left == Decimal("69.00")
    issue_refund(jeans, amount="69.00", goodwill="0", method="original_payment", actor="a")


def test_a_refund_cannot_be_confirmed_once_the_ticket_moved_on(app: Flask, demo: dict) -> None:
    app.config["REFUND_SECOND_APPROVAL_OVER"] = "10"
    ticket, _ = open_return("A1001")
    pending = issue_refund(ticket, amount="20.00", goodwill="0", method="store_credit",
                           actor="Alex Agent")
    apply_action(ticket, "exchange", "Alex Agent")
    with pytest.raises(TicketError) as refused:
        confirm_refund(pending, "Sam Second")
    assert (refused.value.code, refused.value.status) == ("illegal_transition", 409)
    assert pending.status == "pending_confirmation" and ticket.status == "exchanged"
