"""The search results page and the search and suggest API."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _

from kb.api_docs import ApiBlueprint, ErrorSchema
from kb.articles.categories import CATEGORIES, CATEGORY_CODES
from kb.config import LANGUAGES
from kb.search.api_params import Paging
from kb.search.engine import Hit
from kb.search.schemas import SearchQuerySchema, SearchResultSchema, SuggestQuerySchema, SuggestResultSchema
from kb.search.searchlog import log_search
from kb.search.service import search_articles, suggest_titles
from kb.web import current_lang

bp = Blueprint("search", __name__)
api_bp = ApiBlueprint("search_api", __name__, url_prefix="/api/v1", description="Search and suggest.")

PAGE_SIZE = 10


def _other(lang: str) -> str:
    return next(code for code in LANGUAGES if code != lang)


_SLUG_SLOT = "kb-slug-slot"


@functools.lru_cache(maxsize=4096)
def _path_segment(slug: str) -> str:
    """A slug quoted as the router quotes a path segment (slugs repeat: kept)."""
    return quote(slug, safe="!$&'()*+,/:;=@")


def _article_urls(lang: str) -> str:
    """The address of an article of `lang` with a slot for its slug; url_for per hit cost a
    third of a search request, so it is built once per request and language."""
    patterns = g.setdefault("article_url_patterns", {})
    pattern = patterns.get(lang)
    if pattern is None:
        pattern = patterns[lang] = url_for("articles.article", lang=lang, slug=_SLUG_SLOT)
    return pattern


def _hit_dicts(hits: Iterable[Hit], click_token: str | None) -> list[dict[str, Any]]:
    """The hits as the API and the results page give them, each with its address (and the
    search's click token, the same for every hit)."""
    suffix = "?" + urlencode({"s": click_token}) if click_token else ""
    patterns: dict[str, str] = {}
    found = []
    for hit in hits:
        pattern = patterns.get(hit.lang) or patterns.setdefault(hit.lang, _article_urls(hit.lang))
        found.append({
            "key": hit.key,
            "slug": hit.slug,
            "lang": hit.lang,
            "title": hit.title,
            "category": hit.category,
            "snippet": hit.snippet,
            "url": pattern.replace(_SLUG_SLOT, _path_segment(hit.slug)) + suffix,
        })
    return found


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
        hits=_hit_dicts(result.hits, click_token),
        other_lang=_other(lang),
        other_hits=_hit_dicts(other_result.hits, None) if other_result else [],
        categories=CATEGORIES,
        category=category,
        page=page,
        pages=pages,
    )


def _too_long(func: Any) -> Any:
    """A long q in many multi-byte characters can pass its length and still overflow the address."""
    return api_bp.alt_response(414, schema=ErrorSchema, description="Address too long")(func)


@api_bp.get("/search")
@api_bp.arguments(SearchQuerySchema, location="query")
@api_bp.response(200, SearchResultSchema)
@_too_long
def search_api(args: dict[str, Any]) -> dict[str, Any]:
    """Search as JSON, with highlighted snippets and a did-you-mean suggestion."""
    query, limit = args["q"], args["limit"]
    lang = args.get("lang") or current_lang()
    paging = Paging(args["category"], args["page"], limit)
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
        "results": _hit_dicts(result.hits, click_token),
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
                "results": _hit_dicts(found.hits, None),
            }
    return body


@api_bp.get("/suggest")
@api_bp.arguments(SuggestQuerySchema, location="query")
@api_bp.response(200, SuggestResultSchema)
@_too_long
def suggest(args: dict[str, Any]) -> dict[str, Any]:
    """Article titles matching what the shopper is typing (for the search box)."""
    query = args["q"]
    lang = args.get("lang") or current_lang()
    items = suggest_titles(query, lang, limit=args["limit"])
    pattern = _article_urls(lang)
    return {
        "query": query,
        "lang": lang,
        "suggestions": [
            {"key": key, "title": title, "url": pattern.replace(_SLUG_SLOT, _path_segment(slug))}
            for key, slug, title in items
        ],
    }
