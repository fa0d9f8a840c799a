"""Policy example blocks are for the checker: search neither finds nor shows their words."""

from __future__ import annotations

from flask import Flask

from kb.articles.files import ArticleFile
from kb.articles.service import create_article
from kb.extensions import db
from kb.search import rebuild_index, search_articles
from kb.search.service import _database_search

BODY = """Bring it back within thirty days.

```policy
- case: A zebrawood lamp comes back
  reason: changed_mind
  expect: {eligible: true}
```
"""


def _publish() -> None:
    fields = ArticleFile(
        key="lamps", lang="en", slug="lamps", title="Lamps", category="returning", summary="Lamps.", body=BODY
    )
    create_article(fields, "seed", "Seeded")
    db.session.commit()


def test_the_index_does_not_hold_the_words_of_policy_blocks(app: Flask) -> None:
    _publish()
    rebuild_index()
    assert search_articles("zebrawood", "en").total == 0
    found = search_articles("thirty days", "en")
    assert [hit.key for hit in found.hits] == ["lamps"]
    assert "zebrawood" not in found.hits[0].snippet and "changed_mind" not in found.hits[0].snippet


def test_the_database_fallback_does_not_match_policy_blocks(app: Flask) -> None:
    _publish()
    assert _database_search("zebrawood", "en", limit=10, offset=0, category=None).total == 0
    assert _database_search("thirty", "en", limit=10, offset=0, category=None).total == 1
