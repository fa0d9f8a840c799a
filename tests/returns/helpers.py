"""Small helpers to drive the returns API in tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def lookup(client: FlaskClient, number: str = "A1001", email: str = "ana@example.com", **extra: Any) -> str:
    """Open a wizard session on an order; returns the session token."""
    body = {"order_number": number, "email": email, **extra}
    response = client.post("/api/v1/returns/lookup", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["session"]


def options(client: FlaskClient, session: str, items: list[dict[str, Any]], note: str = "") -> dict[str, Any]:
    """Run the self-help step; returns its JSON."""
    response = client.post("/api/v1/returns/options", json={"session": session, "items": items, "note": note})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def item(sku: str, reason: str = "changed_mind", condition: str = "unopened", quantity: int = 1) -> dict[str, Any]:
    """One item line of a request."""
    return {"sku": sku, "quantity": quantity, "reason": reason, "condition": condition}


def create(client: FlaskClient, session: str, items: list[dict[str, Any]], resolution: str = "refund",
           method: str = "carrier", **extra: Any):  # type: ignore[no-untyped-def]
    """Ask for the return ticket; returns the response."""
    body = {"session": session, "items": items, "resolution": resolution, "method": method, **extra}
    headers = {}
    if "idempotency_key" in body:
        headers["Idempotency-Key"] = body.pop("idempotency_key")
    return client.post("/api/v1/returns", json=body, headers=headers)
