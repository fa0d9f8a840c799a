"""Changing articles: every save is a revision, and every change bumps the content version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from kb.articles.files import (
    ArticleFile,
    ArticleFileError,
    article_path,
    file_hash,
    find_article_files,
    parse_article,
    serialize_article,
)
from kb.articles.models import Article, ArticleRevision, ArticleStatus, ContentVersion, Redirect
from kb.extensions import db
from kb.types import utcnow

EDITABLE = ("slug", "title", "category", "tags", "summary", "body", "status", "legal_review")


class RevisionConflict(Exception):
    """Someone else saved the article since this edit started."""

    def __init__(self, article: Article, expected: int) -> None:
        self.article = article
        self.expected = expected
        super().__init__(
            f"article {article.lang}/{article.slug} is at revision {article.revision}, "
            f"the edit started from {expected}"
        )


class SlugTaken(ValueError):
    """Another article of the language already uses (or redirects from) this slug."""


def bump_content_version() -> None:
    """Tell every process that articles changed (they resync their index)."""
    row = db.session.get(ContentVersion, 1)
    if row is None:
        db.session.add(ContentVersion(id=1, value=1))
    else:
        db.session.execute(
            update(ContentVersion).where(ContentVersion.id == 1).values(value=ContentVersion.value + 1)
        )


def content_version() -> int:
    """The current content version (0 before any article exists)."""
    value = db.session.scalar(select(ContentVersion.value).where(ContentVersion.id == 1))
    return value or 0


def _record_revision(article: Article, author: str, message: str) -> ArticleRevision:
    revision = ArticleRevision(
        article=article,
        number=article.revision,
        title=article.title,
        slug=article.slug,
        category=article.category,
        tags_json=article.tags_json,
        summary=article.summary,
        body=article.body,
        status=article.status,
        author=author,
        message=message[:500],
    )
    db.session.add(revision)
    return revision


def _check_slug_free(lang: str, slug: str, article_id: int | None) -> None:
    other = db.session.scalar(select(Article).where(Article.lang == lang, Article.slug == slug))
    if other is not None and other.id != article_id:
        raise SlugTaken(f"the slug '{slug}' is already used by another {lang} article")
    redirect = db.session.scalar(
        select(Redirect).where(Redirect.lang == lang, Redirect.old_slug == slug)
    )
    if redirect is not None and redirect.article_id != article_id:
        raise SlugTaken(f"the slug '{slug}' still redirects to another {lang} article")


def create_article(fields: ArticleFile, author: str, message: str) -> Article:
    """Create an article and its first revision."""
    _check_slug_free(fields.lang, fields.slug, None)
    now = utcnow()
    article = Article(
        key=fields.key,
        lang=fields.lang,
        slug=fields.slug,
        title=fields.title,
        category=fields.category,
        summary=fields.summary,
        body=fields.body,
        status=fields.status,
        legal_review=fields.legal_review,
        revision=1,
        created_at=now,
        updated_at=now,
        published_at=now if fields.status == ArticleStatus.PUBLISHED else None,
    )
    article.tags = fields.tags
    db.session.add(article)
    _record_revision(article, author, message)
    bump_content_version()
    return article


def update_article(
    article: Article,
    changes: dict[str, object],
    author: str,
    message: str,
    expected_revision: int | None = None,
) -> bool:
    """Apply changes as a new revision; False when nothing changed.

    ``expected_revision`` is the revision the edit started from: a different current
    revision means someone else saved meanwhile, and nothing is written.
    """
    if expected_revision is not None:
        # Read the current revision under a row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE
        # already serialises writers), so two simultaneous saves cannot both pass this check.
        if article.id is not None:
            db.session.refresh(article, with_for_update=True)
        if expected_revision != article.revision:
            raise RevisionConflict(article, expected_revision)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    current = {name: getattr(article, name) for name in EDITABLE}
    if all(current[name] == value for name, value in changes.items()):
        return False
    revision_before = article.revision
    new_slug = changes.get("slug", article.slug)
    if new_slug != article.slug:
        _check_slug_free(article.lang, str(new_slug), article.id)
        _keep_old_slug(article)
    for name, value in changes.items():
        setattr(article, name, value)
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = utcnow()
    article.revision += 1
    article.updated_at = utcnow()
    _record_revision(article, author, message)
    _keep_translation_in_step(article, revision_before, current)
    bump_content_version()
    return True


def _keep_translation_in_step(article: Article, revision_before: int, before: dict[str, object]) -> None:
    """A change of the published text (title, summary, body) puts the other language out of date.

    Only a change readers see counts: the tags, a draft's text, deleting or restoring do not.

    An article that was itself out of date and whose text changed has been brought in step: its
    flag goes, and that update does not in turn flag the version it followed. Neither does the
    work on a translation still marked "needs translation".
    """
    text_changed = any(before[name] != getattr(article, name) for name in ("title", "summary", "body"))
    if article.out_of_date_since is not None:
        if text_changed:
            article.out_of_date_since = None
        return
    if article.needs_translation:
        return
    if not text_changed or article.status != ArticleStatus.PUBLISHED:
        return
    other = db.session.scalar(
        select(Article).where(
            Article.key == article.key, Article.lang != article.lang, Article.status != ArticleStatus.DELETED
        )
    )
    if other is not None and other.out_of_date_since is None:
        other.out_of_date_since = revision_before


def confirm_in_step(article: Article) -> bool:
    """A writer confirms the article still holds after its other version changed."""
    if article.out_of_date_since is None:
        return False
    # A flag of the studio's workflow, not content: no revision, and the public page stays.
    article.out_of_date_since = None
    return True


def _keep_old_slug(article: Article) -> None:
    """The old URL keeps working, forever, as a permanent redirect."""
    existing = db.session.scalar(
        select(Redirect).where(Redirect.lang == article.lang, Redirect.old_slug == article.slug)
    )
    if existing is None:
        db.session.add(Redirect(lang=article.lang, old_slug=article.slug, article_id=article.id))
    else:
        existing.article_id = article.id


def fields_of(article: Article) -> ArticleFile:
    """The article's current content as file fields."""
    return ArticleFile(
        key=article.key,
        lang=article.lang,
        slug=article.slug,
        title=article.title,
        category=article.category,
        tags=article.tags,
        status="draft" if article.status == ArticleStatus.DRAFT else "published",
        summary=article.summary,
        body=article.body,
        legal_review=article.legal_review,
    )


@dataclass
class ImportReport:
    """What an import did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    errors: list[ArticleFileError] = field(default_factory=list)


def import_articles(
    root: Path, author: str = "import", progress: Callable[[Path], None] | None = None
) -> ImportReport:
    """Upsert every article file of ``root`` (by key and language); idempotent.

    A file that changed while its article also changed in the studio since the last sync
    is a conflict: it is reported, and neither side is overwritten.
    """
    report = ImportReport()
    for path in find_article_files(root):
        name = str(path.relative_to(root))
        try:
            text = path.read_text(encoding="utf-8")
            fields = parse_article(text, name)
            _import_one(fields, text, name, author, report)
        except ArticleFileError as exc:
            report.errors.append(exc)
        except UnicodeDecodeError:
            report.errors.append(ArticleFileError(name, "not UTF-8 text"))
        except ValueError as exc:  # a slug clash, for example
            report.errors.append(ArticleFileError(name, str(exc)))
        if progress:
            progress(path)
    return report


def _import_one(fields: ArticleFile, text: str, name: str, author: str, report: ImportReport) -> None:
    digest = file_hash(text)
    article = db.session.scalar(
        select(Article).where(Article.key == fields.key, Article.lang == fields.lang)
    )
    if article is None:
        article = create_article(fields, author, f"Imported from {name}")
        _mark_synced(article, digest)
        report.created.append(name)
        return
    if article.synced_hash == digest:
        report.unchanged.append(name)  # the file did not change since the last sync
        return
    studio_changed = article.synced_revision is not None and article.revision != article.synced_revision
    changes = {
        "slug": fields.slug,
        "title": fields.title,
        "category": fields.category,
        "tags": fields.tags,
        "summary": fields.summary,
        "body": fields.body,
        "status": fields.status,
        "legal_review": fields.legal_review,
    }
    if article.status == ArticleStatus.DELETED:
        changes.pop("status")
    if studio_changed and any(getattr(article, k) != v for k, v in changes.items()):
        report.conflicts.append(f"{name} (article {article.lang}/{article.slug})")
        return
    if update_article(article, changes, author, f"Imported from {name}"):
        report.updated.append(name)
    else:
        report.unchanged.append(name)
    _mark_synced(article, digest)


def _mark_synced(article: Article, digest: str) -> None:
    article.synced_hash = digest
    article.synced_revision = article.revision


def export_articles(root: Path) -> list[Path]:
    """Write every non-deleted article as a Markdown file under ``root``; return the paths."""
    written = []
    articles = db.session.scalars(
        select(Article).where(Article.status != ArticleStatus.DELETED).order_by(Article.id)
    )
    for article in articles:
        text = serialize_article(fields_of(article))
        path = article_path(root, article.lang, article.slug)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        _mark_synced(article, file_hash(text))
        written.append(path)
    return written
