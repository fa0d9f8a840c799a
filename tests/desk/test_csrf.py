"""With CSRF protection on (as in production): desk forms need the token, the API does not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.auth.service import create_token
from kb.extensions import db
from kb.orders.records import import_orders
from kb.policy import shop_today
from kb.returns import wizard_service
from kb.returns.demo import demo_orders
from kb.shop import current_policy
from tests.conftest import make_app, reset_database
from tests.desk.conftest import PASSWORD, open_return, staff_user


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app with CSRF checks on, the demo orders loaded and the wizard's today pinned."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    reset_database(app)
    with app.app_context():
        now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        import_orders(demo_orders(now))
        db.session.commit()
        today = shop_today(current_policy(), now)
        monkeypatch.setattr(wizard_service, "today", lambda: today)
        yield app
        db.session.remove()
    with app.app_context():
        db.engine.dispose()


def _csrf(client: FlaskClient, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert field, url
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)  # type: ignore[union-attr]


def test_desk_forms_need_the_csrf_token(guarded: Flask) -> None:
    ticket, _ = open_return("A1002", exception=True)
    staff_user("agent")
    client = guarded.test_client()
    client.post("/login", data={"email": "agent@example.com", "password": PASSWORD,
                                "csrf_token": _csrf(client, "/login")})
    url = f"/desk/tickets/{ticket.reference}/actions"
    assert client.post(url, data={"action": "approve"}).status_code == 400
    db.session.expire_all()
    assert ticket.status == "needs_review"
    token = _csrf(client, f"/desk/tickets/{ticket.reference}")
    assert client.post(url, data={"action": "approve", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert ticket.status == "approved"


def test_the_staff_api_needs_no_csrf_token(guarded: Flask) -> None:
    ticket, _ = open_return("A1002", exception=True)
    _token, plain = create_token("erp", "agent")
    db.session.commit()
    response = guarded.test_client().post(
        f"/api/v1/tickets/{ticket.reference}/actions",
        headers={"Authorization": f"Bearer {plain}"}, json={"action": "approve"})
    assert response.status_code == 200, response.get_json()
