"""The search API's paging: which page of results, and where it starts (checked by its schema)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAGE = 1000  # as the results page: deeper pages are not worth ranking


@dataclass(frozen=True)
class Paging:
    """A page of results in one category (or all), and the offset it starts at."""

    category: str | None
    page: int
    limit: int

    @property
    def offset(self) -> int:
        """The number of results before this page."""
        return (self.page - 1) * self.limit

    def pages(self, total: int) -> int:
        """How many pages `total` results fill."""
        return (total + self.limit - 1) // self.limit
