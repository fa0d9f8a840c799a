"""Ops fixtures: the backend under test, and a shop with one shopper's whole history."""

from __future__ import annotations

import io
import os
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from kb.extensions import db
from kb.tickets.models import Ticket
from kb.tickets.service import apply_action, shopper_reply
from tests.returns.helpers import create, item, lookup, options

POSTGRES = (os.environ.get("KB_TEST_DATABASE_URL") or "").startswith("postgres")

# The other backend's tests are not collected rather than skipped: a run on PostgreSQL runs
# every PostgreSQL test, and a skip can never hide a failure.
collect_ignore = ["test_backup_sqlite.py"] if POSTGRES else ["test_backup_postgres.py"]

SHOPPER = "ana@example.com"


def wait_for_rebuild(app: Flask, timeout: float = 120) -> None:
    """Wait for a background index rebuild: it must not outlive the test's database."""
    keeper = app.extensions["kb_search"]
    deadline = time.monotonic() + timeout
    while keeper.rebuilding and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not keeper.rebuilding


def photo_bytes() -> bytes:
    """A small JPEG, as a phone would send it."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def open_ticket_with_history(app: Flask, number: str = "A1005") -> Ticket:
    """A ticket the way a shopper opens it (note, photo), then replies from both sides."""
    shop: FlaskClient = app.test_client()
    session = lookup(shop, number)
    defective = number == "A1005"
    lines = [item("HEADPH-NC700", reason="defective")] if defective else [item("TEE-M-BLUE")]
    options(shop, session, lines, note=f"Broken after a week, write to me at {SHOPPER}")
    uploaded = shop.post("/api/v1/returns/photos",
                         data={"session": session, "photo": (io.BytesIO(photo_bytes()), "p.jpg")})
    assert uploaded.status_code == 201, uploaded.get_json()
    created = create(shop, session, lines, note="Left ear is silent. Call me on 06 12 34 56 78.")
    assert created.status_code == 201, created.get_json()
    reference = created.get_json()["reference"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    assert ticket is not None
    shopper_reply(ticket, "Any news? My address is still ana@example.com.")
    apply_action(ticket, "reply", "Alex Agent",
                 message=f"Hello, we wrote to {SHOPPER} (not joana@example.com): label attached.")
    apply_action(ticket, "note", "Alex Agent", message="Customer sounded upset.")
    db.session.commit()
    return ticket


@pytest.fixture
def shopper_history(content_app: Flask, demo: dict[str, Any]) -> dict[str, Any]:
    """The demo shop plus a full ticket history for ana@example.com."""
    ticket = open_ticket_with_history(content_app)
    return {"ticket_id": ticket.id, "reference": ticket.reference, **demo}
