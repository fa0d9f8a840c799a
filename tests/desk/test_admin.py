"""The admin pages: webhooks that sign their calls, staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.auth.models import ApiToken, User
from kb.auth.service import create_token
from kb.extensions import db
from kb.mail.models import OutboxMessage, Webhook
from kb.mail.service import deliver, sign
from tests.desk.conftest import PASSWORD, open_return, sign_in, staff_user


def webhook_calls() -> list[OutboxMessage]:
    """The webhook calls waiting in the outbox."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")))


def verify_like_a_receiver(secret: str, body: bytes, header: str, now: float) -> bool:
    """The README's receiver check: the HMAC of "t.body", and no call older than 5 minutes."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def deliver_to_receiver(call: OutboxMessage) -> tuple[dict[str, str], bytes]:
    """Send an outbox call to a real HTTP server on this machine; what it received."""
    received: dict[str, object] = {}

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            received["headers"] = {name.lower(): value for name, value in self.headers.items()}
            received["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        call.recipient = f"http://127.0.0.1:{server.server_port}/kb-hook"
        deliver(call)
    finally:
        thread.join(timeout=10)
        server.server_close()
    return received["headers"], received["body"]  # type: ignore[return-value]


def _secret_on(html: str) -> str:
    match = re.search(r'id="new-secret" type="text" class="desk-code" readonly value="([^"]+)"',
                      html)
    assert match, "the secret should be shown once, on creation"
    return match.group(1)


def test_a_registered_webhook_hears_an_approval_signed_with_its_secret(admin: FlaskClient,
                                                                       demo: dict) -> None:
    response = admin.post("/desk/webhooks", data={"url": "https://erp.example/kb-hook",
                                                  "events": "ticket.approved, ticket.closed"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = _secret_on(response.get_data(as_text=True))
    listing = admin.get("/desk/webhooks").get_data(as_text=True)
    assert "https://erp.example/kb-hook" in listing and "ticket.approved,ticket.closed" in listing
    assert secret not in listing  # shown once only

    ticket, _ = open_return("A1002", exception=True)
    admin.post(f"/desk/tickets/{ticket.reference}/actions", data={"action": "approve"})
    [call] = webhook_calls()
    assert call.recipient == "https://erp.example/kb-hook" and call.subject == "ticket.approved"
    headers, body = deliver_to_receiver(call)
    assert verify_like_a_receiver(secret, body, headers["x-kb-signature"], now=time.time())
    payload = json.loads(body)
    assert (payload["event"], payload["reference"], payload["status"]) == (
        "ticket.approved", ticket.reference, "approved")


def test_a_receiver_refuses_an_old_or_tampered_delivery(admin: FlaskClient, demo: dict) -> None:
    response = admin.post("/desk/webhooks", data={"url": "https://erp.example/kb-hook", "events": "*"})
    secret = _secret_on(response.get_data(as_text=True))
    ticket, _ = open_return("A1002", exception=True)
    admin.post(f"/desk/tickets/{ticket.reference}/actions", data={"action": "approve"})
    call = webhook_calls()[-1]
    headers, body = deliver_to_receiver(call)
    header = headers["x-kb-signature"]
    sent_at = int(dict(part.split("=", 1) for part in header.split(","))["t"])
    assert verify_like_a_receiver(secret, body, header, now=sent_at + 299)
    assert not verify_like_a_receiver(secret, body, header, now=sent_at + 301)  # a replay
    assert not verify_like_a_receiver(secret, body.replace(b"approved", b"refunded"), header, now=sent_at)
    assert not verify_like_a_receiver("another secret", body, header, now=sent_at)
    assert "X-KB-Signature" not in json.loads(call.headers_json)  # signed when sent, never stored


def test_a_webhook_only_hears_the_events_it_asked_for(admin: FlaskClient, demo: dict) -> None:
    admin.post("/desk/webhooks", data={"url": "http://erp.local/closed", "events": "ticket.closed"})
    ticket, _ = open_return("A1002", exception=True)
    admin.post(f"/desk/tickets/{ticket.reference}/actions", data={"action": "approve"})
    assert webhook_calls() == []


def test_a_return_approved_at_once_calls_a_webhook_for_each_of_its_events(admin: FlaskClient,
                                                                          demo: dict) -> None:
    admin.post("/desk/webhooks", data={"url": "https://erp.example/all", "events": "*"})
    ticket, _ = open_return("A1001")
    assert ticket.status == "approved"
    calls = webhook_calls()
    assert [call.subject for call in calls] == ["ticket.opened", "ticket.approved"]
    assert {json.loads(call.body)["reference"] for call in calls} == {ticket.reference}


def test_a_deactivated_webhook_is_not_called_any_more(admin: FlaskClient, demo: dict) -> None:
    admin.post("/desk/webhooks", data={"url": "https://erp.example/hook", "events": "*"})
    hook = db.session.scalar(select(Webhook))
    response = admin.post(f"/desk/webhooks/{hook.id}/deactivate")
    assert response.status_code == 302
    db.session.expire_all()
    assert hook.active is False
    assert "Inactive" in admin.get("/desk/webhooks").get_data(as_text=True)
    ticket, _ = open_return("A1002", exception=True)
    admin.post(f"/desk/tickets/{ticket.reference}/actions", data={"action": "approve"})
    assert webhook_calls() == []


def test_webhook_urls_and_events_are_checked(admin: FlaskClient, demo: dict) -> None:
    for data, message in [
        ({"url": "ftp://erp.example/hook", "events": "*"}, "Enter an http or https URL."),
        ({"url": "javascript:alert(1)", "events": "*"}, "Enter an http or https URL."),
        ({"url": "https://", "events": "*"}, "Enter an http or https URL."),
        ({"url": "https://user:pw@erp.example/", "events": "*"}, "Enter an http or https URL."),
        ({"url": "https://erp.example/h", "events": "ticket.lost"}, "Events must be *"),
        ({"url": "https://erp.example/h", "events": "*, ticket.closed"}, "Events must be *"),
    ]:
        response = admin.post("/desk/webhooks", data=data)
        assert response.status_code == 400, data
        html = response.get_data(as_text=True)
        assert message in html, data
        assert f'value="{data["url"]}"' in html  # what was typed is kept
    assert db.session.scalars(select(Webhook)).all() == []


def test_admins_create_staff_accounts(admin: FlaskClient, app: Flask, demo: dict) -> None:
    response = admin.post("/desk/admin/users", data={
        "email": "Nina@Example.com", "name": "Nina New", "role": "agent", "password": PASSWORD})
    assert response.status_code == 302
    assert "nina@example.com" in admin.get("/desk/admin/users").get_data(as_text=True)
    nina = app.test_client()
    response = nina.post("/login", data={"email": "nina@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert nina.get("/desk").status_code == 200


def test_a_short_password_or_a_taken_email_is_refused(admin: FlaskClient, demo: dict) -> None:
    response = admin.post("/desk/admin/users", data={
        "email": "short@example.com", "name": "Short", "role": "agent", "password": "x" * 11})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at least 12 characters" in html and 'value="short@example.com"' in html
    response = admin.post("/desk/admin/users", data={
        "email": "admin@example.com", "role": "agent", "password": PASSWORD})
    assert response.status_code == 400
    response = admin.post("/desk/admin/users", data={
        "email": "x@example.com", "role": "owner", "password": PASSWORD})
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "short@example.com")) is None


def test_deactivating_signs_the_user_out_and_reactivating_lets_them_back(
    admin: FlaskClient, app: Flask, demo: dict
) -> None:
    agent = app.test_client()
    user = sign_in(agent, "agent")
    assert agent.get("/desk").status_code == 200
    admin.post(f"/desk/admin/users/{user.id}/active", data={"active": "0"})
    assert agent.get("/desk").status_code == 302  # back to the login page
    refused = agent.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "do not match an active account" in refused.get_data(as_text=True)
    admin.post(f"/desk/admin/users/{user.id}/active", data={"active": "1"})
    sign_in(agent, "agent")
    assert agent.get("/desk").status_code == 200


def test_admins_cannot_deactivate_themselves(admin: FlaskClient, demo: dict) -> None:
    me = staff_user("admin")
    response = admin.post(f"/desk/admin/users/{me.id}/active", data={"active": "0"})
    assert response.status_code == 400
    db.session.expire_all()
    assert me.active


def test_signing_a_user_out_everywhere(admin: FlaskClient, app: Flask, demo: dict) -> None:
    laptop, phone = app.test_client(), app.test_client()
    user = sign_in(laptop, "agent")
    sign_in(phone, "agent")
    response = admin.post(f"/desk/admin/users/{user.id}/sign-out")
    assert response.status_code == 302
    assert laptop.get("/desk").status_code == 302
    assert phone.get("/desk").status_code == 302
    db.session.expire_all()
    assert user.active  # signed out, not deactivated


def test_tokens_are_shown_once_listed_and_revoked(admin: FlaskClient, app: Flask,
                                                  demo: dict) -> None:
    response = admin.post("/desk/admin/tokens", data={"name": "warehouse", "role": "agent"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r'id="new-token" type="text" class="desk-code" readonly value="(kb_[^"]+)"',
                      response.get_data(as_text=True))
    assert match
    plain = match.group(1)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/tickets", headers=headers).status_code == 200

    listing = admin.get("/desk/admin/tokens").get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "warehouse"))
    assert plain not in listing and f"{token.prefix}…" in listing
    assert "Never" not in listing  # it has been used now

    assert admin.post(f"/desk/admin/tokens/{token.id}/revoke").status_code == 302
    assert api.get("/api/v1/tickets", headers=headers).status_code == 401
    assert "Revoked" in admin.get("/desk/admin/tokens").get_data(as_text=True)


def test_a_token_needs_a_name_and_a_role(admin: FlaskClient, demo: dict) -> None:
    for data in ({"name": "", "role": "agent"}, {"name": "x", "role": "root"}):
        response = admin.post("/desk/admin/tokens", data=data)
        assert response.status_code == 400
        assert "Give the token a name and a role." in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_deactivated_users_tokens_stop_working_at_once(admin: FlaskClient, app: Flask, demo: dict) -> None:
    owner = staff_user("agent")
    _token, plain = create_token("warehouse", "agent", created_by=owner)
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/tickets", headers=headers).status_code == 200
    admin.post(f"/desk/admin/users/{owner.id}/active", data={"active": "0"})
    assert api.get("/api/v1/tickets", headers=headers).status_code == 401
    admin.post(f"/desk/admin/users/{owner.id}/active", data={"active": "1"})
    assert api.get("/api/v1/tickets", headers=headers).status_code == 401  # revoked, not paused


def test_a_token_works_only_while_its_owner_is_active(app: Flask, demo: dict) -> None:
    owner = staff_user("agent")
    _token, plain = create_token("warehouse", "agent", created_by=owner)
    owner.active = False  # e.g. changed outside the admin page
    db.session.commit()
    response = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


def test_signing_out_ends_the_session_and_the_remember_me_cookie_on_the_server(app: Flask, demo: dict) -> None:
    browser = app.test_client()
    user = staff_user("agent")
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    stolen = {name: browser.get_cookie(name, domain="kb.test").value for name in ("session", "remember_token")}
    assert browser.get("/desk").status_code == 200
    browser.post("/logout")
    for name, value in stolen.items():
        replay = app.test_client()
        replay.set_cookie(name, value, domain="kb.test")
        assert replay.get("/desk").status_code == 302, name  # back to the login page


def _readme_verify():  # type: ignore[no-untyped-def]
    """The receiver's ``verify`` exactly as the README prints it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### What kb sends back"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the README shows a receiver's check"
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    return namespace["verify"]


def test_the_readme_receiver_accepts_a_fresh_delivery_and_refuses_replays(admin: FlaskClient,
                                                                         demo: dict) -> None:
    verify = _readme_verify()
    response = admin.post("/desk/webhooks", data={"url": "https://erp.example/kb-hook", "events": "*"})
    secret = _secret_on(response.get_data(as_text=True))
    ticket, _ = open_return("A1002", exception=True)
    admin.post(f"/desk/tickets/{ticket.reference}/actions", data={"action": "approve"})
    headers, body = deliver_to_receiver(webhook_calls()[-1])
    assert verify(secret, body, headers["x-kb-signature"])
    assert not verify(secret, body + b" ", headers["x-kb-signature"])
    six_minutes_ago = int(time.time()) - 360
    assert not verify(secret, body, sign(secret, body, six_minutes_ago))
    assert verify(secret, body, sign(secret, body, int(time.time()) - 60))
