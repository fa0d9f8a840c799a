"""The articles API's declared queries and answers."""

from __future__ import annotations

from marshmallow import Schema, fields

from kb.api_docs import lang_field


class LangQuerySchema(Schema):
    """One language, or both when absent."""

    lang = lang_field()


class ArticleLinkSchema(Schema):
    """What names an article and leads to it: every answer that lists articles has these."""

    key = fields.String()
    slug = fields.String()
    lang = fields.String()
    title = fields.String()
    category = fields.String(allow_none=True)
    url = fields.String()


class ArticleSummarySchema(ArticleLinkSchema):
    """An article in a listing."""

    summary = fields.String()
    updated_at = fields.String(metadata={"format": "date-time"})


class ArticleListSchema(Schema):
    """Published articles."""

    articles = fields.List(fields.Nested(ArticleSummarySchema), required=True)


class ArticleSchema(ArticleSummarySchema):
    """One article with its rendered HTML."""

    tags = fields.List(fields.String())
    html = fields.String()
    revision = fields.Integer()
