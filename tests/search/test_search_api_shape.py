"""The search and suggest answers are sent as the views build them (no dump per request):
each stays exactly what its declared schema would make of it."""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask import Flask

from kb.search.schemas import SearchResultSchema, SuggestResultSchema


def _declared(schema: ma.Schema, body: dict) -> dict:
    """What marshmallow's own dump keeps of the body: the declared fields only."""
    return ma.Schema.dump(schema, body)


@pytest.mark.parametrize("params", [
    {"q": "refund", "lang": "en"},
    {"q": "retrun label", "lang": "en"},  # a did-you-mean
    {"q": "remboursement", "lang": "en"},  # none in English: the French ones come along
    {"q": "refund", "lang": "fr", "category": "refunds", "page": "2", "limit": "2"},
    {"q": "zzqxv", "lang": "en"},
])
def test_the_search_answer_is_what_its_schema_declares(content_app: Flask, params: dict) -> None:
    schema = SearchResultSchema()
    body = content_app.test_client().get("/api/v1/search", query_string=params).get_json()
    if params["q"] == "remboursement":
        assert body["other_language"]["results"]
    assert body == _declared(schema, body)
    required = {name for name, field in schema.fields.items() if field.required}
    assert required <= set(body)
    for hit in body["results"] + body.get("other_language", {}).get("results", []):
        assert set(hit) == set(schema.fields["results"].inner.schema.fields)


def test_an_undeclared_key_would_be_caught(content_app: Flask) -> None:
    body = content_app.test_client().get("/api/v1/search", query_string={"q": "refund"}).get_json()
    body["results"][0]["extra"] = 1
    assert body != _declared(SearchResultSchema(), body)


def test_the_suggest_answer_is_what_its_schema_declares(content_app: Flask) -> None:
    body = content_app.test_client().get("/api/v1/suggest", query_string={"q": "refu", "lang": "en"}).get_json()
    assert body["suggestions"] and body == _declared(SuggestResultSchema(), body)
    assert body["suggestions"][0]["url"].startswith("/en/articles/")
