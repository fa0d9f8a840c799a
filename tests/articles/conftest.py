"""What the page cache tests share: a shop whose kept pages stay current, and two helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.auth.service import create_user
from kb.extensions import db
from tests.conftest import make_app, reset_database
from tests.studio.conftest import PASSWORD, make_article

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Flask]:
    """An app with CSRF on (as in production), one published article, and a slow sync clock."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, SEARCH_SYNC_INTERVAL=3600.0)
    reset_database(app)
    with app.app_context():
        make_article()
        yield app
        db.session.remove()


def cookies_set(response: Any) -> list[str]:
    """The names of the cookies a response sets."""
    return [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]


def sign_in_writer(client: FlaskClient) -> None:
    """Sign a writer in through the login form, CSRF token included."""
    create_user("writer@example.com", PASSWORD, "writer", name="Wanda Writer")
    db.session.commit()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))[1]
    response = client.post("/login", data={"email": "writer@example.com", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
