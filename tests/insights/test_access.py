"""Agents and admins read every report; writers only the content ones; shoppers nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.insights.conftest import MARCH, Staff

CONTENT = ("gaps", "articles")
AGENT_ONLY = ("reasons", "self_help", "money")


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_agents_and_admins_read_every_report(client: FlaskClient, staff: Staff,
                                             role: str) -> None:
    staff.login(role)
    headers = staff.token(role)
    assert client.get("/insights").status_code == 200
    for report in CONTENT + AGENT_ONLY:
        assert client.get(f"/insights/{report}").status_code == 200, report
        assert client.get(f"/insights/{report}.csv").status_code == 200, report
        assert client.get(f"/api/v1/insights/{report}", headers=headers).status_code == 200


def test_writers_read_only_the_content_reports(client: FlaskClient, staff: Staff) -> None:
    staff.login("writer")
    headers = staff.token("writer")
    page = client.get("/insights")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Knowledge gaps" in html and "Money kept" not in html and "Return reasons" not in html
    for report in CONTENT:
        assert client.get(f"/insights/{report}").status_code == 200, report
        assert client.get(f"/insights/{report}.csv").status_code == 200, report
        assert client.get(f"/api/v1/insights/{report}", headers=headers).status_code == 200
    for report in AGENT_ONLY:
        assert client.get(f"/insights/{report}").status_code == 403, report
        assert client.get(f"/insights/{report}.csv").status_code == 403, report
        response = client.get(f"/api/v1/insights/{report}", headers=headers)
        assert response.status_code == 403, report
        assert response.get_json()["error"]["code"] == "forbidden"


def test_shoppers_are_sent_to_the_login_page(client: FlaskClient) -> None:
    for path in ("/insights", "/insights/gaps", "/insights/money", "/insights/gaps.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_the_api_wants_a_staff_token(client: FlaskClient, staff: Staff) -> None:
    for report in CONTENT + AGENT_ONLY:
        response = client.get(f"/api/v1/insights/{report}")
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    bad = client.get("/api/v1/insights/gaps", headers={"Authorization": "Bearer kb_nope"})
    assert bad.status_code == 401
    staff.login("agent")  # a signed-in session is not a token
    assert client.get("/api/v1/insights/gaps").status_code == 401


def test_unknown_reports_are_not_found(client: FlaskClient, staff: Staff) -> None:
    staff.login("agent")
    assert client.get("/insights/salaries").status_code == 404
    assert client.get("/insights/salaries.csv").status_code == 404
    response = client.get("/api/v1/insights/salaries", headers=staff.token("agent"))
    assert response.status_code == 404


def test_staff_home_links_to_insights(client: FlaskClient, staff: Staff) -> None:
    staff.login("writer")
    assert 'href="/insights"' in client.get("/staff").get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"from": "2026-13-01", "to": "2026-03-31"}, "invalid_date"),
        ({"from": "yesterday"}, "invalid_date"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "invalid_period"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "period_too_long"),
        ({**MARCH, "lang": "de"}, "invalid_lang"),
        ({"days": "14"}, "invalid_days"),
    ],
)
def test_bad_parameters_are_refused(client: FlaskClient, staff: Staff, args: dict,
                                    code: str) -> None:
    response = client.get("/api/v1/insights/gaps", query_string=args,
                          headers=staff.token("writer"))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    staff.login("writer")
    assert client.get("/insights/gaps.csv", query_string=args).status_code == 400
    page_args = {("language" if k == "lang" else k): v for k, v in args.items()}
    page = client.get("/insights/gaps", query_string=page_args)
    assert page.status_code == 400
    assert response.get_json()["error"]["message"] in page.get_data(as_text=True)
    assert 'role="alert"' in page.get_data(as_text=True)


def test_a_full_year_is_allowed(client: FlaskClient, staff: Staff) -> None:
    response = client.get("/api/v1/insights/gaps", query_string={
        "from": "2025-01-01", "to": "2026-01-01"}, headers=staff.token("writer"))
    assert response.status_code == 200  # 366 days
