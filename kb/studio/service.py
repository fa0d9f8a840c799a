"""The studio's logic, free of Flask: the article list, saving, restoring and deleting."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from kb import pagecache, search
from kb.articles.example_checks import ArticleCheck, check_text, check_text_cached
from kb.articles.files import ArticleFile
from kb.articles.models import Article, ArticleRevision, ArticleStatus, Redirect
from kb.articles.rendering import render
from kb.articles.service import create_article, update_article
from kb.config import LANGUAGES
from kb.extensions import db
from kb.policy import Policy

PAGE_SIZE = 25
MAX_TAGS = 20
MAX_TAG_LENGTH = 60


class TranslationStatus(StrEnum):
    """Where an article stands with its other-language version."""

    TRANSLATED = "translated"
    MISSING_EN = "missing_en"
    MISSING_FR = "missing_fr"
    NEEDS_TRANSLATION = "needs_translation"
    # This article's other version changed since: update it or confirm it still holds.
    OUT_OF_DATE = "out_of_date"
    # The other version is out of date since this one changed.
    TRANSLATION_OUT_OF_DATE = "translation_out_of_date"


def other_language(lang: str) -> str:
    """The help centre's other language."""
    return next(code for code in LANGUAGES if code != lang)


# ---- what the writer typed -------------------------------------------------------------


@dataclass(frozen=True)
class ArticleContent:
    """An article's content at one moment: as a writer typed it (tidied), saved, or in a revision."""

    title: str
    slug: str
    category: str
    tags: tuple[str, ...]
    summary: str
    body: str
    status: str

    def changes(self) -> dict[str, object]:
        """The fields ``update_article`` compares and saves."""
        return {
            "slug": self.slug,
            "title": self.title,
            "category": self.category,
            "tags": list(self.tags),
            "summary": self.summary,
            "body": self.body,
            "status": self.status,
        }


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags, trimmed, without blanks or repeats, in the writer's order."""
    tags = (" ".join(part.split()) for part in (text or "").split(","))
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def normalize_body(text: str) -> str:
    """Browser line endings to Unix ones, trimmed like an imported file's body."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"


def one_line(text: str) -> str:
    """Whitespace folded: titles and summaries are single lines."""
    return " ".join((text or "").split())


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})


def suggest_slug(title: str) -> str:
    """A URL slug from a title: "Où est mon colis ?" → "ou-est-mon-colis"."""
    folded = unicodedata.normalize("NFKD", title.translate(_LIGATURES))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:120].rstrip("-")


def slug_is_taken(lang: str, slug: str, article_id: int | None) -> bool:
    """Whether another article of the language uses, or redirects from, this slug."""
    other = db.session.scalar(select(Article.id).where(Article.lang == lang, Article.slug == slug))
    if other is not None and other != article_id:
        return True
    target = db.session.scalar(
        select(Redirect.article_id).where(Redirect.lang == lang, Redirect.old_slug == slug)
    )
    return target is not None and target != article_id


def free_slug(lang: str, base: str, article_id: int | None = None) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever no other article of the language uses."""
    candidate, number = base or "article", 1
    while slug_is_taken(lang, candidate, article_id):
        number += 1
        candidate = _numbered(base or "article", number, 120)
    return candidate


def unused_key(base: str) -> str:
    """A key no article uses in any language, so a new article is nobody's translation."""
    candidate, number = base[:80].rstrip("-"), 1
    while db.session.scalar(select(Article.id).where(Article.key == candidate)) is not None:
        number += 1
        candidate = _numbered(base, number, 80)
    return candidate


def _numbered(base: str, number: int, limit: int) -> str:
    """``base-<number>`` within ``limit`` characters, still a valid slug."""
    suffix = f"-{number}"
    return base[: limit - len(suffix)].rstrip("-") + suffix


# ---- saving ------------------------------------------------------------------------------


def create_from_draft(
    draft: ArticleContent,
    lang: str,
    author: str,
    message: str,
    *,
    key: str | None = None,
    needs_translation: bool = False,
) -> Article:
    """Create an article from the studio's form (``key`` given for a translation)."""
    fields = ArticleFile(
        key=key or unused_key(draft.slug),
        lang=lang,
        slug=draft.slug,
        title=draft.title,
        category=draft.category,
        tags=list(draft.tags),
        status=draft.status,
        summary=draft.summary,
        body=draft.body,
    )
    article = create_article(fields, author, message or "Created in the studio")
    # A flag of the studio's own workflow, not content: it has no revision of its own.
    article.needs_translation = needs_translation
    return article


def save_draft(
    article: Article,
    draft: ArticleContent,
    author: str,
    message: str,
    expected_revision: int,
    translation_done: bool = False,
) -> bool:
    """Save an edit as a new revision; raise RevisionConflict when someone saved meanwhile."""
    changed = update_article(
        article, draft.changes(), author, message or "Edited in the studio", expected_revision
    )
    if translation_done and article.needs_translation:
        article.needs_translation = False
        changed = True
    return changed


def restore_revision(article: Article, revision: ArticleRevision, author: str) -> bool:
    """A new revision with an old revision's content (the status stays as it is)."""
    changes: dict[str, object] = {
        "slug": revision.slug,
        "title": revision.title,
        "category": revision.category,
        "tags": list(json.loads(revision.tags_json or "[]")),
        "summary": revision.summary,
        "body": revision.body,
    }
    return update_article(article, changes, author, f"Restored revision {revision.number}")


def delete_article(article: Article, author: str) -> bool:
    """Take an article down (its URL answers 410); its history stays."""
    return update_article(article, {"status": ArticleStatus.DELETED}, author, "Deleted")


def undelete_article(article: Article, author: str) -> bool:
    """Bring a deleted article back with the status it had before it was deleted."""
    return update_article(
        article, {"status": status_before_deletion(article)}, author, "Restored after deletion"
    )


def status_before_deletion(article: Article) -> str:
    """The newest status other than deleted in the article's history (draft if none)."""
    status = db.session.scalar(
        select(ArticleRevision.status)
        .where(
            ArticleRevision.article_id == article.id,
            ArticleRevision.status != ArticleStatus.DELETED,
        )
        .order_by(ArticleRevision.number.desc())
        .limit(1)
    )
    return status or ArticleStatus.DRAFT


def check_examples(body: str, policy: Policy) -> ArticleCheck:
    """The text's policy examples run against the engine (lines of the text field)."""
    return check_text(normalize_body(body), policy)


def check_saved_examples(article: Article, policy: Policy) -> ArticleCheck:
    """``check_examples`` for a saved article, remembered: the list and the to-do ask often."""
    return check_text_cached(normalize_body(article.body), policy)


def preview_html(body: str, lang: str, values: dict[str, Any]) -> str:
    """The body as the public page shows it: the same renderer, sanitizer and policy values."""
    return render(normalize_body(body), lang, values).html


# ---- reading -----------------------------------------------------------------------------


def version_in(key: str, lang: str) -> Article | None:
    """The article with this key in this language, whatever its status."""
    return db.session.scalar(select(Article).where(Article.key == key, Article.lang == lang))


def revisions_of(article: Article) -> list[ArticleRevision]:
    """The article's revisions, newest first."""
    return list(
        db.session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.number.desc())
        )
    )


def revision_of(article: Article, number: int) -> ArticleRevision | None:
    """One revision of an article by its number."""
    return db.session.scalar(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == number
        )
    )


def old_slugs(article: Article) -> list[str]:
    """The slugs the article had before, which still redirect to it."""
    return list(
        db.session.scalars(
            select(Redirect.old_slug)
            .where(Redirect.article_id == article.id, Redirect.old_slug != article.slug)
            .order_by(Redirect.created_at, Redirect.id)
        )
    )


def translation_status(article: Article, other: Article | None) -> TranslationStatus:
    """Translated, missing the other language, or waiting for a translator."""
    live = other if other is not None and other.status != ArticleStatus.DELETED else None
    if article.needs_translation or (live is not None and live.needs_translation):
        return TranslationStatus.NEEDS_TRANSLATION
    if article.out_of_date and live is not None:
        return TranslationStatus.OUT_OF_DATE
    if live is not None and live.out_of_date:
        return TranslationStatus.TRANSLATION_OUT_OF_DATE
    if live is None:
        return TranslationStatus(f"missing_{other_language(article.lang)}")
    return TranslationStatus.TRANSLATED


@dataclass(frozen=True)
class ArticleFilters:
    """The list's filters; ``status`` None means every article that is not deleted."""

    lang: str | None = None
    category: str | None = None
    status: str | None = None
    title: str = ""


@dataclass(frozen=True)
class ArticleRow:
    """One line of the studio's list."""

    article: Article
    translation: TranslationStatus
    other: Article | None
    # How many of the article's policy examples the engine does not confirm.
    failing_examples: int = 0


@dataclass(frozen=True)
class ArticlePage:
    """One page of the studio's list."""

    rows: list[ArticleRow]
    total: int
    page: int
    pages: int


def list_articles(
    filters: ArticleFilters, page: int = 1, page_size: int = PAGE_SIZE, policy: Policy | None = None
) -> ArticlePage:
    """Articles of both languages matching the filters, last changed first.

    With a ``policy``, each row also counts the article's failing policy examples.
    """
    statement = select(Article)
    if filters.lang:
        statement = statement.where(Article.lang == filters.lang)
    if filters.category:
        statement = statement.where(Article.category == filters.category)
    if filters.status:
        statement = statement.where(Article.status == filters.status)
    else:
        statement = statement.where(Article.status != ArticleStatus.DELETED)
    if filters.title.strip():
        wanted = filters.title.strip().lower()
        statement = statement.where(func.lower(Article.title).contains(wanted, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    articles = list(
        db.session.scalars(
            statement.order_by(Article.updated_at.desc(), Article.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    others = _other_versions(articles)
    rows = [
        ArticleRow(
            a,
            translation_status(a, others.get(a.id)),
            others.get(a.id),
            len(check_saved_examples(a, policy).failures) if policy is not None else 0,
        )
        for a in articles
    ]
    return ArticlePage(rows=rows, total=total, page=page, pages=pages)


def _other_versions(articles: list[Article]) -> dict[int, Article]:
    """Each article's version in the other language, by article id."""
    keys = {a.key for a in articles}
    if not keys:
        return {}
    versions = db.session.scalars(select(Article).where(Article.key.in_(keys)))
    by_key_lang = {(v.key, v.lang): v for v in versions}
    found = {a.id: by_key_lang.get((a.key, other_language(a.lang))) for a in articles}
    return {article_id: other for article_id, other in found.items() if other is not None}


def announce_changes() -> None:
    """After a commit that changed articles: update this process's search index and pages now."""
    search.notify_articles_changed()
    pagecache.content_changed()
