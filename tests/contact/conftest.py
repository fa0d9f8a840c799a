"""Contact form fixtures: the real articles, the demo orders, and a question sent the shopper's way."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

QUESTION = {
    "subject": "Refund timing",
    "message": "How long does a refund take to reach my card?",
    "email": "ana@example.com",
    "order_number": "",
}


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A shopper's browser on the site with its articles and the demo orders."""
    return content_app.test_client()


def ask(client: FlaskClient, lang: str = "en", **fields: str) -> Any:
    """Step 1: post the question (QUESTION, with ``fields`` changed)."""
    return client.post(f"/{lang}/contact", data={**QUESTION, **fields})


def send(client: FlaskClient, lang: str = "en", **fields: str) -> Any:
    """Steps 1 to 3: ask, see the answers, and send the question anyway."""
    assert ask(client, lang, **fields).status_code == 302
    assert client.get(f"/{lang}/contact/answers").status_code == 200
    return client.post(f"/{lang}/contact/send")
