"""The writers' to-do lists: unhelpful articles, searches that found nothing, failing policy
examples and translations out of date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from kb.articles.models import Article, ArticleStatus, Vote
from kb.extensions import db
from kb.policy import Policy
from kb.search.models import SearchLog
from kb.studio.service import check_saved_examples
from kb.types import utcnow

UNHELPFUL_DAYS = 90
TODO_LIMIT = 20


@dataclass(frozen=True)
class UnhelpfulArticle:
    """An article readers said did not help, with its recent votes."""

    article: Article
    yes: int
    no: int


@dataclass(frozen=True)
class UnansweredSearch:
    """A search shoppers made that found nothing."""

    query: str
    lang: str
    count: int
    last_seen: datetime


def unhelpful_articles(
    now: datetime | None = None, days: int = UNHELPFUL_DAYS, limit: int = TODO_LIMIT
) -> list[UnhelpfulArticle]:
    """Articles with the most "no" votes over the last ``days`` days."""
    since = (now or utcnow()) - timedelta(days=days)
    no = func.sum(case((Vote.helpful.is_(False), 1), else_=0))
    yes = func.sum(case((Vote.helpful.is_(True), 1), else_=0))
    rows = db.session.execute(
        select(Article, yes.label("yes"), no.label("no"))
        .join(Vote, Vote.article_id == Article.id)
        .where(Vote.created_at >= since, Article.status != ArticleStatus.DELETED)
        .group_by(Article.id)
        .having(no > 0)
        .order_by(no.desc(), yes, Article.id)
        .limit(limit)
    ).all()
    return [UnhelpfulArticle(article=row[0], yes=int(row.yes), no=int(row.no)) for row in rows]


def unanswered_searches(limit: int = TODO_LIMIT) -> list[UnansweredSearch]:
    """Searches that found nothing, grouped by their normalized form and language."""
    count = func.count(SearchLog.id)
    last_seen = func.max(SearchLog.created_at)
    rows = db.session.execute(
        select(SearchLog.normalized, SearchLog.lang, count.label("searches"), last_seen.label("last"))
        .where(SearchLog.results == 0, SearchLog.normalized != "")
        .group_by(SearchLog.normalized, SearchLog.lang)
        .order_by(count.desc(), last_seen.desc(), SearchLog.normalized)
        .limit(limit)
    ).all()
    return [
        UnansweredSearch(
            query=row.normalized, lang=row.lang, count=int(row.searches), last_seen=row.last
        )
        for row in rows
    ]


@dataclass(frozen=True)
class FailingArticle:
    """An article some of whose policy examples the engine does not confirm."""

    article: Article
    failures: int


def articles_with_failing_examples(policy: Policy, limit: int = TODO_LIMIT) -> list[FailingArticle]:
    """Articles (not deleted) whose policy examples fail, most failures first."""
    articles = db.session.scalars(
        select(Article)
        .where(Article.status != ArticleStatus.DELETED, Article.body.contains("policy", autoescape=True))
        .order_by(Article.updated_at.desc(), Article.id)
    )
    found = []
    for article in articles:
        failures = len(check_saved_examples(article, policy).failures)
        if failures:
            found.append(FailingArticle(article, failures))
    found.sort(key=lambda item: -item.failures)
    return found[:limit]


def out_of_date_translations(limit: int = TODO_LIMIT) -> list[Article]:
    """Articles whose other-language version changed since they were last brought in step."""
    return list(
        db.session.scalars(
            select(Article)
            .where(Article.out_of_date_since.is_not(None), Article.status != ArticleStatus.DELETED)
            .order_by(Article.updated_at, Article.id)
            .limit(limit)
        )
    )
