"""The contact form: the question first, the matching articles, then a question ticket."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from kb.contact.models import ContactRequest
from kb.extensions import db
from kb.insights import catch_up
from kb.insights.models import WizardArticleDay, WizardDay
from kb.mail.models import OutboxMessage
from kb.orders.models import Order
from kb.tickets.models import Ticket, TicketKind
from tests.conftest import make_app, reset_database
from tests.contact.conftest import QUESTION, ask, send


def _status_link(body: str) -> str:
    found = re.search(r"https?://\S+/returns/status/\S+", body)
    assert found, body
    return found.group(0)


def test_the_form_asks_the_question_first_in_both_languages(shop: FlaskClient) -> None:
    english = shop.get("/en/contact").get_data(as_text=True)
    assert 'name="message"' in english and 'name="email"' in english
    assert 'for="order_number"' in english and "Monday to Friday" in english
    french = shop.get("/fr/contact").get_data(as_text=True)
    assert "Contactez-nous" in french and "du lundi au vendredi" in french


def test_a_question_without_message_or_email_is_refused_with_clear_errors(shop: FlaskClient) -> None:
    response = ask(shop, message="  ", email="not-an-address")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please write your question." in html
    assert "Please enter your e-mail address" in html
    assert 'aria-invalid="true"' in html and 'role="alert"' in html
    assert db.session.scalar(select(ContactRequest)) is None


def test_overlong_fields_are_refused_and_kept_in_the_form(shop: FlaskClient) -> None:
    response = ask(shop, subject="s" * 201, order_number="N" * 41)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The subject may have at most 200 characters." in html
    assert "That order number is too long." in html
    assert QUESTION["message"] in html


def test_french_errors_are_in_french(shop: FlaskClient) -> None:
    html = ask(shop, "fr", message="").get_data(as_text=True)
    assert "Veuillez écrire votre question." in html


def test_the_answers_step_offers_matching_articles_before_sending(shop: FlaskClient) -> None:
    assert ask(shop).headers["Location"] == "/en/contact/answers"
    html = shop.get("/en/contact/answers").get_data(as_text=True)
    assert "Did one of these answer your question?" in html
    assert "Yes, that solved it" in html and "No, send my question" in html
    request = db.session.scalar(select(ContactRequest))
    offered = json.loads(request.offered_json)
    assert "refund-timing" in offered
    assert "/en/contact/read/refund-timing" in html
    assert db.session.scalar(select(Ticket)) is None


def test_yes_that_solved_it_is_counted_as_a_deflection(shop: FlaskClient) -> None:
    ask(shop)
    opened = shop.get("/en/contact/read/refund-timing")
    assert opened.status_code == 302 and "/en/articles/" in opened.headers["Location"]
    response = shop.post("/en/contact/solved", data={"article_key": "refund-timing"})
    assert response.status_code == 200 and "Glad we could help" in response.get_data(as_text=True)
    request = db.session.scalar(select(ContactRequest))
    assert request.outcome == "deflected" and request.deflected_key == "refund-timing"
    assert json.loads(request.opened_json) == ["refund-timing"]
    assert request.message == "" and request.email == ""  # no ticket, so nothing kept
    assert db.session.scalar(select(Ticket)) is None
    catch_up()  # as the self-help report does before reading
    rows = db.session.execute(select(WizardDay.reason, WizardDay.outcome, WizardDay.sessions)).all()
    assert ("question", "deflected", 1) in [tuple(r) for r in rows]
    solved = db.session.scalars(select(WizardArticleDay.key).where(WizardArticleDay.kind == "deflected"))
    assert list(solved) == ["refund-timing"]


def test_an_article_that_was_not_offered_cannot_be_named_as_the_answer(shop: FlaskClient) -> None:
    ask(shop)
    response = shop.post("/en/contact/solved", data={"article_key": "gift-cards-xyz"})
    assert response.status_code == 302 and response.headers["Location"] == "/en/contact/answers"
    assert db.session.scalar(select(ContactRequest)).outcome == "open"


def test_sending_creates_a_question_ticket_and_e_mails_the_status_link(shop: FlaskClient) -> None:
    response = send(shop)
    assert response.status_code == 302 and response.headers["Location"] == "/en/contact/sent"
    ticket = db.session.scalar(select(Ticket))
    assert ticket.kind == TicketKind.QUESTION and ticket.status == "needs_review"
    assert ticket.reference.startswith("Q-") and ticket.order_id is None
    assert ticket.subject == QUESTION["subject"] and ticket.note == QUESTION["message"]
    assert not ticket.items and ticket.email == "ana@example.com"
    confirmation = shop.get("/en/contact/sent").get_data(as_text=True)
    assert ticket.reference in confirmation and "within 24 hours" in confirmation
    assert "Monday to Friday, 09:00–18:00 (Paris time)" in confirmation
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert mail.recipient == "ana@example.com" and ticket.reference in mail.subject
    page = shop.get(_status_link(mail.body).replace("http://kb.test", ""))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and QUESTION["message"] in html and "Refund timing" in html
    request = db.session.scalar(select(ContactRequest))
    assert request.outcome == "ticket" and request.ticket_id == ticket.id and request.message == ""
    catch_up()
    assert ("question", "ticket", 1) in [tuple(r) for r in db.session.execute(
        select(WizardDay.reason, WizardDay.outcome, WizardDay.sessions))]


def test_a_question_in_french_is_answered_in_french(shop: FlaskClient) -> None:
    send(shop, "fr", message="Combien de temps prend un remboursement ?")
    ticket = db.session.scalar(select(Ticket))
    assert ticket.lang == "fr"
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert "Votre question" in mail.subject and "/fr/returns/status/" in mail.body
    assert "du lundi au vendredi" in shop.get("/fr/contact/sent").get_data(as_text=True)


def test_the_order_is_linked_only_when_it_matches_the_e_mail(shop: FlaskClient) -> None:
    send(shop, order_number="a1001")
    mine = db.session.scalar(select(Ticket))
    assert mine.order_id == db.session.scalar(select(Order.id).where(Order.number == "A1001"))
    other = shop.application.test_client()
    send(other, order_number="A1001", email="someone.else@example.com")
    theirs = db.session.scalar(select(Ticket).where(Ticket.email == "someone.else@example.com"))
    assert theirs.order_id is None
    html = other.get("/en/contact/sent").get_data(as_text=True)
    assert "A1001" not in html


def test_the_steps_after_the_question_need_an_open_question(shop: FlaskClient) -> None:
    for response in (shop.get("/en/contact/answers"), shop.post("/en/contact/send"),
                     shop.post("/en/contact/solved")):
        assert response.status_code == 302 and response.headers["Location"] == "/en/contact"
    assert shop.get("/en/contact/sent").headers["Location"] == "/en/contact"
    send(shop)
    assert shop.post("/en/contact/send").headers["Location"] == "/en/contact"  # sent only once
    assert len(db.session.scalars(select(Ticket)).all()) == 1


def test_questions_are_rate_limited_like_order_lookups(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_LOOKUP="3 per minute")
    reset_database(app)
    client = app.test_client()
    codes = [client.post("/en/contact", data={"message": ""}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert client.get("/en/contact").status_code == 200


def test_erasing_a_shopper_clears_a_question_not_sent_yet(shop: FlaskClient) -> None:
    from kb.ops.privacy import erase_shopper

    ask(shop)
    erase_shopper("ana@example.com")
    db.session.commit()
    request = db.session.scalar(select(ContactRequest))
    assert (request.email, request.message, request.subject) == ("", "", "")


def test_an_abandoned_question_is_forgotten_when_the_next_one_starts(shop: FlaskClient) -> None:
    from datetime import timedelta

    ask(shop)
    left = db.session.scalar(select(ContactRequest))
    left.created_at = left.last_seen_at = left.created_at - timedelta(minutes=61)
    db.session.commit()
    assert shop.get("/en/contact/answers").headers["Location"] == "/en/contact"  # expired
    ask(shop.application.test_client(), email="leo@example.fr")
    db.session.expire_all()
    assert db.session.get(ContactRequest, left.id).message == ""
    newer = db.session.scalar(select(ContactRequest).where(ContactRequest.id != left.id))
    assert newer.message == QUESTION["message"]


def test_the_self_help_report_counts_questions_under_their_own_reason(shop: FlaskClient) -> None:
    from tests.desk.conftest import sign_in

    ask(shop)
    shop.post("/en/contact/solved", data={"article_key": "refund-timing"})
    agent = shop.application.test_client()
    sign_in(agent, "agent")
    html = agent.get("/insights/self_help").get_data(as_text=True)
    assert "Question (contact form)" in html
