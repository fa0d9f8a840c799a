"""Signed deliveries of the platforms' example payloads, as the platforms send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kb.shops.signing import signature

FIXTURES = Path(__file__).parent / "fixtures"
SHOPIFY_SECRET = "shopify-test-secret"
WOO_SECRET = "woo-test-secret"


def fixture(name: str) -> Any:
    """A stored example payload, parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def shop_app(app: Flask) -> Flask:
    """The app with both platforms' webhook secrets set."""
    app.config["SHOPIFY_WEBHOOK_SECRET"] = SHOPIFY_SECRET
    app.config["WOOCOMMERCE_WEBHOOK_SECRET"] = WOO_SECRET
    return app


class Platform:
    """Sends webhooks to kb the way one platform does: its headers, its signature."""

    def __init__(self, client: FlaskClient, path: str, secret: str, headers: dict[str, str]) -> None:
        self.client = client
        self.path = path
        self.secret = secret
        self.names = headers  # signature, topic and delivery header names
        self.sent = 0

    def send(self, topic: str, payload: Any, delivery: str | None = None, secret: str | None = None,
             signature_value: str | None = None) -> TestResponse:
        """POST a payload under a topic, signed with the platform's secret (or the one given)."""
        body = json.dumps(payload).encode()
        self.sent += 1
        headers = {
            self.names["topic"]: topic,
            self.names["delivery"]: delivery or f"delivery-{self.sent}",
            self.names["signature"]: signature_value if signature_value is not None
            else signature(secret or self.secret, body),
        }
        return self.client.post(self.path, data=body, headers=headers, content_type="application/json")


@pytest.fixture
def shopify(shop_app: Flask) -> Platform:
    """Shopify, sending to /hooks/shopify."""
    return Platform(shop_app.test_client(), "/hooks/shopify", SHOPIFY_SECRET, {
        "signature": "X-Shopify-Hmac-Sha256", "topic": "X-Shopify-Topic", "delivery": "X-Shopify-Webhook-Id"})


@pytest.fixture
def woocommerce(shop_app: Flask) -> Platform:
    """WooCommerce, sending to /hooks/woocommerce."""
    return Platform(shop_app.test_client(), "/hooks/woocommerce", WOO_SECRET, {
        "signature": "X-WC-Webhook-Signature", "topic": "X-WC-Webhook-Topic",
        "delivery": "X-WC-Webhook-Delivery-ID"})
