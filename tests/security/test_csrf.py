"""Every state-changing HTML form refuses a request without its CSRF token; the API needs none."""

from __future__ import annotations

from pathlib import Path

from flask import url_for

from tests.conftest import make_app, reset_database

SAMPLE = {"lang": "en", "slug": "return-window", "code": "refunds", "key": "return-window", "reference": "R-ZZZZZZ"}


def test_every_html_post_needs_the_csrf_token(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    reset_database(app)
    client = app.test_client()
    checked = []
    for rule in app.url_map.iter_rules():
        # The API and the shop platforms' webhooks are never posted by a browser form: the API
        # takes bearer tokens, the webhooks a signature of their body (tests/shops checks it).
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/hooks/")):
            continue
        with app.test_request_context():
            path = url_for(rule.endpoint, **{name: SAMPLE.get(name, 1) for name in rule.arguments})
        response = client.post(path, data={"anything": "x"})
        assert response.status_code == 400, (path, response.status_code)
        checked.append(path)
    assert len(checked) >= 20


def test_the_json_api_is_not_blocked_by_csrf(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    reset_database(app)
    response = app.test_client().post("/api/v1/returns/lookup", json={"order_number": "A1", "email": "a@b.co"})
    assert response.status_code == 404  # an answer from the API itself, not a CSRF refusal
