"""What the articles room announces, for the rooms that follow it without being imported here.

Search and insights read articles; the articles room must not import them back (no package
imports another that imports it). So an article page says what happened through a signal,
and each of those rooms connects its own receiver when it is set up.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent for every article page served, cached or not, with ``article_id``, ``key`` (the article's
# key), ``visit_id`` and ``click_token`` (the search result link's ``s``, "" when none).
article_read = _signals.signal("article-read")
