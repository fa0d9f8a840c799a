"""The search API takes ``category`` and ``page`` like the results page."""

from __future__ import annotations

import pytest
from flask import Flask


def search(app: Flask, status: int = 200, **params: str) -> dict:
    response = app.test_client().get("/api/v1/search", query_string={"lang": "en", **params})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_category_keeps_only_that_categorys_articles(content_app: Flask) -> None:
    everything = search(content_app, q="refund", limit="50")
    refunds = search(content_app, q="refund", limit="50", category="refunds")
    assert {hit["category"] for hit in everything["results"]} - {"refunds"}  # others match too
    assert refunds["results"] and {hit["category"] for hit in refunds["results"]} == {"refunds"}
    assert refunds["total"] == len(refunds["results"]) < everything["total"]
    assert refunds["category"] == "refunds"


def test_pages_follow_each_other_without_overlap(content_app: Flask) -> None:
    whole = search(content_app, q="refund return", limit="50")
    assert whole["total"] > 4
    first = search(content_app, q="refund return", limit="2")
    second = search(content_app, q="refund return", limit="2", page="2")
    keys = [hit["key"] for hit in first["results"] + second["results"]]
    assert keys == [hit["key"] for hit in whole["results"][:4]]
    assert first["page"] == 1 and second["page"] == 2
    assert second["total"] == whole["total"] and second["pages"] == (whole["total"] + 1) // 2


def test_a_page_past_the_last_is_empty_with_the_totals(content_app: Flask) -> None:
    found = search(content_app, q="refund", limit="10", page="999")
    assert found["results"] == []
    assert found["total"] > 0 and found["pages"] == (found["total"] + 9) // 10 and found["page"] == 999


@pytest.mark.parametrize(
    ("params", "code"),
    [({"category": "pizza"}, "invalid_category"), ({"page": "0"}, "invalid_page"),
     ({"page": "two"}, "invalid_page"), ({"page": "1001"}, "invalid_page"),
     ({"page": "-1"}, "invalid_page")],
)
def test_bad_category_or_page_is_a_400_in_the_error_format(
    content_app: Flask, params: dict[str, str], code: str
) -> None:
    body = search(content_app, 400, q="refund", **params)
    assert body["error"]["code"] == code and body["error"]["message"]
