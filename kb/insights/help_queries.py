"""Self-help and content: visits, wizard outcomes, searches, views and votes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.sql.elements import ColumnElement

from kb.articles.models import Article
from kb.contact.models import ContactRequest
from kb.extensions import db
from kb.insights.daily_returns import SHOPPERS
from kb.insights.distinct import count_distinct
from kb.insights.models import (
    ArticleDay,
    WizardArticleDay,
    WizardDay,
)
from kb.insights.period import Period
from kb.insights.returns_queries import in_period
from kb.insights.rollup import VISITS
from kb.insights.sql import as_date
from kb.returns.models import WizardOutcome, WizardSession

ABANDONED_AFTER = timedelta(hours=1)  # the assistant expires a session after an idle hour
TOP_ARTICLES = 20
TOP_QUERIES = 50


def _sessions_of(period: Period) -> list[ColumnElement[bool]]:
    conditions = [in_period(WizardSession.created_at, period)]
    if period.lang:
        conditions.append(WizardSession.lang == period.lang)
    return conditions


def help_visits(period: Period) -> int:
    """Distinct help-centre visits: searches, article views, votes and assistant sessions.

    Read from first-seen counts (kb.insights.distinct), exact for any period.
    """
    return count_distinct(VISITS.kind, period)


def shoppers_with_tickets(period: Period) -> int:
    """Distinct shopper e-mails (in any case) that opened a ticket in the period."""
    return count_distinct(SHOPPERS.kind, period)


def _days_of(model: Any, period: Period) -> list[ColumnElement[bool]]:
    conditions = [model.day >= period.start, model.day <= period.end]
    if period.lang:
        conditions.append(model.lang == period.lang)
    return conditions


def wizard_outcomes(period: Period, now: datetime) -> dict[str, int]:
    """Wizard sessions started, deflected, turned into tickets and abandoned.

    Read from the daily rollup; an open session is abandoned once idle for an hour, so the
    open sessions seen in the last hour (few, and indexed) are taken back from the open ones.
    """
    rows = db.session.execute(
        select(WizardDay.outcome, func.sum(WizardDay.sessions))
        .where(*_days_of(WizardDay, period)).group_by(WizardDay.outcome)
    ).all()
    counts = {str(outcome): int(n or 0) for outcome, n in rows}
    recent = db.session.scalar(
        select(func.count(WizardSession.id)).where(
            WizardSession.outcome == WizardOutcome.OPEN,
            WizardSession.last_seen_at >= now - ABANDONED_AFTER, *_sessions_of(period))
    )
    # Contact form questions count as sessions too (kb.insights.daily.contact_keys).
    questions = [in_period(ContactRequest.created_at, period)]
    if period.lang:
        questions.append(ContactRequest.lang == period.lang)
    recent_questions = db.session.scalar(
        select(func.count(ContactRequest.id)).where(
            ContactRequest.outcome == WizardOutcome.OPEN,
            ContactRequest.last_seen_at >= now - ABANDONED_AFTER, *questions)
    )
    return {
        "started": sum(counts.values()),
        "deflected": counts.get(WizardOutcome.DEFLECTED, 0),
        "ticket": counts.get(WizardOutcome.TICKET, 0),
        "abandoned": counts.get(WizardOutcome.OPEN, 0) - int(recent or 0) - int(recent_questions or 0),
    }


def ended_counts(period: Period) -> list[dict[str, Any]]:
    """Sessions that ended either way, by start day, first reason and outcome (from the rollup)."""
    ended = (WizardOutcome.DEFLECTED, WizardOutcome.TICKET)
    rows = db.session.execute(
        select(WizardDay.day, WizardDay.reason, WizardDay.outcome, WizardDay.sessions)
        .where(*_days_of(WizardDay, period), WizardDay.outcome.in_(ended))
    ).all()
    totals: dict[tuple[Any, str, str], int] = {}
    for d, reason, outcome, n in rows:
        key = (as_date(d), reason or "", str(outcome))
        totals[key] = totals.get(key, 0) + int(n)
    return [{"day": d, "reason": r, "outcome": o, "sessions": n}
            for (d, r, o), n in totals.items()]


def _outcomes_by(counts: list[dict[str, Any]], field: str) -> dict[Any, dict[str, int]]:
    totals: dict[Any, dict[str, int]] = {}
    for row in counts:
        entry = totals.setdefault(row[field], {"deflected": 0, "ticket": 0})
        entry[row["outcome"]] += row["sessions"]
    return totals


def outcomes_per_day(counts: list[dict[str, Any]], period: Period) -> list[dict[str, Any]]:
    """Deflected and ticket sessions by the day they started, every day of the period."""
    totals = _outcomes_by(counts, "day")
    empty = {"deflected": 0, "ticket": 0}
    return [{"key": day, **totals.get(day, empty)} for day in period.each_day()]


def outcomes_by_reason(counts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deflected and ticket sessions by the reason of the session's first chosen item."""
    totals = _outcomes_by(counts, "reason")
    ordered = sorted(totals.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [{"key": reason, **figures} for reason, figures in ordered]


def articles_before_deflection(period: Period, limit: int = TOP_ARTICLES) -> list[dict[str, Any]]:
    """Articles that solved sessions: the one the shopper named, else those they opened."""
    sessions = func.sum(WizardArticleDay.sessions)
    rows = db.session.execute(
        select(WizardArticleDay.key, sessions.label("sessions"))
        .where(*_days_of(WizardArticleDay, period), WizardArticleDay.kind == "deflected")
        .group_by(WizardArticleDay.key)
        .order_by(sessions.desc(), WizardArticleDay.key)
        .limit(limit)
    ).all()
    return [{"key": r.key, "sessions": int(r.sessions)} for r in rows]


def articles_before_ticket(period: Period, limit: int = TOP_ARTICLES) -> list[dict[str, Any]]:
    """Articles offered or opened in sessions that still ended with a ticket."""
    kind = WizardArticleDay.kind
    sessions = func.sum(case((kind == "ticket", WizardArticleDay.sessions), else_=0))
    opened = func.sum(case((kind == "ticket_opened", WizardArticleDay.sessions), else_=0))
    rows = db.session.execute(
        select(WizardArticleDay.key, sessions.label("sessions"), opened.label("opened"))
        .where(*_days_of(WizardArticleDay, period), kind.in_(("ticket", "ticket_opened")))
        .group_by(WizardArticleDay.key)
        .order_by(sessions.desc(), opened.desc(), WizardArticleDay.key)
        .limit(limit)
    ).all()
    return [{"key": r.key, "sessions": int(r.sessions), "opened": int(r.opened)} for r in rows]


def article_figures(period: Period) -> list[dict[str, Any]]:
    """Every article viewed or voted on in the period: views, yes and no votes (from the rollup)."""
    figures = (
        select(ArticleDay.article_id.label("article_id"), func.sum(ArticleDay.views).label("n"),
               func.sum(ArticleDay.yes).label("yes"), func.sum(ArticleDay.no).label("no"))
        .where(ArticleDay.day >= period.start, ArticleDay.day <= period.end)
        .group_by(ArticleDay.article_id)
        .subquery()
    )
    query = (
        select(Article.id, Article.key, Article.lang, Article.title, Article.slug, Article.status,
               figures.c.n, figures.c.yes, figures.c.no)
        .join(figures, figures.c.article_id == Article.id)
    )
    if period.lang:
        query = query.where(Article.lang == period.lang)
    rows = db.session.execute(query).all()
    return [
        {
            "key": r.key, "lang": r.lang, "title": r.title, "slug": r.slug, "status": r.status,
            "views": int(r.n or 0), "yes": int(r.yes or 0), "no": int(r.no or 0),
        }
        for r in rows
    ]


def article_titles(keys: set[str], lang: str | None) -> dict[str, str]:
    """The titles of articles by key, in the period's language (English first for all)."""
    if not keys:
        return {}
    rows = db.session.execute(
        select(Article.key, Article.lang, Article.title).where(Article.key.in_(sorted(keys)))
    ).all()
    # The period's language wins; with every language, English before French.
    order = ("en", "fr") if lang == "fr" else ("fr", "en")
    titles: dict[str, str] = {}
    for code in order:
        titles.update({r.key: r.title for r in rows if r.lang == code})
    return titles
