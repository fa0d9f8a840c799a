"""The queue: oldest first, filters, counts per status, assignment, overdue tickets, pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.extensions import db
from kb.tickets.models import TicketEvent
from kb.tickets.service import shopper_reply
from tests.desk.conftest import add_order, age_ticket, open_return, sign_in, staff_user


def _references(html: str) -> list[str]:
    """The ticket references of the queue table, in order."""
    return re.findall(r'<th scope="row"><a href="/desk/tickets/(R-[A-Z0-9]+)"', html)


def _queue(client: FlaskClient, **args: str) -> str:
    response = client.get("/desk", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_queue_lists_open_tickets_oldest_first(agent: FlaskClient, demo: dict) -> None:
    newer, _ = open_return("A1001")
    older, _ = open_return("A1002", exception=True)
    age_ticket(older, 5)
    assert _references(_queue(agent)) == [older.reference, newer.reference]


def test_closed_and_declined_tickets_leave_the_default_queue(agent: FlaskClient,
                                                              demo: dict) -> None:
    declined, _ = open_return("A1002", exception=True)
    agent.post(f"/desk/tickets/{declined.reference}/actions",
               data={"action": "decline", "reason": "outside_policy"})
    kept, _ = open_return("A1001")
    assert _references(_queue(agent)) == [kept.reference]
    assert _references(_queue(agent, status="declined")) == [declined.reference]
    assert set(_references(_queue(agent, status="all"))) == {declined.reference, kept.reference}


def test_filters_by_status_reason_channel_language_and_age(agent: FlaskClient,
                                                           demo: dict) -> None:
    approved, _ = open_return("A1001")
    review, _ = open_return("A1002", exception=True)
    claim, _ = open_return("A1008")
    french, _ = open_return("A1018", lang="fr")
    age_ticket(claim, 4 * 24)
    age_ticket(review, 2 * 24)

    assert _references(_queue(agent, status="approved")) == [approved.reference, french.reference]
    assert _references(_queue(agent, status="needs_review")) == [claim.reference, review.reference]
    assert _references(_queue(agent, reason="not_received")) == [claim.reference]
    assert _references(_queue(agent, channel="marketplace")) == [claim.reference]
    assert set(_references(_queue(agent, channel="online"))) == {
        approved.reference, review.reference, french.reference}
    assert _references(_queue(agent, lang="fr")) == [french.reference]
    assert _references(_queue(agent, age="1")) == [claim.reference, review.reference]
    assert _references(_queue(agent, age="3")) == [claim.reference]
    assert _references(_queue(agent, age="7")) == []
    assert _references(_queue(agent, status="needs_review", age="3")) == [claim.reference]


def test_an_unknown_filter_value_is_ignored_by_the_page(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    assert _references(_queue(agent, status="bogus", age="2", channel="moon")) == [ticket.reference]


def test_counts_per_status_cover_every_ticket(agent: FlaskClient, demo: dict) -> None:
    open_return("A1001")
    open_return("A1010")
    open_return("A1002", exception=True)
    html = _queue(agent)
    counts = dict(re.findall(r'<span class="desk-count">(\d+)</span> ([A-Za-z ]+)</a>', html))
    assert counts["2"] == "Approved"
    assert counts["1"] == "Needs review"
    assert html.count('<span class="desk-count">0</span>') == 6


def test_assigned_to_me_and_unassigned(client: FlaskClient, demo: dict) -> None:
    mine, _ = open_return("A1001")
    theirs, _ = open_return("A1010")
    nobody, _ = open_return("A1018")
    other = staff_user("agent", "sam@example.com", "Sam Second")
    sign_in(client, "agent")
    response = client.post(f"/desk/tickets/{mine.reference}/assign",
                           data={"agent": "me", "back": "queue"})
    assert response.status_code == 302 and response.headers["Location"] == "/desk"
    client.post(f"/desk/tickets/{theirs.reference}/assign", data={"agent": str(other.id)})

    assert _references(_queue(client, assigned="me")) == [mine.reference]
    assert _references(_queue(client, assigned="none")) == [nobody.reference]
    html = _queue(client)
    assert "Alex Agent" in html and "Sam Second" in html
    assert f'Assign to me<span class="visually-hidden"> ({nobody.reference})</span>' in html
    assert f'Assign to me<span class="visually-hidden"> ({mine.reference})</span>' not in html


def test_assignment_is_recorded_in_the_internal_history(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    other = staff_user("agent", "sam@example.com", "Sam Second")
    agent.post(f"/desk/tickets/{ticket.reference}/assign", data={"agent": "me"})
    agent.post(f"/desk/tickets/{ticket.reference}/assign", data={"agent": str(other.id)})
    agent.post(f"/desk/tickets/{ticket.reference}/assign", data={"agent": "none"})
    db.session.expire_all()
    events = [e for e in ticket.events if e.kind in ("assigned", "unassigned")]
    assert [(e.kind, e.actor, e.public, e.data["to"]) for e in events] == [
        ("assigned", "Alex Agent", False, "Alex Agent"),
        ("assigned", "Alex Agent", False, "Sam Second"),
        ("unassigned", "Alex Agent", False, None),
    ]
    assert ticket.assigned_to_id is None


def test_tickets_cannot_go_to_writers(agent: FlaskClient, demo: dict) -> None:
    ticket, _ = open_return("A1001")
    writer = staff_user("writer")
    response = agent.post(f"/desk/tickets/{ticket.reference}/assign",
                          data={"agent": str(writer.id)})
    assert response.status_code == 400
    assert "Tickets can only be assigned to active agents." in response.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.assigned_to_id is None


def test_a_ticket_waiting_past_the_response_target_stands_out(agent: FlaskClient,
                                                              demo: dict) -> None:
    late, _ = open_return("A1002", exception=True)
    fresh, _ = open_return("A1008")
    age_ticket(late, 25)
    html = _queue(agent)
    assert html.count('class="desk-row-overdue"') == 1
    row = html[html.index(late.reference):html.index(fresh.reference)]
    assert "desk-overdue" in row
    assert 'aria-label="Overdue: the shopper has waited more than 24 hours' in row
    page = agent.get(f"/desk/tickets/{late.reference}").get_data(as_text=True)
    assert "desk-overdue" in page


def test_the_response_target_comes_from_the_configuration(app: Flask, agent: FlaskClient,
                                                          demo: dict) -> None:
    ticket, _ = open_return("A1002", exception=True)
    age_ticket(ticket, 10)
    assert "desk-row-overdue" not in _queue(agent)
    app.config["RESPONSE_TARGET_HOURS"] = 8
    assert "desk-row-overdue" in _queue(agent)


def test_an_answer_stops_the_wait_and_a_shopper_message_starts_it_again(
    agent: FlaskClient, demo: dict
) -> None:
    ticket, _ = open_return("A1002", exception=True)
    age_ticket(ticket, 48)
    assert "desk-row-overdue" in _queue(agent)
    agent.post(f"/desk/tickets/{ticket.reference}/actions",
               data={"action": "reply", "message": "We are looking into it."})
    assert "desk-row-overdue" not in _queue(agent)

    shopper_reply(ticket, "Any news?")
    db.session.commit()
    age_ticket(ticket, 30)
    # An internal note is not an answer to the shopper: the ticket still waits.
    agent.post(f"/desk/tickets/{ticket.reference}/actions", data={"action": "note", "message": "x"})
    assert "desk-row-overdue" in _queue(agent)


def test_a_ticket_the_policy_approved_does_not_wait_for_an_agent(agent: FlaskClient,
                                                                 demo: dict) -> None:
    ticket, _ = open_return("A1001")
    age_ticket(ticket, 72)
    assert "desk-row-overdue" not in _queue(agent)


def test_the_queue_shows_25_tickets_a_page(agent: FlaskClient, demo: dict) -> None:
    socks = [{"sku": f"SOCK-{n:02}", "name": f"Socks {n}", "category": "apparel", "quantity": 1,
              "unit_price": "5.00"} for n in range(26)]
    add_order("C3001", demo, delivered_at=(demo["now"] - timedelta(days=2)).isoformat(),
              items=socks)
    tickets = [open_return("C3001", [(sock["sku"], 1, "wrong_size", "unopened")])[0]
               for sock in socks]
    first_page = _queue(agent)
    assert _references(first_page) == [t.reference for t in tickets[:25]]
    assert "26 tickets" in first_page
    assert 'href="/desk?page=2&amp;status=open" rel="next"' in first_page
    assert _references(_queue(agent, page="2")) == [tickets[25].reference]
    # The page size is the desk's own: a per_page argument does not change it.
    assert len(_references(_queue(agent, per_page="100"))) == 25


def test_pages_of_the_queue_keep_the_filters(agent: FlaskClient, demo: dict,
                                             monkeypatch: Any) -> None:
    from kb.desk import service

    monkeypatch.setattr(service, "PER_PAGE", 1)
    first, _ = open_return("A1001")
    second, _ = open_return("A1010")
    age_ticket(first, 1)
    html = _queue(agent, channel="online")
    assert _references(html) == [first.reference]
    assert 'href="/desk?page=2&amp;status=open&amp;channel=online" rel="next"' in html
    assert _references(_queue(agent, channel="online", page="2")) == [second.reference]


def test_pending_refunds_are_listed_on_the_queue(agent: FlaskClient, app: Flask,
                                                 demo: dict) -> None:
    app.config["REFUND_SECOND_APPROVAL_OVER"] = "10"
    ticket, _ = open_return("A1001")
    agent.post(f"/desk/tickets/{ticket.reference}/refund",
               data={"amount": "39.80", "method": "original_payment"})
    html = _queue(agent)
    assert "Refunds waiting for a second agent" in html
    assert f'/desk/tickets/{ticket.reference}#refunds-title' in html
    assert db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "refund_pending"))


def test_agents_find_a_ticket_by_order_number_email_or_reference(agent: FlaskClient, demo: dict) -> None:
    mine, _ = open_return("A1001")
    french, _ = open_return("A1018", lang="fr")
    declined, _ = open_return("A1002", exception=True)
    agent.post(f"/desk/tickets/{declined.reference}/actions", data={"action": "decline", "reason": "outside_policy"})
    assert _references(_queue(agent, q="a1018")) == [french.reference]
    assert _references(_queue(agent, q="#A1018")) == [french.reference]
    assert _references(_queue(agent, q="CAMILLE@example.fr")) == [french.reference]
    assert _references(_queue(agent, q=mine.reference.lower())) == [mine.reference]
    # A search looks beyond the open tickets, unless a status is picked too.
    assert _references(_queue(agent, q="A1002")) == [declined.reference]
    assert _references(_queue(agent, q="A1002", status="open")) == []
    assert "No ticket has the order number, e-mail or reference A9999" in _queue(agent, q="A9999")


def test_each_queue_row_shows_the_order_its_items_and_their_value(agent: FlaskClient, demo: dict) -> None:
    open_return("A1001")
    html = _queue(agent)
    row = html[html.index('<tr', html.index("<tbody")):html.index("</tr>", html.index("<tbody"))]
    assert "A1001" in row
    assert "Organic tee, blue, M" in row
    assert "€39.80" in row  # two tees at 19.90
    assert re.search(r"\d+ (second|minute)s? ago", row)


def test_the_api_refuses_an_overlong_search(agent: FlaskClient, app: Flask) -> None:
    from kb.desk.service import FilterError, parse_filters

    assert parse_filters({"q": "  A1001 "}, strict=True).query == "A1001"
    try:
        parse_filters({"q": "x" * 300}, strict=True)
    except FilterError as exc:
        assert exc.name == "q"
    else:
        raise AssertionError("an overlong search was accepted")
