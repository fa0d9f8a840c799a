"""What the desk keeps of its own: the saved replies agents pick from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import Model
from kb.types import UTCDateTime, utcnow


class SavedReply(Model):
    """A canned answer in one language, kept by admins, that an agent inserts and adapts."""

    __tablename__ = "saved_reply"
    __table_args__ = (Index("ix_saved_reply_lang_title", "lang", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
