"""What shoppers searched for: no personal data, kept for the content-gap reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import Model
from kb.types import UTCDateTime, change_marker, utcnow


class SearchLog(Model):
    """One search: the scrubbed query, its language, how many results, and any click."""

    __tablename__ = "search_log"
    __table_args__ = (
        Index("ix_search_log_created", "created_at"),
        Index("ix_search_log_lang_results", "lang", "results"),
        Index("ix_search_log_token", "token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200), index=True)
    lang: Mapped[str] = mapped_column(String(5))
    results: Mapped[int]
    clicked_key: Mapped[str | None] = mapped_column(String(80))
    visit_id: Mapped[str] = mapped_column(String(40), default="")
    # Random, carried by the result links so that a click finds its search (None before 0005).
    token: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()

    @property
    def clicked(self) -> bool:
        """Whether the shopper opened one of the results."""
        return self.clicked_key is not None
