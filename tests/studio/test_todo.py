"""The studio's list and the writers' to-do lists: unhelpful articles and unanswered searches."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from kb.articles.models import Article, Vote
from kb.extensions import db
from kb.search import log_search
from kb.types import utcnow
from tests.studio.conftest import make_article


def _vote(article: Article, helpful: bool, days_ago: int = 1) -> None:
    created = utcnow() - timedelta(days=days_ago)
    db.session.add(Vote(article_id=article.id, helpful=helpful, visit_id="v", created_at=created))


def test_unhelpful_articles_are_listed_with_their_recent_votes(writer: FlaskClient) -> None:
    lost = make_article()
    fine = make_article(key="fine", slug="fine", title="A fine article")
    for helpful in (False, False, False, True):
        _vote(lost, helpful)
    _vote(lost, False, days_ago=120)  # too old to count
    _vote(fine, True)
    db.session.commit()

    html = writer.get("/studio").get_data(as_text=True)
    table = html[html.index('id="unhelpful"') :]
    table = table[: table.index("</table>")]
    assert "My parcel is lost" in table and "A fine article" not in table
    assert "<td>1</td>\n            <td>3</td>" in table  # yes, no
    assert f'href="/studio/{lost.id}/edit"' in table
    # The article exists and needs mending, not a new article next to it.
    assert f'href="/studio/{lost.id}/edit">Edit this article' in table
    assert "/studio/new" not in table


def test_searches_that_found_nothing_are_grouped_and_linked(writer: FlaskClient) -> None:
    log_search("Where is my PARROT?", "en", 0)
    log_search("where is my parrot", "en", 0)
    log_search("refund", "en", 4)
    html = writer.get("/studio").get_data(as_text=True)
    table = html[html.index('id="unanswered"') :]
    table = table[: table.index("</table>")]
    assert "where is my parrot" in table and "refund" not in table
    assert "<td>2</td>" in table
    link = 'href="/studio/new?title=where+is+my+parrot&amp;lang=en">Write an article</a>'
    assert link in table

    form = writer.get("/studio/new?title=where+is+my+parrot&lang=fr").get_data(as_text=True)
    assert 'value="where is my parrot"' in form and '<option selected value="fr">' in form


def test_list_filters_by_language_category_status_and_title(writer: FlaskClient) -> None:
    make_article()
    make_article(key="gift", lang="fr", slug="cadeau", title="Un cadeau", category="returning")
    make_article(key="size", slug="size", title="Size guide", category="orders", status="draft")

    def titles(query: str) -> set[str]:
        html = writer.get(f"/studio{query}").get_data(as_text=True)
        table = html[html.index('id="articles"') :] if 'id="articles"' in html else ""
        return {t for t in ("My parcel is lost", "Un cadeau", "Size guide") if t in table}

    assert titles("") == {"My parcel is lost", "Un cadeau", "Size guide"}
    assert titles("?lang=fr") == {"Un cadeau"}
    assert titles("?category=orders") == {"Size guide"}
    assert titles("?status=published") == {"My parcel is lost", "Un cadeau"}
    assert titles("?q=PARCEL") == {"My parcel is lost"}
    assert titles("?q=%25") == set()  # a LIKE wildcard is searched for, not obeyed


def test_list_is_paginated(writer: FlaskClient) -> None:
    for number in range(30):
        make_article(key=f"a{number}", slug=f"a{number}", title=f"Article number {number}")
    first = writer.get("/studio").get_data(as_text=True)
    second = writer.get("/studio?page=2").get_data(as_text=True)
    assert "30 articles" in first and 'rel="next"' in first
    assert second.count("Article number") == 5
