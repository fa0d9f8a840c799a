"""The help centre's daily rollups: each visit once per day and language it was seen, and
each article's views and votes per day.

Searches, assistant sessions, contact questions, article views and votes all carry the random
visit id. ``recount_visits`` adds the visits of the events of some days; kb.insights.refresh
calls it for the days whose events changed, and ``kb insights rebuild`` for every day.
Visits are only ever added: a search deleted by the retention prune leaves its visit counted.
The distinct visits of a period are read from first-seen counts (kb.insights.distinct).
``recount_articles`` recounts whole days, like the other rollups (kb.insights.daily).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnClause, Connection, case, func, insert, literal_column, select, union, union_all

from kb.articles.models import Article, Vote
from kb.contact.models import ContactRequest
from kb.insights.daily import clear_days
from kb.insights.distinct import Seen, sync_seen
from kb.insights.models import ArticleDay, ArticleView, HelpVisitDay
from kb.insights.sql import day_of, day_range
from kb.returns.models import WizardSession
from kb.search.models import SearchLog

VISIT_MODELS = (SearchLog, WizardSession, ArticleView, Vote, ContactRequest)


def visit_days_source(start: date, end: date) -> Any:
    """Every (day, language, visit) of the events of the days ``start`` to ``end`` (excluded)."""

    def of(model: Any) -> Any:
        day = day_of(model.created_at).label("day")
        if hasattr(model, "lang"):
            query = select(day, model.lang.label("lang"), model.visit_id.label("visit_id"))
        else:  # views and votes take the language of their article
            query = select(day, Article.lang.label("lang"), model.visit_id.label("visit_id")).join(
                Article, Article.id == model.article_id)
        return query.where(model.visit_id != "", day_range(model.created_at, start, end))

    return union(*(of(model) for model in VISIT_MODELS))


VISITS = Seen("visit", HelpVisitDay, "visit_id")


def recount_visits(connection: Connection, start: date, end: date) -> None:
    """Add the visits seen from ``start`` to ``end`` (excluded) that the rollup lacks."""
    sync_seen(connection, VISITS, visit_days_source(start, end), start, end, keep_gone=True)


def recount_articles(connection: Connection, start: date, end: date) -> None:
    """Recount the views and votes of each article from ``start`` to ``end`` (excluded)."""
    clear_days(connection, (ArticleDay,), start, end)
    one: ColumnClause[int] = literal_column("1")
    zero: ColumnClause[int] = literal_column("0")
    views = select(day_of(ArticleView.created_at).label("day"), ArticleView.article_id,
                   one.label("views"), zero.label("yes"), zero.label("no")) \
        .where(day_range(ArticleView.created_at, start, end))
    votes = select(day_of(Vote.created_at).label("day"), Vote.article_id, zero.label("views"),
                   case((Vote.helpful.is_(True), one), else_=zero).label("yes"),
                   case((Vote.helpful.is_(False), one), else_=zero).label("no")) \
        .where(day_range(Vote.created_at, start, end))
    events = union_all(views, votes).subquery()
    totals = (select(events.c.day, events.c.article_id, func.sum(events.c.views),
                     func.sum(events.c.yes), func.sum(events.c.no))
              .group_by(events.c.day, events.c.article_id))
    connection.execute(insert(ArticleDay).from_select(["day", "article_id", "views", "yes", "no"], totals))
