"""Articles, their revisions, old slugs that redirect, and readers' votes."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import Model
from kb.types import UTCDateTime, change_marker, utcnow


class ArticleStatus(StrEnum):
    """Where an article stands: only published ones are public."""

    DRAFT = "draft"
    PUBLISHED = "published"
    DELETED = "deleted"


class Article(Model):
    """The current state of one article in one language."""

    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("key", "lang", name="uq_article_key_lang"),
        UniqueConstraint("lang", "slug", name="uq_article_lang_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    lang: Mapped[str] = mapped_column(String(5))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), index=True)
    tags_json: Mapped[str] = mapped_column(Text, default="[]")
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ArticleStatus.DRAFT)
    # Bumped on every saved change; the search index records the revision it holds.
    revision: Mapped[int] = mapped_column(default=1)
    needs_translation: Mapped[bool] = mapped_column(default=False)
    # Out of date: the other-language version's revision this one last matched, before that
    # version's published text changed. None while the two are in step.
    out_of_date_since: Mapped[int | None] = mapped_column()
    # Hash of the Markdown file as of the last import/export, to spot edits on both sides.
    synced_hash: Mapped[str | None] = mapped_column(String(64))
    synced_revision: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # States the law: the shop's lawyers must read it (the file's legal_review flag).
    legal_review: Mapped[bool] = mapped_column(default=False)

    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", order_by="ArticleRevision.number", cascade="all, delete-orphan"
    )

    @property
    def tags(self) -> list[str]:
        """The article's tags as a list."""
        return list(json.loads(self.tags_json or "[]"))

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self.tags_json = json.dumps(list(value), ensure_ascii=False)

    @property
    def is_published(self) -> bool:
        """Whether shoppers can see it."""
        return self.status == ArticleStatus.PUBLISHED

    @property
    def out_of_date(self) -> bool:
        """Whether the other-language version changed since this one was last in step."""
        return self.out_of_date_since is not None

    @property
    def doc_id(self) -> str:
        """The id of this article's document in the search index."""
        return f"{self.lang}:{self.key}"


class ArticleRevision(Model):
    """One saved version of an article, with who saved it and why."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_article_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60))
    tags_json: Mapped[str] = mapped_column(Text, default="[]")
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(200), default="system")
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="revisions")


class Redirect(Model):
    """An old slug that keeps answering with a permanent redirect to its article."""

    __tablename__ = "redirect"
    __table_args__ = (UniqueConstraint("lang", "old_slug", name="uq_redirect_lang_old_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(5))
    old_slug: Mapped[str] = mapped_column(String(120))
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vote(Model):
    """A reader's answer to "Was this helpful?"."""

    __tablename__ = "vote"
    __table_args__ = (Index("ix_vote_article_created", "article_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    helpful: Mapped[bool]
    # The random help-centre visit id: lets a reader change their vote, identifies nobody.
    visit_id: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()


class ContentVersion(Model):
    """A single counter bumped by every article change, so processes notice cheaply."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
