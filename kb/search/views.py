"""The search results page and the search and suggest API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, g, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kb.articles.categories import CATEGORIES, CATEGORY_CODES
from kb.config import LANGUAGES
from kb.search.api_params import search_paging
from kb.search.searchlog import log_search
from kb.search.service import search_articles, suggest_titles
from kb.web import ApiError, current_lang

bp = Blueprint("search", __name__)
api_bp = Blueprint("search_api", __name__, url_prefix="/api/v1")

PAGE_SIZE = 10


def _other(lang: str) -> str:
    return next(code for code in LANGUAGES if code != lang)


_SLUG_SLOT = "kb-slug-slot"


def _article_url(lang: str, slug: str, click_token: str | None) -> str:
    """The article's address; url_for per hit cost a third of a search request, so the
    address is built once per request and language and the slug put in (quoted as the
    router quotes a path segment)."""
    patterns = g.setdefault("article_url_patterns", {})
    pattern = patterns.get(lang)
    if pattern is None:
        pattern = patterns[lang] = url_for("articles.article", lang=lang, slug=_SLUG_SLOT)
    url = pattern.replace(_SLUG_SLOT, quote(slug, safe="!$&'()*+,/:;=@"))
    return f"{url}?{urlencode({'s': click_token})}" if click_token else url


def _hit_dict(hit: Any, click_token: str | None) -> dict[str, Any]:
    return {
        "key": hit.key,
        "slug": hit.slug,
        "lang": hit.lang,
        "title": hit.title,
        "category": hit.category,
        "snippet": hit.snippet,
        "url": _article_url(hit.lang, hit.slug, click_token),
    }


@bp.get("/<lang:lang>/search")
def results(lang: str) -> str:
    """A shareable, paginated results page; works without JavaScript."""
    query = request.args.get("q", "")[:200]
    category = request.args.get("category") or None
    if category not in CATEGORY_CODES:
        category = None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    result = search_articles(query, lang, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, category=category)
    click_token = log_search(query, lang, result.total, g.visit_id) if query.strip() and page == 1 else None
    other_result = None
    if query.strip() and result.total == 0:
        other_result = search_articles(query, _other(lang), limit=5)
    pages = (result.total + PAGE_SIZE - 1) // PAGE_SIZE
    return render_template(
        "search/results.html",
        query=query,
        result=result,
        hits=[_hit_dict(h, click_token) for h in result.hits],
        other_lang=_other(lang),
        other_hits=[_hit_dict(h, None) for h in other_result.hits] if other_result else [],
        categories=CATEGORIES,
        category=category,
        page=page,
        pages=pages,
    )


def _api_lang() -> str:
    lang = request.args.get("lang")
    if lang is None:
        return current_lang()
    if lang not in LANGUAGES:
        raise ApiError(400, "invalid_lang", f"lang must be one of: {', '.join(LANGUAGES)}")
    return lang


def _api_limit(default: int, maximum: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "invalid_limit", f"limit must be a whole number from 1 to {maximum}")
    return int(raw)


@api_bp.get("/search")
def search_api() -> ResponseReturnValue:
    """Search as JSON, with highlighted snippets and a did-you-mean suggestion."""
    query = request.args.get("q", "")
    if len(query) > 2000:
        raise ApiError(400, "query_too_long", "q must be at most 2,000 characters")
    lang = _api_lang()
    limit = _api_limit(10, 50)
    paging = search_paging(request.args, limit)
    result = search_articles(query, lang, limit=limit, offset=paging.offset, category=paging.category)
    logged = query.strip() and paging.page == 1  # as the results page: one search, not each page
    click_token = log_search(query, lang, result.total, g.visit_id) if logged else None
    body: dict[str, Any] = {
        "query": result.query,
        "lang": lang,
        "category": paging.category,
        "page": paging.page,
        "pages": paging.pages(result.total),
        "total": result.total,
        "results": [_hit_dict(h, click_token) for h in result.hits],
        "suggestion": result.suggestion,
    }
    if query.strip() and result.total == 0:
        other = _other(lang)
        found = search_articles(query, other, limit=limit)
        if found.total:
            body["other_language"] = {
                "lang": other,
                "total": found.total,
                "message": _("No results in this language, but %(count)d in the other.", count=found.total),
                "results": [_hit_dict(h, None) for h in found.hits],
            }
    return jsonify(body)


@api_bp.get("/suggest")
def suggest() -> ResponseReturnValue:
    """Article titles matching what the shopper is typing (for the search box)."""
    query = request.args.get("q", "")
    if len(query) > 200:
        raise ApiError(400, "query_too_long", "q must be at most 200 characters")
    lang = _api_lang()
    limit = _api_limit(6, 10)
    items = suggest_titles(query, lang, limit=limit)
    return jsonify(
        {
            "query": query,
            "lang": lang,
            "suggestions": [
                {"key": key, "title": title, "url": url_for("articles.article", lang=lang, slug=slug)}
                for key, slug, title in items
            ],
        }
    )
