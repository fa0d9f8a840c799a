"""Actions on a ticket: each one recorded with who and when; refused ones change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.tickets.models import Ticket, TicketEvent
from kb.tickets.states import Action, allowed_actions
from kb.types import utcnow
from tests.desk.conftest import bearer, open_return

# How to bring a fresh ticket into each state, the real way (desk actions from the wizard's).
PATHS = {
    "needs_review": ("A1002", True, []),
    "approved": ("A1001", False, []),
    "received": ("A1001", False, [{"action": "receive", "condition": "like_new"}]),
    "refunded": ("A1001", False, ["refund"]),
    "exchanged": ("A1001", False, [{"action": "exchange"}]),
    "repaired": ("A1001", False, [{"action": "repair"}]),
    "closed": ("A1001", False, ["refund", {"action": "close"}]),
    "declined": ("A1002", True, [{"action": "decline", "reason": "outside_policy"}]),
}


def ticket_in(client: FlaskClient, status: str) -> Ticket:
    """A ticket brought to ``status`` through the desk."""
    number, exception, steps = PATHS[status]
    ticket, _ = open_return(number, exception=exception)
    for step in steps:
        if step == "refund":
            response = client.post(f"/desk/tickets/{ticket.reference}/refund",
                                   data={"amount": "10.00", "method": "original_payment"})
        else:
            response = client.post(f"/desk/tickets/{ticket.reference}/actions", data=step)
        assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.status == status
    return ticket


def last_event(ticket: Ticket) -> TicketEvent:
    """The newest entry of the ticket's history."""
    db.session.expire_all()
    return ticket.events[-1]


def counts() -> tuple[int, int]:
    """How many history entries and outbox messages exist (to prove nothing was recorded)."""
    return (db.session.scalar(select(func.count(TicketEvent.id))) or 0,
            db.session.scalar(select(func.count(OutboxMessage.id))) or 0)


@pytest.mark.parametrize(
    ("status", "form", "kind", "public", "after"),
    [
        ("needs_review", {"action": "approve", "message": "Fine this once."}, "approved", True,
         "approved"),
        ("needs_review", {"action": "decline", "reason": "outside_policy", "message": "Sorry."},
         "declined", True, "declined"),
        ("approved", {"action": "receive", "condition": "used"}, "received", True, "received"),
        ("received", {"action": "exchange", "message": "Size L is on its way."}, "exchanged",
         True, "exchanged"),
        ("approved", {"action": "repair"}, "repaired", True, "repaired"),
        ("refunded", {"action": "close"}, "closed", True, "closed"),
        ("closed", {"action": "reopen", "message": "The shopper wrote again."}, "reopened", True,
         "needs_review"),
        ("declined", {"action": "reopen"}, "reopened", True, "needs_review"),
        ("approved", {"action": "reply", "message": "Thanks!"}, "reply", True, "approved"),
        ("received", {"action": "note", "message": "Box was crushed."}, "note", False, "received"),
    ],
)
def test_each_action_moves_the_ticket_and_is_recorded(
    agent: FlaskClient, demo: dict, status: str, form: dict, kind: str, public: bool, after: str
) -> None:
    ticket = ticket_in(agent, status)
    response = agent.post(f"/desk/tickets/{ticket.reference}/actions", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/desk/tickets/{ticket.reference}"
    event = last_event(ticket)
    assert ticket.status == after
    assert (event.kind, event.actor, event.public) == (kind, "Alex Agent", public)
    assert event.message == form.get("message", "")
    assert utcnow() - event.created_at < timedelta(minutes=1)
    assert event.data["from"] == status and event.data["to"] == after


def test_decline_records_the_reason_and_frees_the_items(agent: FlaskClient, demo: dict) -> None:
    ticket = ticket_in(agent, "declined")
    event = last_event(ticket)
    assert event.data["reason"] == "outside_policy"
    assert ticket.decline_reason == "outside_policy"
    assert not any(item.reserved for item in ticket.items)


def test_receive_records_the_condition_found(agent: FlaskClient, demo: dict) -> None:
    ticket = ticket_in(agent, "received")
    assert last_event(ticket).data["condition"] == "like_new"
    assert [item.condition_received for item in ticket.items] == ["like_new"]


def test_a_refund_through_the_form_is_recorded(agent: FlaskClient, demo: dict) -> None:
    ticket = ticket_in(agent, "approved")
    response = agent.post(f"/desk/tickets/{ticket.reference}/refund",
                          data={"amount": "34.85", "goodwill": "2.00", "method": "store_credit"})
    assert response.status_code == 302
    event = last_event(ticket)
    assert ticket.status == "refunded"
    assert (event.kind, event.actor, event.public) == ("refunded", "Alex Agent", True)
    assert event.data == {"amount": "34.85", "goodwill": "2.00", "currency": "EUR",
                          "method": "store_credit"}
    [refund] = ticket.refunds
    assert (str(refund.amount), str(refund.goodwill), refund.method, refund.status,
            refund.created_by) == ("34.85", "2.00", "store_credit", "confirmed", "Alex Agent")


@pytest.mark.parametrize("status", list(PATHS))
def test_every_illegal_transition_is_refused_and_changes_nothing(
    app: Flask, agent: FlaskClient, demo: dict, status: str
) -> None:
    ticket = ticket_in(agent, status)
    client, headers = app.test_client(), bearer()
    refused = [a for a in Action if a not in allowed_actions(status)]
    assert refused, status
    before = counts()
    for action in refused:
        if action == Action.REFUND:
            response = client.post(f"/api/v1/tickets/{ticket.reference}/refund", headers=headers,
                                   json={"amount": "1.00", "method": "original_payment"})
        else:
            response = client.post(f"/api/v1/tickets/{ticket.reference}/actions", headers=headers,
                                   json={"action": action.value, "message": "try",
                                         "reason": "other", "condition": "used"})
        assert response.status_code == 409, (status, action)
        assert response.get_json()["error"]["code"] == "illegal_transition"
        db.session.expire_all()
        assert ticket.status == status
    assert counts() == before


def test_an_illegal_action_on_the_page_shows_an_error_and_keeps_the_text(
    agent: FlaskClient, demo: dict
) -> None:
    ticket = ticket_in(agent, "approved")
    before = counts()
    response = agent.post(f"/desk/tickets/{ticket.reference}/actions",
                          data={"action": "approve", "message": "Approving twice"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Nothing was recorded" in html
    assert "That action is not possible in the ticket&#39;s current status." in html
    assert counts() == before


def test_a_refused_decline_keeps_what_the_agent_typed(agent: FlaskClient, demo: dict) -> None:
    ticket = ticket_in(agent, "needs_review")
    before = counts()
    response = agent.post(f"/desk/tickets/{ticket.reference}/actions",
                          data={"action": "decline", "reason": "", "message": "My long message"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="decline-error"' in html and "Choose why the return is declined." in html
    assert ">My long message</textarea>" in html
    assert counts() == before
    db.session.expire_all()
    assert ticket.status == "needs_review"


def test_empty_replies_and_notes_are_refused(agent: FlaskClient, demo: dict) -> None:
    ticket = ticket_in(agent, "approved")
    before = counts()
    for action in ("reply", "note"):
        response = agent.post(f"/desk/tickets/{ticket.reference}/actions",
                              data={"action": action, "message": "   "})
        assert response.status_code == 400
        assert "Please write a message." in response.get_data(as_text=True)
    assert counts() == before


def test_a_reply_reaches_the_shopper_in_their_language(app: Flask, agent: FlaskClient,
                                                       demo: dict) -> None:
    ticket, token = open_return("A1018", lang="fr")
    mails_before = db.session.scalar(select(func.count(OutboxMessage.id)))
    response = agent.post(f"/desk/tickets/{ticket.reference}/actions",
                          data={"action": "reply", "message": "Merci, nous regardons."})
    assert response.status_code == 302

    shopper = app.test_client()
    status_page = shopper.get(f"/fr/returns/status/{ticket.reference}",
                              query_string={"token": token})
    assert "Merci, nous regardons." in status_page.get_data(as_text=True)
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id)
    ).all()
    assert len(mails) == mails_before + 1
    mail = mails[-1]
    assert mail.recipient == "camille@example.fr"
    assert mail.subject == f"Du nouveau sur votre retour {ticket.reference}"
    assert "Merci, nous regardons." in mail.body
    assert f"/fr/returns/status/{ticket.reference}?token=" in mail.body


def test_an_internal_note_stays_off_the_status_page_and_out_of_the_mail(
    app: Flask, agent: FlaskClient, demo: dict
) -> None:
    ticket, token = open_return("A1001")
    mails_before = db.session.scalar(select(func.count(OutboxMessage.id)))
    agent.post(f"/desk/tickets/{ticket.reference}/actions",
               data={"action": "note", "message": "Shopper seems upset."})
    page = app.test_client().get(f"/en/returns/status/{ticket.reference}",
                                 query_string={"token": token})
    assert "Shopper seems upset." not in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == mails_before


def test_api_actions_name_the_token_in_the_history(client: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1002", exception=True)
    response = client.post(f"/api/v1/tickets/{ticket.reference}/actions",
                           headers=bearer("agent", "ERP connector"),
                           json={"action": "approve", "message": "OK from the ERP"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"
    event = last_event(ticket)
    assert (event.kind, event.actor) == ("approved", "token ERP connector")
