"""Only writers and admins may use the studio."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.studio.conftest import AuthActions


def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/studio")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_agents_are_refused(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")
    assert client.get("/studio").status_code == 403
    assert client.get("/studio/new").status_code == 403
    assert client.post("/studio/preview", data={"body": "x", "lang": "en"}).status_code == 403


@pytest.mark.parametrize("role", ["writer", "admin"])
def test_writers_and_admins_get_in(client: FlaskClient, auth: AuthActions, role: str) -> None:
    auth.login(role)
    assert client.get("/studio").status_code == 200
    assert client.get("/studio/new").status_code == 200


@pytest.mark.parametrize("role", ["writer", "admin"])
def test_staff_home_links_writers_and_admins_to_the_studio(
    client: FlaskClient, auth: AuthActions, role: str
) -> None:
    auth.login(role)
    assert 'href="/studio"' in client.get("/staff").get_data(as_text=True)


def test_staff_home_has_no_studio_link_for_agents(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("agent")
    assert 'href="/studio"' not in client.get("/staff").get_data(as_text=True)


def test_no_studio_page_is_open_to_anonymous_visitors(app: Flask, client: FlaskClient) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("studio.")]
    assert len(rules) >= 9
    for rule in rules:
        path = rule.build({"article_id": 1, "number": 1}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/login"), (method, path)
