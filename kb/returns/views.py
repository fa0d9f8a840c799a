"""The returns hub: the returns topics, the search box, and the way into the assistant."""

from __future__ import annotations

from flask import Blueprint, render_template

from kb import pagecache
from kb.articles.public import article_by_key

bp = Blueprint("returns", __name__)

# The questions shoppers ask most before returning something, in the hub's order.
HUB_TOPICS = (
    "returns-policy",
    "start-a-return",
    "return-window",
    "return-shipping-costs",
    "refund-timing",
    "delivery-charge-refund",
    "exchange",
    "return-in-store",
    "return-without-receipt",
    "damaged-or-defective",
    "item-condition",
    "item-not-received",
    "non-returnable-items",
    "track-return",
    "marketplace-guarantee",
)


@bp.get("/<lang:lang>/returns")
@pagecache.cached_page
def hub(lang: str) -> str:
    """The returns hub linked from every page's footer."""
    topics = [a for a in (article_by_key(key, lang) for key in HUB_TOPICS) if a is not None]
    return render_template("returns/hub.html", topics=topics)
