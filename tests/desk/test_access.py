"""Who may open what: anonymous visitors sign in, writers are refused, agents and admins work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.auth.service import create_token, revoke_token
from kb.extensions import db
from kb.mail.models import Webhook
from kb.tickets.models import Attachment, Ticket
from kb.tickets.service import open_question
from tests.desk.conftest import bearer, open_return, sign_in, staff_user

AGENT_PAGES = ["/desk", "/desk/tickets/{ref}", "/desk/tickets/{ref}/photos/{photo}",
               "/desk/tickets/{question}"]
ADMIN_PAGES = ["/desk/webhooks", "/desk/admin/users", "/desk/admin/tokens", "/desk/admin/replies"]
# Posts that change something: refused before any change for the wrong role.
AGENT_POSTS = [
    ("/desk/tickets/{ref}/actions", {"action": "note", "message": "hello"}),
    ("/desk/tickets/{ref}/refund", {"amount": "1.00", "method": "original_payment"}),
    ("/desk/tickets/{ref}/assign", {"agent": "none"}),
    ("/desk/refunds/1/confirm", {}),
    ("/desk/tickets/{question}/actions", {"action": "reply", "message": "hello"}),
]
ADMIN_POSTS = [
    ("/desk/webhooks", {"url": "https://shop.example/hook", "events": "*"}),
    ("/desk/webhooks/{hook}/deactivate", {}),
    ("/desk/admin/users", {"email": "new@example.com", "role": "agent", "password": "x" * 12}),
    ("/desk/admin/users/{user}/active", {"active": "0"}),
    ("/desk/admin/users/{user}/sign-out", {}),
    ("/desk/admin/tokens", {"name": "erp", "role": "agent"}),
    ("/desk/admin/tokens/{token}/revoke", {}),
    ("/desk/admin/replies", {"lang": "en", "title": "Hello", "body": "Hello there"}),
]
API_CALLS = [
    ("get", "/api/v1/tickets", None),
    ("get", "/api/v1/tickets/{ref}", None),
    ("post", "/api/v1/tickets/{ref}/actions", {"action": "note", "message": "hi"}),
    ("post", "/api/v1/tickets/{ref}/refund", {"amount": "1.00", "method": "original_payment"}),
    ("post", "/api/v1/refunds/1/confirm", None),
]


@pytest.fixture
def ids(app: Flask, demo: dict[str, Any]) -> dict[str, Any]:
    """A ticket with a photo, a webhook, a user and a token, for the URLs to point at."""
    ticket, _token = open_return("A1002", exception=True)
    question, _token = open_question(email="ana@example.com", subject="Hi", message="Where?", lang="en")
    uploads = Path(app.config["UPLOADS_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "abc.jpg").write_bytes(b"\xff\xd8\xff photo")
    photo = Attachment(ticket_id=ticket.id, filename="abc.jpg", mime="image/jpeg", size=10)
    hook = Webhook(url="https://shop.example/old", secret="s", events="*")
    db.session.add_all([photo, hook])
    token, _plain = create_token("old", "agent")
    db.session.commit()
    user = staff_user("agent", "other@example.com", "Other Agent")
    return {"ref": ticket.reference, "question": question.reference, "photo": photo.id,
            "hook": hook.id, "token": token.id, "user": user.id}


def _url(template: str, ids: dict[str, Any]) -> str:
    return template.format(**ids)


def _status(client: FlaskClient, url: str) -> int:
    """GET a page and close it (the photo is streamed from its file)."""
    with client.get(url) as response:
        return response.status_code


def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient, ids: dict) -> None:
    for template in AGENT_PAGES + ADMIN_PAGES:
        response = client.get(_url(template, ids))
        assert response.status_code == 302, template
        assert response.headers["Location"].startswith("/login"), template
    for template, data in AGENT_POSTS + ADMIN_POSTS:
        response = client.post(_url(template, ids), data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], template


def test_writers_are_refused_every_desk_page(client: FlaskClient, ids: dict) -> None:
    sign_in(client, "writer")
    for template in AGENT_PAGES + ADMIN_PAGES:
        assert _status(client, _url(template, ids)) == 403, template
    for template, data in AGENT_POSTS + ADMIN_POSTS:
        assert client.post(_url(template, ids), data=data).status_code == 403, template
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.kind == "return"))
    assert ticket is not None and not ticket.refunds and ticket.events[-1].kind == "opened"
    question = db.session.scalar(db.select(Ticket).where(Ticket.kind == "question"))
    assert question is not None and question.events[-1].kind == "asked"


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_agents_and_admins_work_the_queue_and_tickets(client: FlaskClient, ids: dict,
                                                      role: str) -> None:
    sign_in(client, role)
    for template in AGENT_PAGES:
        assert _status(client, _url(template, ids)) == 200, template


def test_only_admins_open_the_admin_pages(client: FlaskClient, ids: dict) -> None:
    sign_in(client, "agent")
    for template in ADMIN_PAGES:
        assert _status(client, _url(template, ids)) == 403, template
    for template, data in ADMIN_POSTS:
        assert client.post(_url(template, ids), data=data).status_code == 403, template
    assert db.session.get(Webhook, ids["hook"]).active


def test_admins_open_the_admin_pages(admin: FlaskClient, ids: dict) -> None:
    for template in ADMIN_PAGES:
        assert _status(admin, _url(template, ids)) == 200, template


def test_the_staff_page_links_agents_and_admins_to_the_desk(client: FlaskClient, app: Flask,
                                                            demo: dict) -> None:
    sign_in(client, "agent")
    assert 'href="/desk"' in client.get("/staff").get_data(as_text=True)
    writer = app.test_client()
    sign_in(writer, "writer")
    assert 'href="/desk"' not in writer.get("/staff").get_data(as_text=True)


def test_the_api_wants_a_valid_token(client: FlaskClient, ids: dict) -> None:
    for method, template, body in API_CALLS:
        for headers in ({}, {"Authorization": "Bearer kb_not-a-real-token"},
                        {"Authorization": "Basic abc"}):
            response = getattr(client, method)(_url(template, ids), json=body, headers=headers)
            assert response.status_code == 401, (template, headers)
            assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_api_refuses_writer_tokens(client: FlaskClient, ids: dict) -> None:
    headers = bearer("writer")
    for method, template, body in API_CALLS:
        response = getattr(client, method)(_url(template, ids), json=body, headers=headers)
        assert response.status_code == 403, template
        assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_the_api_serves_agent_and_admin_tokens(client: FlaskClient, ids: dict, role: str) -> None:
    headers = bearer(role)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    assert client.get(_url("/api/v1/tickets/{ref}", ids), headers=headers).status_code == 200
    response = client.post(_url("/api/v1/tickets/{ref}/actions", ids), headers=headers,
                           json={"action": "note", "message": "checked"})
    assert response.status_code == 200
    response = client.post(_url("/api/v1/tickets/{ref}/refund", ids), headers=headers,
                           json={"amount": "1.00", "method": "store_credit", "review_checked": True})
    assert response.status_code == 201
    # No pending refund has that id: the token got through, the refund did not exist.
    response = client.post("/api/v1/refunds/999/confirm", headers=headers)
    assert response.status_code == 404


def test_a_session_cookie_does_not_open_the_api(client: FlaskClient, ids: dict) -> None:
    sign_in(client, "agent")
    assert client.get("/api/v1/tickets").status_code == 401


def test_revoked_tokens_stop_working(client: FlaskClient, ids: dict) -> None:
    token, plain = create_token("gone", "agent")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    revoke_token(token)
    db.session.commit()
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
