"""Every URL of the app, walked from `app.url_map` with each role: who may, who may not.

A new route cannot escape this table: an endpoint the table does not know fails the test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.auth.service import create_token, create_user
from kb.extensions import db

ROLES = ("anonymous", "writer", "agent", "admin", "shop")
STAFF = {"writer", "agent", "admin"}
PASSWORD = "a long enough password"
CONTENT_REPORTS = {"gaps", "articles"}
ADMIN_DESK = {"desk.tokens", "desk.revoke_token", "desk.users", "desk.user_active", "desk.user_sign_out",
              "desk.webhooks", "desk.deactivate_webhook", "desk.replies", "desk.edit_reply", "desk.delete_reply",
              "desk.unmapped"}
SAMPLE = {"lang": "en", "slug": "return-window", "code": "refunds", "key": "return-window",
          "reference": "R-ZZZZZZ", "filename": "kb.css"}
MISSING_ID = 999_999


def expected_roles(endpoint: str, values: dict[str, Any]) -> set[str] | None:
    """Who may use an endpoint; None means it is public."""
    room = endpoint.split(".")[0]
    if room == "studio":
        return {"writer", "admin"}
    if room in ("orders_api", "catalogue_api"):
        return {"shop", "admin"}
    if endpoint in ADMIN_DESK:
        return {"admin"}
    if room in ("desk", "desk_api"):
        return {"agent", "admin"}
    if room in ("insights", "insights_api"):
        report = values.get("report")
        if report is None or report in CONTENT_REPORTS:
            return set(STAFF)
        return {"agent", "admin"}
    if endpoint == "auth.staff_home":
        return set(STAFF)
    if room in ("articles", "articles_api", "returns", "returns_api", "wizard", "resend", "search", "search_api",
                "embed", "health", "api-docs", "auth", "static", "contact", "hooks", "web"):
        return None
    raise AssertionError(f"the authorization table does not know the endpoint {endpoint}: add it")


def cases(app: Flask) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(endpoint, method, path, values) for every route and every value of its converters."""
    found = []
    for rule in app.url_map.iter_rules():
        value_sets = [dict(SAMPLE)]
        if "report" in rule.arguments:
            value_sets = [{**SAMPLE, "report": r} for r in ("reasons", "self_help", "money", "gaps", "articles")]
        for values in value_sets:
            args = {name: values.get(name, MISSING_ID) for name in rule.arguments}
            with app.test_request_context():
                from flask import url_for

                path = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, path, values))
    # Signing out ends the clients' sessions: walk it last.
    return sorted(found, key=lambda case: case[0] == "auth.logout")


@pytest.fixture
def clients(content_app: Flask) -> dict[str, Any]:
    """A signed-in client per staff role, an anonymous one, and an API token per role."""
    result: dict[str, Any] = {"anonymous": content_app.test_client(), "tokens": {}}
    for role in ("writer", "agent", "admin"):
        create_user(f"{role}@example.com", PASSWORD, role)
        result["tokens"][role] = create_token(f"{role} token", role)[1]
    # A shop only ever holds a token: on pages it is an anonymous visitor.
    result["tokens"]["shop"] = create_token("shop token", "shop")[1]
    result["shop"] = content_app.test_client()
    db.session.commit()
    for role in ("writer", "agent", "admin"):
        client = content_app.test_client()
        response = client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD})
        assert response.status_code == 302, role
        result[role] = client
    return result


def _request(client: FlaskClient, method: str, path: str, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(path, headers=headers)
    if path.startswith("/api/"):
        return client.open(path, method=method, json={}, headers=headers)
    return client.open(path, method=method, data={}, headers=headers)


def _refused(response: Any, api: bool) -> bool:
    if api:
        return response.status_code in (401, 403)
    if response.status_code == 403:
        return True
    return response.status_code == 302 and "/login?next=" in response.headers.get("Location", "")


def test_every_route_allows_exactly_the_expected_roles(content_app: Flask, clients: dict[str, Any]) -> None:
    problems = []
    for endpoint, method, path, values in cases(content_app):
        allowed = expected_roles(endpoint, values)
        api = path.startswith("/api/")
        for role in ROLES:
            client = clients[role] if not api else clients["anonymous"]
            token = clients["tokens"].get(role) if api else None
            # Staff pages use the session; the staff API uses tokens only, never a cookie.
            response = _request(client, method, path, token)
            refused = _refused(response, api)
            should_refuse = allowed is not None and role not in allowed
            if refused != should_refuse:
                problems.append(f"{method} {path} as {role}: {response.status_code}")
            if response.status_code >= 500:
                problems.append(f"{method} {path} as {role}: server error {response.status_code}")
            response.close()  # static files are streamed from disk
    assert problems == []


def test_staff_api_ignores_a_signed_in_cookie(content_app: Flask, clients: dict[str, Any]) -> None:
    response = clients["agent"].get("/api/v1/tickets")
    assert response.status_code == 401


def test_anonymous_staff_pages_redirect_to_login_with_a_safe_next(clients: dict[str, Any]) -> None:
    response = clients["anonymous"].get("/desk")
    assert response.status_code == 302
    assert re.search(r"/login\?next=%2Fdesk", response.headers["Location"])


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(content_app: Flask, target: str) -> None:
    create_user("agent@example.com", PASSWORD, "agent")
    db.session.commit()
    client = content_app.test_client()
    response = client.post(f"/login?next={target}", data={"email": "agent@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff")


def test_login_failures_look_the_same_and_rotate_nothing(content_app: Flask) -> None:
    create_user("agent@example.com", PASSWORD, "agent")
    db.session.commit()
    client = content_app.test_client()
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": PASSWORD}).get_data(as_text=True)
    wrong = client.post("/login", data={"email": "agent@example.com", "password": "wrong password!!"}).get_data(
        as_text=True)
    message = "That e-mail and password do not match an active account."
    assert message in unknown and message in wrong


def test_session_cookie_flags(content_app: Flask) -> None:
    create_user("agent@example.com", PASSWORD, "agent")
    db.session.commit()
    client = content_app.test_client()
    response = client.post("/login", data={"email": "agent@example.com", "password": PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
