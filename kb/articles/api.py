"""The articles JSON API."""

from __future__ import annotations

from typing import Any

from flask import url_for

from kb.api_docs import ApiBlueprint, ErrorSchema
from kb.articles.models import Article, ArticleStatus
from kb.articles.public import find_by_slug, published_articles, rendered
from kb.articles.rendering import fill_placeholders
from kb.articles.schemas import ArticleListSchema, ArticleSchema, LangQuerySchema
from kb.config import LANGUAGES
from kb.errors import KbError
from kb.shop import policy_placeholders

bp = ApiBlueprint("articles_api", __name__, url_prefix="/api/v1", description="Published articles.")


def article_summary(article: Article) -> dict[str, Any]:
    """The fields every article listing shows."""
    return {
        "key": article.key,
        "slug": article.slug,
        "lang": article.lang,
        "title": article.title,
        "category": article.category,
        "summary": fill_placeholders(article.summary, policy_placeholders(), article.lang),
        "url": url_for("articles.article", lang=article.lang, slug=article.slug, _external=True),
        "updated_at": article.updated_at.isoformat(),
    }


@bp.get("/articles")
@bp.arguments(LangQuerySchema, location="query")
@bp.response(200, ArticleListSchema)
def list_articles(args: dict[str, Any]) -> dict[str, Any]:
    """Published articles, in one language or both."""
    lang = args.get("lang")
    langs = [lang] if lang else list(LANGUAGES)
    articles = [a for code in langs for a in published_articles(code)]
    return {"articles": [article_summary(a) for a in articles]}


@bp.get("/articles/<lang>/<slug>")
@bp.response(200, ArticleSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such article")
def get_article(lang: str, slug: str) -> dict[str, Any]:
    """One published article with its rendered HTML."""
    if lang not in LANGUAGES:
        raise KbError(404, "not_found", "No such article.")
    found, moved = find_by_slug(lang, slug)
    found = found or moved
    if found is None or found.status != ArticleStatus.PUBLISHED:
        raise KbError(404, "not_found", "No such article.")
    body = rendered(found)
    data = article_summary(found)
    data.update({"tags": found.tags, "html": body.html, "revision": found.revision})
    return data
