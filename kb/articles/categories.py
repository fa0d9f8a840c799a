"""The help centre's categories: codes in the files, names in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Category:
    """A category of articles."""

    code: str
    name: object  # a lazy string, translated when shown
    description: object
    icon: str


CATEGORIES = (
    Category(
        "returning",
        _l("Returning an item"),
        _l("Deadlines, labels, stores, exchanges and following your return."),
        "box",
    ),
    Category(
        "refunds",
        _l("Refunds"),
        _l("When your money comes back, how, and how much."),
        "coin",
    ),
    Category(
        "problems",
        _l("Problems with an order"),
        _l("Damaged, faulty, wrong or missing items, repairs and marketplace orders."),
        "alert",
    ),
    Category(
        "orders",
        _l("Orders and sizes"),
        _l("Cancelling an order, finding your size and reaching our team."),
        "tag",
    ),
)
CATEGORY_CODES = tuple(c.code for c in CATEGORIES)
# Topics the returns assistant can act on: their pages offer it beside the contact form.
RETURN_TOPICS = frozenset({"returning", "refunds", "problems"})


def get_category(code: str) -> Category | None:
    """The category with this code, or None."""
    return next((c for c in CATEGORIES if c.code == code), None)
