"""Only trusted host names are served, and e-mailed links never come from the Host header."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from kb.config import DEMO_HOSTS
from tests.conftest import make_app, reset_database


def served(tmp_path: Path, **config: object) -> Flask:
    """A migrated app with this configuration."""
    app = make_app(tmp_path, **config)
    reset_database(app)
    return app


def test_a_forged_host_is_refused_when_the_base_url_is_set(tmp_path: Path) -> None:
    app = served(tmp_path, BASE_URL="https://help.example.com")
    assert app.config["TRUSTED_HOSTS"] == ["help.example.com"]
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "help.example.com"}).status_code == 200


def test_the_trusted_hosts_setting_takes_a_space_separated_list(tmp_path: Path) -> None:
    app = served(tmp_path, BASE_URL="https://help.example.com", TRUSTED_HOSTS="help.example.com kb.internal")
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "kb.internal:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_the_demo_answers_to_localhost_only(tmp_path: Path) -> None:
    app = served(tmp_path, TESTING=False, DEMO=True)
    assert app.config["TRUSTED_HOSTS"] == DEMO_HOSTS
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "localhost:5000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_without_a_base_url_outside_the_demo_the_site_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="KB_BASE_URL"):
        make_app(tmp_path, TESTING=False, DEMO=False, BASE_URL=None)
    assert make_app(tmp_path, TESTING=False, DEMO=False, BASE_URL="https://help.example.com")


def test_private_pages_are_never_stored_by_caches(tmp_path: Path) -> None:
    from kb.auth.service import create_user
    from kb.extensions import db

    app = served(tmp_path)
    with app.app_context():
        create_user("agent@example.com", "a long enough password", "agent")
        db.session.commit()
    client = app.test_client()
    private = ["/en/returns/start", "/en/returns/status/R-ZZZZZZ?token=x", "/en/returns/status/R-ZZZZZZ/slip",
               "/login", "/api/v1/returns/R-ZZZZZZ?token=x", "/en/contact"]
    for path in private:
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    client.post("/login", data={"email": "agent@example.com", "password": "a long enough password"})
    for path in ["/desk", "/insights", "/insights/reasons.csv"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    assert "no-store" not in (client.get("/en/").headers.get("Cache-Control") or "")
