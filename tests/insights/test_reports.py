"""Every figure of every report, worked out by hand from the history in conftest.py."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.insights.conftest import APRIL, MARCH, Staff


def _get(client: FlaskClient, staff: Staff, report: str, **args: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/insights/{report}", query_string=args,
                          headers=staff.token("agent"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _days(figures: dict[str, int], field: str = "tickets") -> list[dict[str, Any]]:
    """March's 31 days, zero except the days given."""
    return [{"key": f"2026-03-{d:02d}", field: figures.get(f"03-{d:02d}", 0)}
            for d in range(1, 32)]


def test_reasons_in_march(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "reasons", **MARCH)
    assert body == {
        "report": "reasons", "from": "2026-03-01", "to": "2026-03-31", "lang": "all",
        "summary": {"tickets": 5},
        "per_day": _days({"03-03": 2, "03-06": 1, "03-10": 1, "03-21": 1}),
        "by_reason": [{"key": "changed_mind", "tickets": 2}, {"key": "wrong_size", "tickets": 2},
                      {"key": "defective", "tickets": 1}],
        "by_category": [{"key": "clothing", "tickets": 3, "units": 6},
                        {"key": "appliances", "tickets": 2, "units": 3},
                        {"key": "electronics", "tickets": 1, "units": 1}],
        "by_product": [{"key": "SKU-A", "name": "Shirt", "tickets": 2, "units": 3},
                       {"key": "SKU-B", "name": "Kettle", "tickets": 2, "units": 3},
                       {"key": "SKU-C", "name": "Headphones", "tickets": 1, "units": 1},
                       {"key": "SKU-D", "name": "Socks", "tickets": 1, "units": 3}],
        "by_channel": [{"key": "marketplace", "tickets": 2}, {"key": "online", "tickets": 2},
                       {"key": "store", "tickets": 1}],
        # Declined T4 left out; A3 was placed in February, so the Kettle sold 1 in March.
        "return_rates": [
            {"key": "SKU-B", "name": "Kettle", "returned": 1, "sold": 1, "rate": 1.0},
            {"key": "SKU-C", "name": "Headphones", "returned": 1, "sold": 1, "rate": 1.0},
            {"key": "SKU-A", "name": "Shirt", "returned": 3, "sold": 6, "rate": 0.5},
            {"key": "SKU-D", "name": "Socks", "returned": 3, "sold": 10, "rate": 0.3},
        ],
    }


def test_reasons_in_french_only(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "reasons", **MARCH, lang="fr")
    assert body["summary"] == {"tickets": 2}
    assert body["by_reason"] == [{"key": "changed_mind", "tickets": 1},
                                 {"key": "wrong_size", "tickets": 1}]
    assert body["by_channel"] == [{"key": "marketplace", "tickets": 1},
                                  {"key": "store", "tickets": 1}]
    assert body["per_day"] == _days({"03-06": 1, "03-10": 1})
    # Orders have no language: the return rates do not change with it.
    assert body["return_rates"] == _get(client, staff, "reasons", **MARCH)["return_rates"]


def test_self_help_in_march(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "self_help", **MARCH)
    per_day = [{"key": f"2026-03-{d:02d}", "deflected": 0, "ticket": 0, "deflection_rate": None}
               for d in range(1, 32)]
    per_day[2] = {"key": "2026-03-03", "deflected": 2, "ticket": 1, "deflection_rate": 0.6667}
    per_day[5] = {"key": "2026-03-06", "deflected": 0, "ticket": 1, "deflection_rate": 0.0}
    assert body == {
        "report": "self_help", "from": "2026-03-01", "to": "2026-03-31", "lang": "all",
        "summary": {
            # v1 v2 v3 v4 v5 v6 v7 v10 v11 v13: searches, sessions, views and votes.
            "help_sessions": 10,
            "wizard_started": 6, "deflected": 2, "ticket": 2, "abandoned": 1,
            "deflection_rate": 0.5,
            "shoppers_with_tickets": 3,  # ana (twice, once in capitals), bob, cy
            "self_service_score": 3.3333,
        },
        "per_day": per_day,
        "by_reason": [
            {"key": "wrong_size", "deflected": 1, "ticket": 1, "deflection_rate": 0.5},
            {"key": "changed_mind", "deflected": 1, "ticket": 0, "deflection_rate": 1.0},
            {"key": "defective", "deflected": 0, "ticket": 1, "deflection_rate": 0.0},
        ],
        "deflecting_articles": [
            {"key": "exchange", "title": "Exchanges", "sessions": 2},
            {"key": "return-window", "title": "Return window", "sessions": 1},
        ],
        "ticket_articles": [
            {"key": "return-window", "title": "Return window", "sessions": 1, "opened": 1},
            {"key": "damaged-or-defective", "title": "Damaged or defective", "sessions": 1,
             "opened": 0},
            {"key": "exchange", "title": "Exchanges", "sessions": 1, "opened": 0},
        ],
    }


def test_self_help_in_english_only(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "self_help", **MARCH, lang="en")
    assert body["summary"] == {
        "help_sessions": 7, "wizard_started": 4, "deflected": 2, "ticket": 1, "abandoned": 1,
        "deflection_rate": 0.6667, "shoppers_with_tickets": 1, "self_service_score": 7.0,
    }
    assert body["ticket_articles"] == [
        {"key": "damaged-or-defective", "title": "Damaged or defective", "sessions": 1,
         "opened": 0}]


def test_self_help_titles_follow_the_language(client: FlaskClient, staff: Staff,
                                              history: dict) -> None:
    body = _get(client, staff, "self_help", **MARCH, lang="fr")
    assert body["summary"]["wizard_started"] == 2
    assert body["ticket_articles"][-1] == {"key": "exchange", "title": "Échanges",
                                           "sessions": 1, "opened": 0}
    assert body["deflecting_articles"] == []


def test_money_in_march(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "money", **MARCH)
    assert body == {
        "report": "money", "from": "2026-03-01", "to": "2026-03-31", "lang": "all",
        "by_currency": [
            {"key": "EUR", "currency": "EUR", "returned_value": "105.00", "kept_value": "40.00",
             "retained_ratio": 0.381, "refunds": 1, "refunded": "50.00", "goodwill": "7.50",
             "guarantee_claims": 1, "guarantee_paid": "15.00"},
            {"key": "GBP", "currency": "GBP", "returned_value": "118.00", "kept_value": "118.00",
             "retained_ratio": 1.0, "refunds": 1, "refunded": "118.00", "goodwill": "0.00",
             "guarantee_claims": 0, "guarantee_paid": "0.00"},
        ],
    }


def test_money_by_language_and_month(client: FlaskClient, staff: Staff, history: dict) -> None:
    french = _get(client, staff, "money", **MARCH, lang="fr")["by_currency"]
    assert [row["currency"] for row in french] == ["GBP"]  # the French EUR ticket was declined
    english = _get(client, staff, "money", **MARCH, lang="en")["by_currency"]
    assert [(r["currency"], r["returned_value"], r["refunded"], r["goodwill"]) for r in english] \
        == [("EUR", "105.00", "50.00", "7.50")]
    april = _get(client, staff, "money", **APRIL)["by_currency"]
    assert april == [{"key": "EUR", "currency": "EUR", "returned_value": "20.00",
                      "kept_value": "0.00", "retained_ratio": 0.0, "refunds": 1,
                      "refunded": "20.00", "goodwill": "0.00", "guarantee_claims": 0,
                      "guarantee_paid": "0.00"}]


def test_gaps_in_march(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "gaps", **MARCH)
    assert body == {
        "report": "gaps", "from": "2026-03-01", "to": "2026-03-31", "lang": "all",
        "no_results": [
            {"key": "where is my refund", "lang": "en", "searches": 2,
             "last_seen": "2026-03-08T10:00:00+00:00"},
            {"key": "remboursement carte", "lang": "fr", "searches": 1,
             "last_seen": "2026-03-09T12:00:00+00:00"},
        ],
        "not_opened": [
            {"key": "label printer", "lang": "en", "searches": 2,
             "last_seen": "2026-03-13T12:00:00+00:00"},
            {"key": "exchange size", "lang": "en", "searches": 1,
             "last_seen": "2026-03-03T12:00:00+00:00"},
        ],
    }


def test_gaps_by_language_and_month(client: FlaskClient, staff: Staff, history: dict) -> None:
    french = _get(client, staff, "gaps", **MARCH, lang="fr")
    assert [r["key"] for r in french["no_results"]] == ["remboursement carte"]
    assert french["not_opened"] == []
    april = _get(client, staff, "gaps", **APRIL)
    assert april["no_results"] == [{"key": "where is my refund", "lang": "en", "searches": 1,
                                    "last_seen": "2026-04-05T12:00:00+00:00"}]


def test_articles_in_march(client: FlaskClient, staff: Staff, history: dict) -> None:
    body = _get(client, staff, "articles", **MARCH)
    exchange_en = {"key": "exchange", "lang": "en", "title": "Exchanges", "slug": "exchange",
                   "status": "published", "views": 3, "yes": 1, "no": 1, "helpful_rate": 0.5}
    exchange_fr = {"key": "exchange", "lang": "fr", "title": "Échanges", "slug": "echange",
                   "status": "published", "views": 1, "yes": 1, "no": 0, "helpful_rate": 1.0}
    window = {"key": "return-window", "lang": "en", "title": "Return window",
              "slug": "return-window", "status": "published", "views": 1, "yes": 0, "no": 1,
              "helpful_rate": 0.0}
    assert body == {
        "report": "articles", "from": "2026-03-01", "to": "2026-03-31", "lang": "all",
        "by_views": [exchange_en, exchange_fr, window],
        "by_helpfulness": [window, exchange_en, exchange_fr],
    }


def test_articles_by_language_and_month(client: FlaskClient, staff: Staff,
                                        history: dict) -> None:
    french = _get(client, staff, "articles", **MARCH, lang="fr")
    assert [(r["key"], r["lang"]) for r in french["by_views"]] == [("exchange", "fr")]
    april = _get(client, staff, "articles", **APRIL)
    assert [(r["views"], r["yes"], r["no"]) for r in april["by_views"]] == [(1, 1, 0)]


def test_an_empty_period_has_no_figures(client: FlaskClient, staff: Staff, history: dict) -> None:
    period = {"from": "2025-01-01", "to": "2025-01-07"}
    assert _get(client, staff, "money", **period)["by_currency"] == []
    reasons = _get(client, staff, "reasons", **period)
    assert reasons["summary"] == {"tickets": 0}
    assert [row["tickets"] for row in reasons["per_day"]] == [0] * 7
    summary = _get(client, staff, "self_help", **period)["summary"]
    assert summary["deflection_rate"] is None
    assert summary["self_service_score"] is None


def test_csv_cells_stay_whole_and_inert_in_semicolon_locales() -> None:
    import csv as csv_module
    import io as io_module
    from datetime import date as date_type

    from kb.insights.period import Period
    from kb.insights.reports import as_csv

    report = {"items": [{"key": "MUG", "title": "Mug;=cmd|' /C calc'!A0", "count": 3},
                        {"key": "TEE", "title": "Tee,  +SUM(A1)\t-2", "count": 1}]}
    text = as_csv("reasons", Period(date_type(2026, 3, 1), date_type(2026, 3, 31)), report)
    # Split as a French spreadsheet would: on ";" with no regard for quotes.
    for line in text.splitlines():
        for piece in line.split(";"):
            assert not piece.strip().lstrip('"').startswith(("=", "+", "-", "@")), piece
    assert '"Mug;\'=cmd|' in text  # quoted, and the formula start neutralised
    rows = list(csv_module.DictReader(io_module.StringIO(text)))
    assert rows[0]["title"] == "Mug;'=cmd|' /C calc'!A0"
    assert rows[1]["title"] == "Tee,  '+SUM(A1)\t'-2"
