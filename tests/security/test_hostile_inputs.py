"""Whatever a client sends, no route answers with a server error: every route of the url_map,
walked with the inputs that once caused 500s."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing import IntegerConverter

from kb.auth.service import create_user
from kb.extensions import db
from tests.security.test_authorization import PASSWORD, cases, clients  # noqa: F401 (fixture)

HUGE_ID = 2**63 + 7
QUERIES = ["lang=", "lang=xx", "endpoint=x", "endpoint=", "next=%0d%0aSet-Cookie:%20x=1", "page=99999999999999999999",
           "translate=99999999999999999999", "a=99999999999999999999&b=99999999999999999999"]
BODIES = [
    '{"session": "\\ud800", "q": "\\udfff", "email": "\\ud800@example.com", "order_number": "\\ud800"}',
    "[" * 1000 + "]" * 1000,
    '{"a":' * 1000 + "1" + "}" * 1000,
    '{"assignee_id": 99999999999999999999, "id": 99999999999999999999, "amount": 1e999}',
]


def _huge_id_paths(app: Flask) -> list[tuple[str, str]]:
    """(method, path) for every route with an int converter, filled with an id above 2**63."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            converters = dict(rule._converters)
            if not any(isinstance(conv, IntegerConverter) for conv in converters.values()):
                continue
            args: dict[str, Any] = {
                name: 1 if isinstance(conv, IntegerConverter) else {"lang": "en"}.get(name, "x")
                for name, conv in converters.items()
            }
            path = url_for(rule.endpoint, **args)
            # Replace the sample id 1 by a huge one in the path.
            path = path.replace("/1/", f"/{HUGE_ID}/") if "/1/" in path else path.rsplit("/1", 1)[0] + f"/{HUGE_ID}"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, path))
    return found


def _send(client: Any, method: str, path: str, token: str, **kwargs: Any) -> int:
    headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
    try:
        response = client.open(path, method=method, headers=headers, **kwargs)
    except Exception as exc:  # the test app propagates exceptions: a 500 in production
        return 500 if not isinstance(exc, AssertionError) else 599
    status = response.status_code
    response.close()
    return status


def test_hostile_query_strings_never_cause_a_server_error(content_app: Flask, clients: dict) -> None:  # noqa: F811
    problems = []
    for _endpoint, method, path, _values in cases(content_app):
        if _endpoint == "auth.logout":
            continue
        for query in QUERIES:
            for role in ("anonymous", "admin"):
                client = clients[role] if not path.startswith("/api/") else clients["anonymous"]
                status = _send(client, method, f"{path}?{query}", clients["tokens"]["admin"])
                if status >= 500:
                    problems.append(f"{method} {path}?{query} as {role}: {status}")
    assert problems == []


def test_hostile_json_bodies_never_cause_a_server_error(content_app: Flask, clients: dict) -> None:  # noqa: F811
    problems = []
    for _endpoint, method, path, _values in cases(content_app):
        if method == "GET" or _endpoint == "auth.logout":
            continue
        for body in BODIES:
            status = _send(clients["admin"], method, path, clients["tokens"]["admin"], data=body,
                           content_type="application/json")
            if status >= 500 or (status < 300 and path.startswith("/api/")):
                problems.append(f"{method} {path} {body[:30]}: {status}")
    assert problems == []


def test_ids_above_two_to_the_63_are_not_found(content_app: Flask, clients: dict) -> None:  # noqa: F811
    problems = []
    paths = _huge_id_paths(content_app)
    assert paths, "no route takes an int id"
    for method, path in paths:
        client = clients["admin"] if not path.startswith("/api/") else clients["anonymous"]
        status = _send(client, method, path, clients["tokens"]["admin"], json={})
        if status >= 500:
            problems.append(f"{method} {path}: {status}")
    assert problems == []


@pytest.mark.parametrize("target", ["/desk\r\nSet-Cookie: a=1", "/desk%0d%0aX: y", "/desk\n", "/\tdesk"])
def test_a_line_break_in_next_after_sign_in_stays_on_the_site(content_app: Flask, target: str) -> None:
    create_user("agent@example.com", PASSWORD, "agent")
    db.session.commit()
    client = content_app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"email": "agent@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "\r" not in response.headers["Location"]


def test_a_lone_surrogate_is_refused_as_invalid_json(client: Any) -> None:
    body = json.dumps({"order_number": "A1001", "email": "x"}).replace("A1001", "\\ud800")
    response = client.post("/api/v1/returns/lookup", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_a_chunked_body_over_one_megabyte_is_refused_with_413(client: Any) -> None:
    import io

    body = b'{"order_number": "' + b"x" * (2 * 1024 * 1024) + b'", "email": "a@example.com"}'
    response = client.post("/api/v1/returns/lookup", input_stream=io.BytesIO(body),
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_chunked_body_within_the_limit_is_read(client: Any) -> None:
    import io

    body = json.dumps({"order_number": "A1001", "email": "nobody@example.com"}).encode()
    response = client.post("/api/v1/returns/lookup", input_stream=io.BytesIO(body),
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 404, response.get_json()


@pytest.mark.parametrize("path", ["/api/v1/search", "/en/", "/api/v1/returns/lookup"])
def test_a_refused_method_names_the_allowed_ones(client: Any, path: str) -> None:
    response = client.open(path, method="TRACE")
    assert response.status_code == 405
    assert "GET" in response.headers.get("Allow", "") or "POST" in response.headers.get("Allow", "")


def test_suggest_refuses_a_query_over_its_documented_200_characters(client: Any) -> None:
    assert client.get("/api/v1/suggest", query_string={"q": "a" * 200}).status_code == 200
    response = client.get("/api/v1/suggest", query_string={"q": "a" * 201})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "query_too_long"
    spec = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "414" in spec["/api/v1/search"]["get"]["responses"]
    assert "414" in spec["/api/v1/suggest"]["get"]["responses"]
