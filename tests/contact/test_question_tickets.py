"""Question tickets at the desk: in the queue, on the ticket page, answered and closed."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.extensions import db
from kb.insights import catch_up
from kb.insights.models import TicketDay
from kb.mail.models import OutboxMessage, Webhook
from kb.tickets.models import Ticket
from kb.tickets.refunds import issue_refund
from kb.tickets.service import TicketError, apply_action, open_question
from kb.tickets.states import Action, allowed_actions
from tests.contact.conftest import QUESTION, send
from tests.desk.conftest import bearer, open_return, sign_in


@pytest.fixture
def question(shop: FlaskClient) -> Ticket:
    """A question sent through the contact form by the shopper's browser ``shop``."""
    send(shop, order_number="A1001")
    return db.session.scalar(select(Ticket).where(Ticket.kind == "question"))


def _status_path(mail: OutboxMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/\S+/returns/status/\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def test_the_queue_shows_questions_with_a_badge_and_their_subject(content_app: Flask,
                                                                  question: Ticket) -> None:
    agent = content_app.test_client()
    sign_in(agent, "agent")
    html = agent.get("/desk").get_data(as_text=True)
    row = html[html.index(question.reference):]
    row = row[:row.index("</tr>")]
    assert 'class="badge desk-kind-question">Question<' in row and QUESTION["subject"] in row


def test_the_ticket_page_shows_the_question_and_offers_reply_and_close(content_app: Flask,
                                                                       question: Ticket) -> None:
    agent = content_app.test_client()
    sign_in(agent, "agent")
    html = agent.get(f"/desk/tickets/{question.reference}").get_data(as_text=True)
    assert QUESTION["message"] in html and "A1001" in html
    assert 'id="form-reply"' in html and 'id="form-close"' in html
    assert 'id="form-refund"' not in html and 'id="form-approve"' not in html
    assert "refund-timing" in html or "How long" in html  # the self-help the form offered


def test_an_agent_reply_reaches_the_shoppers_status_page_and_inbox(content_app: Flask,
                                                                   question: Ticket) -> None:
    agent = content_app.test_client()
    sign_in(agent, "agent")
    response = agent.post(f"/desk/tickets/{question.reference}/actions",
                          data={"action": "reply", "message": "Refunds take 5 business days."})
    assert response.status_code == 302
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")
                               .order_by(OutboxMessage.id)).all()
    assert len(mails) == 2 and "Answer to your question" in mails[1].subject
    status = content_app.test_client().get(_status_path(mails[0])).get_data(as_text=True)
    assert "Refunds take 5 business days." in status and QUESTION["message"] in status
    closed = agent.post(f"/desk/tickets/{question.reference}/actions", data={"action": "close"})
    assert closed.status_code == 302
    db.session.refresh(question)
    assert question.status == "closed"


def test_a_question_cannot_be_refunded_approved_or_sent_to_the_shop(content_app: Flask,
                                                                    question: Ticket) -> None:
    for action in ("approve", "decline", "receive"):
        with pytest.raises(TicketError):
            apply_action(question, action, "agent")
    with pytest.raises(TicketError) as refused:
        issue_refund(question, amount="5.00", goodwill="0", method="original_payment", actor="agent")
    assert refused.value.code == "illegal_transition"
    assert allowed_actions("needs_review", "question") == [Action.REPLY, Action.CLOSE, Action.NOTE]
    assert allowed_actions("closed", "question") == [Action.REPLY, Action.REOPEN, Action.NOTE]
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "webhook")) is None


def test_returns_keep_their_state_machine(app: Flask, demo: dict) -> None:
    ticket, _token = open_return("A1002", exception=True)
    assert allowed_actions(ticket.status, ticket.kind)[:2] == [Action.APPROVE, Action.DECLINE]
    assert ticket.kind == "return" and ticket.reference.startswith("R-")


def test_questions_stay_out_of_the_returns_figures(app: Flask, demo: dict) -> None:
    db.session.add(Webhook(url="https://shop.example/hook", secret="s", events="*"))
    open_question(email="ana@example.com", subject="", message="Hello?", lang="en")
    db.session.commit()
    catch_up()  # as the reports do before reading
    assert db.session.scalar(select(TicketDay)) is None
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "webhook")) is None


def test_the_staff_api_shows_a_question_without_an_order(app: Flask, demo: dict) -> None:
    ticket, _token = open_question(email="leo@example.fr", subject="Hi", message="Where?", lang="fr")
    db.session.commit()
    client = app.test_client()
    body = client.get(f"/api/v1/tickets/{ticket.reference}", headers=bearer()).get_json()
    assert body["kind"] == "question" and body["order"] is None and body["subject"] == "Hi"
    listing = client.get("/api/v1/tickets", headers=bearer()).get_json()
    assert any(row["kind"] == "question" for row in listing["tickets"])


def test_the_queue_can_show_only_questions(content_app: Flask, question: Ticket) -> None:
    open_return("A1002", exception=True)
    agent = content_app.test_client()
    sign_in(agent, "agent")
    html = agent.get("/desk?kind=question").get_data(as_text=True)
    assert question.reference in html and "R-" not in html.split("<tbody>")[1].split("</tbody>")[0]
    api = content_app.test_client()  # the staff API takes tokens, never a signed-in cookie
    listing = api.get("/api/v1/tickets?kind=return", headers=bearer()).get_json()
    assert [row["kind"] for row in listing["tickets"]] == ["return"]
