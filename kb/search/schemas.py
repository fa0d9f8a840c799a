"""The search API's declared queries and answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from kb.api_docs import BuiltSchema, coded_field, lang_field, one_of
from kb.articles.categories import CATEGORY_CODES
from kb.articles.schemas import ArticleLinkSchema
from kb.search.api_params import MAX_PAGE


def _query(limit: int) -> fields.String:
    return coded_field(fields.String(load_default="", validate=validate.Length(max=limit)), "query_too_long",
                       f"q must be at most {limit:,} characters")


def _limit(default: int, maximum: int) -> fields.Integer:
    return coded_field(fields.Integer(load_default=default, validate=validate.Range(1, maximum)),
                       "invalid_limit", f"limit must be a whole number from 1 to {maximum}")


class SearchQuerySchema(Schema):
    """What to search for, in which language (default: the reader's), and how many results."""

    q = _query(2000)
    lang = lang_field()
    limit = _limit(10, 50)
    # As the results page reads them; a page past the last one is valid and simply empty.
    category = coded_field(fields.String(load_default=None, validate=one_of(sorted(CATEGORY_CODES), "invalid_category",
                                                                            "category")),
                           "invalid_category", "category must be a category code")
    page = coded_field(fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE)), "invalid_page",
                       f"page must be a whole number from 1 to {MAX_PAGE}")


class SuggestQuerySchema(Schema):
    """What the shopper is typing."""

    q = _query(200)
    lang = lang_field()
    limit = _limit(6, 10)


class HitSchema(ArticleLinkSchema):
    """One article found, with its highlighted snippet."""

    snippet = fields.String()


class OtherLanguageSchema(Schema):
    """Results in the other language, when this one has none."""

    lang = fields.String()
    total = fields.Integer()
    message = fields.String()
    results = fields.List(fields.Nested(HitSchema))


class SearchResultSchema(BuiltSchema):
    """The results, with a did-you-mean suggestion (built by the view in this shape)."""

    query = fields.String(required=True)
    lang = fields.String(required=True)
    category = fields.String(required=True, allow_none=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True)
    results = fields.List(fields.Nested(HitSchema), required=True)
    suggestion = fields.String(required=True, allow_none=True)
    other_language = fields.Nested(OtherLanguageSchema)


class SuggestionSchema(Schema):
    """A title that matches."""

    key = fields.String()
    title = fields.String()
    url = fields.String()


class SuggestResultSchema(BuiltSchema):
    """Titles as the shopper types (built by the view in this shape)."""

    query = fields.String(required=True)
    lang = fields.String(required=True)
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True)
