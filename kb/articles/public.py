"""Reading articles for the public pages and the API: lookups and rendering with a cache."""

from __future__ import annotations

from threading import Lock

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import select

from kb.articles.models import Article, ArticleStatus, Redirect
from kb.articles.rendering import Rendered, render
from kb.extensions import db
from kb.shop import current_policy, policy_placeholders

_CACHE_SIZE = 512
_LOCK = Lock()


def rendered(article: Article) -> Rendered:
    """The article's body as safe HTML, cached per app by revision and policy version."""
    cache: LRUCache[tuple[int, int, str, str], Rendered] = current_app.extensions.setdefault(
        "kb_rendered", LRUCache(maxsize=_CACHE_SIZE)
    )
    key = (article.id, article.revision, article.lang, current_policy().version)
    with _LOCK:  # an LRUCache reorders itself on reads: not safe across threads without the lock
        hit = cache.get(key)
    if hit is not None:
        return hit
    result = render(article.body, article.lang, policy_placeholders())
    with _LOCK:
        cache[key] = result
    return result


def published_articles(lang: str, category: str | None = None) -> list[Article]:
    """Published articles of a language (optionally one category), by title."""
    query = select(Article).where(Article.lang == lang, Article.status == ArticleStatus.PUBLISHED)
    if category:
        query = query.where(Article.category == category)
    return list(db.session.scalars(query.order_by(Article.title)))


def find_by_slug(lang: str, slug: str) -> tuple[Article | None, Article | None]:
    """The article at this URL, or the article an old slug redirects to."""
    article = db.session.scalar(select(Article).where(Article.lang == lang, Article.slug == slug))
    if article is not None:
        return article, None
    redirect = db.session.scalar(
        select(Redirect).where(Redirect.lang == lang, Redirect.old_slug == slug)
    )
    if redirect is None:
        return None, None
    return None, db.session.get(Article, redirect.article_id)


def translations(article: Article) -> dict[str, Article]:
    """The published versions of this article in every language, itself included."""
    rows = db.session.scalars(
        select(Article).where(Article.key == article.key, Article.status == ArticleStatus.PUBLISHED)
    )
    return {row.lang: row for row in rows}


def article_by_key(key: str, lang: str) -> Article | None:
    """The published article with this key in this language."""
    return db.session.scalar(
        select(Article).where(
            Article.key == key, Article.lang == lang, Article.status == ArticleStatus.PUBLISHED
        )
    )
