"""The daily visit rollup: kept up to date as help-centre events are written, or rebuilt.

Searches, assistant sessions, article views and votes are written by other rooms; each insert
of one of them also records its (day, language, visit) here, in the same transaction, through
SQLAlchemy's mapper events. Rows written without the ORM (a bulk import, a restored backup)
are picked up by ``rebuild_help_visits`` (``kb insights rebuild``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, event, func, insert, select, union

from kb.articles.models import Article, Vote
from kb.contact.models import ContactRequest
from kb.extensions import db
from kb.insights.models import ArticleView, HelpVisitDay
from kb.insights.sql import day_of, upsert_insert
from kb.returns.models import WizardSession
from kb.search.models import SearchLog
from kb.types import utcnow

_VISIT_MODELS = (SearchLog, WizardSession, ArticleView, Vote, ContactRequest)


def listen() -> None:
    """Record the visit of every new search, session, view, vote and question (once per process)."""
    for model in _VISIT_MODELS:
        if not event.contains(model, "after_insert", _after_insert):
            event.listen(model, "after_insert", _after_insert)


def _after_insert(_mapper: Any, connection: Connection, target: Any) -> None:
    lang = getattr(target, "lang", None)
    if lang is None and target.visit_id:  # views and votes take the language of their article
        lang = connection.scalar(select(Article.lang).where(Article.id == target.article_id))
    add_visits(connection, [(target.created_at or utcnow(), lang or "", target.visit_id or "")])


def add_visits(connection: Connection, visits: Iterable[tuple[datetime, str, str]]) -> None:
    """Record (moment, language, visit) triples, many in one statement (the batched writers')."""
    rows = sorted({(moment.astimezone(UTC).date(), lang, visit[:40]) for moment, lang, visit in visits if visit})
    if not rows:
        return
    connection.execute(upsert_insert(connection, HelpVisitDay).on_conflict_do_nothing(),
                       [{"day": day, "lang": lang, "visit_id": visit} for day, lang, visit in rows])


def article_languages(connection: Connection, article_ids: Iterable[int]) -> dict[int, str]:
    """The language of each of these articles (views and votes count in their article's)."""
    wanted = set(article_ids)
    if not wanted:
        return {}
    found = connection.execute(select(Article.id, Article.lang).where(Article.id.in_(wanted)))
    return {article_id: lang for article_id, lang in found}


def visit_days_source() -> Any:
    """Every (day, language, visit) of the recorded events, as one SELECT."""

    def of(model: Any) -> Any:
        if hasattr(model, "lang"):
            query = select(day_of(model.created_at), model.lang, model.visit_id)
        else:
            query = select(day_of(model.created_at), Article.lang, model.visit_id).join(
                Article, Article.id == model.article_id)
        return query.where(model.visit_id != "")

    return union(*(of(model) for model in _VISIT_MODELS))


def rebuild_help_visits() -> int:
    """Recompute the whole rollup from the events; returns how many rows it holds."""
    db.session.execute(delete(HelpVisitDay))
    columns = ["day", "lang", "visit_id"]
    db.session.execute(insert(HelpVisitDay).from_select(columns, visit_days_source()))
    return int(db.session.scalar(select(func.count()).select_from(HelpVisitDay)) or 0)
