"""The search API's paging and filter parameters, checked as the results page reads them."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from kb.articles.categories import CATEGORY_CODES
from kb.web import ApiError

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


def search_paging(args: MultiDict[str, str], limit: int) -> Paging:
    """``category`` (a category code, optional) and ``page`` (1 to MAX_PAGE, default 1).

    An unknown category or a page that is not a whole number in range is a 400 in the
    project's error format; a page past the last one is valid and simply empty.
    """
    category = args.get("category") or None
    if category is not None and category not in CATEGORY_CODES:
        raise ApiError(400, "invalid_category",
                       f"category must be one of: {', '.join(sorted(CATEGORY_CODES))}")
    raw = args.get("page")
    page = 1
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
            raise ApiError(400, "invalid_page", f"page must be a whole number from 1 to {MAX_PAGE}")
        page = int(raw)
    return Paging(category, page, limit)
