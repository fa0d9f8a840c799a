"""The articles JSON API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from kb.articles.models import Article, ArticleStatus
from kb.articles.public import find_by_slug, published_articles, rendered
from kb.articles.rendering import fill_placeholders
from kb.config import LANGUAGES
from kb.shop import policy_placeholders
from kb.web import ApiError

bp = Blueprint("articles_api", __name__, url_prefix="/api/v1")


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


def _lang_arg() -> str | None:
    lang = request.args.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise ApiError(400, "invalid_lang", f"lang must be one of: {', '.join(LANGUAGES)}")
    return lang


@bp.get("/articles")
def list_articles() -> ResponseReturnValue:
    """Published articles, in one language or both."""
    lang = _lang_arg()
    langs = [lang] if lang else list(LANGUAGES)
    articles = [a for code in langs for a in published_articles(code)]
    return jsonify({"articles": [article_summary(a) for a in articles]})


@bp.get("/articles/<lang>/<slug>")
def get_article(lang: str, slug: str) -> ResponseReturnValue:
    """One published article with its rendered HTML."""
    if lang not in LANGUAGES:
        raise ApiError(404, "not_found", "No such article.")
    found, moved = find_by_slug(lang, slug)
    found = found or moved
    if found is None or found.status != ArticleStatus.PUBLISHED:
        raise ApiError(404, "not_found", "No such article.")
    body = rendered(found)
    data = article_summary(found)
    data.update({"tags": found.tags, "html": body.html, "revision": found.revision})
    return jsonify(data)
