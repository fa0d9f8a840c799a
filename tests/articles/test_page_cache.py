"""The page cache: help pages are rendered once per content version and hold nothing of one
visitor (the vote and resend forms fetch their CSRF token when used), staff and flashed messages skip it,
and changes show without delay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, template_rendered
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select, update

from kb import pagecache
from kb.articles.models import Article, Vote
from kb.articles.service import bump_content_version
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.pagecache import Page, PageStore
from kb.web import VISIT_COOKIE
from tests.articles.conftest import TOKEN, cookies_set, sign_in_writer
from tests.conftest import make_app, reset_database
from tests.studio.conftest import form_for, make_article

TEMPLATES = re.compile(r"<template\b.*?</template>", re.S)


def shown(html: str) -> str:
    """The page as displayed: without its inert <template> parts (kb.js shows them after a vote)."""
    return TEMPLATES.sub("", html)


@contextmanager
def renders(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered while the block runs."""
    seen: list[str] = []

    def record(_sender: Flask, template, context, **_extra) -> None:  # type: ignore[no-untyped-def]
        seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


def test_a_page_is_rendered_once_and_then_served_to_every_visitor(shop: Flask) -> None:
    with renders(shop) as seen:
        first = shop.test_client().get("/en/articles/lost-parcel")
        second = shop.test_client().get("/en/articles/lost-parcel")
    assert first.status_code == second.status_code == 200
    assert seen.count("articles/article.html") == 1
    assert "My parcel is lost" in second.get_data(as_text=True)
    assert second.mimetype == "text/html"


def test_home_hub_and_categories_are_cached_too(shop: Flask) -> None:
    client = shop.test_client()
    with renders(shop) as seen:
        for _ in range(3):
            for path in ("/en/", "/en/returns", "/en/categories/problems", "/fr/"):
                assert client.get(path).status_code == 200
    assert seen.count("articles/home.html") == 2  # one per language
    assert seen.count("returns/hub.html") == 1
    assert seen.count("articles/category.html") == 1


def test_the_cached_article_page_holds_no_token_and_sets_no_session_cookie(shop: Flask) -> None:
    first = shop.test_client().get("/en/articles/lost-parcel")  # rendered, then kept
    returning = shop.test_client()
    returning.set_cookie(VISIT_COOKIE, "a" * 32, domain="kb.test")
    with renders(shop) as seen:
        hits = [shop.test_client().get("/en/articles/lost-parcel"), returning.get("/en/articles/lost-parcel")]
    assert seen == []  # both served from the cache
    for response in (first, *hits):
        html = response.get_data(as_text=True)
        assert "csrf_token" not in html and not TOKEN.search(html)
        assert "session" not in cookies_set(response)
    # A new visitor is given a visit id (the reports count visits); a returning one nothing.
    assert cookies_set(hits[0]) == [VISIT_COOKIE]
    assert cookies_set(hits[1]) == []
    assert first.get_data() == hits[0].get_data() == hits[1].get_data()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_cached_hub_page_holds_no_token_and_sets_no_session_cookie(shop: Flask, lang: str) -> None:
    path = f"/{lang}/returns"
    first = shop.test_client().get(path)  # rendered, then kept
    with renders(shop) as seen:
        hits = [shop.test_client().get(path), shop.test_client().get(path)]
    assert seen == []  # served from the cache
    for response in (first, *hits):
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="hub-resend"' in html
        assert "csrf_token" not in html and not TOKEN.search(html)
        assert 'data-csrf-token="/csrf-token"' in html  # the resend form fetches it when sent
        assert "session" not in cookies_set(response)
    assert first.get_data() == hits[0].get_data() == hits[1].get_data()


def test_a_page_that_rendered_a_token_is_served_but_never_kept(shop: Flask) -> None:
    def render() -> str:
        return f'<input name="csrf_token" value="{generate_csrf()}">'

    # Each request its own app context, hence its own g (where Flask-WTF keeps the token).
    for _ in range(2):
        with shop.app_context(), shop.test_request_context("/en/"):
            assert pagecache.lookup() is None
            pagecache.keep(render())
    with shop.app_context(), shop.test_request_context("/en/"):
        assert pagecache.lookup() is None
        pagecache.keep("<p>the same for everyone</p>")
    with shop.app_context(), shop.test_request_context("/en/"):
        page = pagecache.lookup()
        assert page is not None and page.html == "<p>the same for everyone</p>"


def test_a_vote_needs_the_voters_own_csrf_token(shop: Flask) -> None:
    ana, bob = shop.test_client(), shop.test_client()
    ana.get("/en/articles/lost-parcel")
    assert ana.post("/en/articles/lost-parcel/vote", data={"helpful": "yes"}).status_code == 400
    assert ana.post("/en/articles/lost-parcel/vote", data={"helpful": "yes", "csrf_token": "forged"}
                    ).status_code == 400
    token = bob.get("/csrf-token")
    assert token.headers["Cache-Control"] == "no-store" and "session" in cookies_set(token)
    bob_token = token.get_json()["csrf_token"]
    # Bob's token is accepted for Bob only.
    assert ana.post("/en/articles/lost-parcel/vote", data={"helpful": "yes", "csrf_token": bob_token}
                    ).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
    sent = bob.post("/en/articles/lost-parcel/vote", data={"helpful": "yes", "csrf_token": bob_token},
                    headers={"Accept": "application/json"})
    assert sent.status_code == 200 and sent.get_json() == {"ok": True}
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 1


def test_without_javascript_the_buttons_lead_to_a_page_with_a_real_form(shop: Flask) -> None:
    client = shop.test_client()
    article = client.get("/en/articles/lost-parcel").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)" class="helpful-form"', article)
    assert form is not None and form[1] == "/en/articles/lost-parcel/vote"
    page = client.get("/en/articles/lost-parcel/vote?helpful=no")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<form method="post" action="/en/articles/lost-parcel/vote"' in html
    assert 'value="no" autofocus' in html
    answer = client.post("/en/articles/lost-parcel/vote", data={"helpful": "no", "csrf_token": TOKEN.search(html)[1]})
    assert answer.status_code == 302
    thanks = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your feedback." in thanks and "Sorry this did not help" in thanks
    assert db.session.scalar(select(Vote.helpful)) is False


def test_every_view_of_a_cached_page_is_counted(shop: Flask) -> None:
    client = shop.test_client()
    for _ in range(3):
        client.get("/en/articles/lost-parcel")
    assert db.session.scalar(select(func.count()).select_from(ArticleView)) == 3


def test_the_thank_you_after_a_vote_is_for_the_voter_alone(shop: Flask) -> None:
    voter, other = shop.test_client(), shop.test_client()
    token = TOKEN.search(voter.get("/en/articles/lost-parcel/vote").get_data(as_text=True))[1]
    answer = voter.post("/en/articles/lost-parcel/vote", data={"helpful": "no", "csrf_token": token})
    thanked = voter.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your feedback." in thanked and "Sorry this did not help" in thanked
    for reader in (voter, other):
        plain = shown(reader.get("/en/articles/lost-parcel").get_data(as_text=True))
        assert "Thank you for your feedback." not in plain and "Sorry this did not help" not in plain
    odd = other.get("/en/articles/lost-parcel/vote?voted=<b>x</b>").get_data(as_text=True)
    assert "<b>x</b>" not in odd and "Sorry this did not help" not in odd
    planted = other.get("/en/articles/lost-parcel?voted=no").get_data(as_text=True)
    assert "Sorry this did not help" not in shown(planted)


def test_signed_in_staff_get_pages_rendered_for_them(shop: Flask) -> None:
    shop.test_client().get("/en/articles/lost-parcel")  # now in the cache
    writer = shop.test_client()
    sign_in_writer(writer)
    with renders(shop) as seen:
        page = writer.get("/en/articles/lost-parcel").get_data(as_text=True)
    assert seen.count("articles/article.html") == 1
    assert 'class="staff-link"' in page
    assert 'class="staff-link"' not in shop.test_client().get("/en/articles/lost-parcel").get_data(as_text=True)


def test_a_studio_change_shows_at_once(shop: Flask) -> None:
    reader, writer = shop.test_client(), shop.test_client()
    assert "My parcel is lost" in reader.get("/en/articles/lost-parcel").get_data(as_text=True)
    sign_in_writer(writer)
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
    assert article is not None
    editor = writer.get(f"/studio/{article.id}/edit").get_data(as_text=True)
    saved = writer.post(f"/studio/{article.id}/edit",
                        data={**form_for(article, title="Where is my parcel?"),
                              "csrf_token": TOKEN.search(editor)[1]})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert "Where is my parcel?" in reader.get("/en/articles/lost-parcel").get_data(as_text=True)


def test_another_process_change_shows_after_the_sync_interval(shop: Flask) -> None:
    reader = shop.test_client()
    reader.get("/en/articles/lost-parcel")
    # Another process edits the article: this one learns of it only by the content version.
    db.session.execute(update(Article).values(title="Parcel gone missing"))
    bump_content_version()
    db.session.commit()
    assert "My parcel is lost" in reader.get("/en/articles/lost-parcel").get_data(as_text=True)
    shop.config["SEARCH_SYNC_INTERVAL"] = 0.0
    assert "Parcel gone missing" in reader.get("/en/articles/lost-parcel").get_data(as_text=True)


def test_errors_and_redirects_are_never_cached(shop: Flask) -> None:
    client = shop.test_client()
    assert client.get("/en/articles/nowhere").status_code == 404
    make_article(key="nowhere", slug="nowhere", title="Now here")
    shop.config["SEARCH_SYNC_INTERVAL"] = 0.0
    assert client.get("/en/articles/nowhere").status_code == 200


def test_a_cache_of_size_zero_renders_every_time(tmp_path: Path) -> None:
    app = make_app(tmp_path, PAGE_CACHE_SIZE=0)
    reset_database(app)
    with app.app_context():
        make_article()
        client = app.test_client()
        with renders(app) as seen:
            client.get("/en/articles/lost-parcel")
            client.get("/en/articles/lost-parcel")
        assert seen.count("articles/article.html") == 2
        db.session.remove()


def test_the_store_keeps_the_most_recently_used_pages_of_the_current_version() -> None:
    store = PageStore(size=2)
    store.settle(7)
    for name in ("a", "b", "c"):
        store.put((name,), Page(html=name, version=7))
    assert store.get(("a",), 7) is None  # the oldest went first
    assert store.get(("b",), 7) is not None and store.get(("c",), 7) is not None
    assert store.get(("c",), 8) is None  # rendered at another version: not served
    store.settle(8)
    assert store.pages == {}


def test_query_parameters_a_visitor_adds_never_reach_the_cached_page(shop: Flask) -> None:
    for path in ("/en/", "/en/articles/lost-parcel"):
        planted = shop.test_client().get(path + "?evil=planted-link&utm_source=planted-link")
        assert planted.status_code == 200
        assert "planted-link" not in planted.get_data(as_text=True)
        later = shop.test_client().get(path).get_data(as_text=True)
        assert "planted-link" not in later


def test_the_language_switch_keeps_the_parameters_the_page_owns(shop: Flask) -> None:
    html = shop.test_client().get("/en/search?q=parcel&page=1&evil=planted-link").get_data(as_text=True)
    assert "/fr/search?q=parcel&amp;page=1" in html
    assert "planted-link" not in html
