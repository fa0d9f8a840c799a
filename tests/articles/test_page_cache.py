"""The page cache: help pages are rendered once per content version, yet every visitor gets
their own CSRF token, staff and flashed messages skip it, and changes show without delay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from kb.articles.models import Article
from kb.articles.service import bump_content_version
from kb.auth.service import create_user
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.pagecache import CSRF_SLOT, Page, PageStore
from tests.conftest import make_app, reset_database
from tests.studio.conftest import PASSWORD, form_for, make_article

TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


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


def sign_in_writer(client: FlaskClient) -> None:
    """Sign a writer in through the login form, CSRF token included."""
    create_user("writer@example.com", PASSWORD, "writer", name="Wanda Writer")
    db.session.commit()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))[1]
    response = client.post("/login", data={"email": "writer@example.com", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Flask]:
    """An app with CSRF on (as in production), one published article, and a slow sync clock."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, SEARCH_SYNC_INTERVAL=3600.0)
    reset_database(app)
    with app.app_context():
        make_article()
        yield app
        db.session.remove()


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


def test_each_visitor_gets_their_own_working_csrf_token(shop: Flask) -> None:
    ana, bob = shop.test_client(), shop.test_client()
    ana_page = ana.get("/en/articles/lost-parcel").get_data(as_text=True)
    bob_page = bob.get("/en/articles/lost-parcel").get_data(as_text=True)
    ana_token, bob_token = TOKEN.search(ana_page)[1], TOKEN.search(bob_page)[1]
    assert ana_token != bob_token
    assert CSRF_SLOT not in ana_page + bob_page
    # Bob's token, taken from a page served from the cache, is accepted for Bob only.
    assert ana.post("/en/articles/lost-parcel/vote", data={"helpful": "yes", "csrf_token": bob_token}
                    ).status_code == 400
    assert bob.post("/en/articles/lost-parcel/vote", data={"helpful": "yes", "csrf_token": bob_token}
                    ).status_code == 302


def test_every_view_of_a_cached_page_is_counted(shop: Flask) -> None:
    client = shop.test_client()
    for _ in range(3):
        client.get("/en/articles/lost-parcel")
    assert db.session.scalar(select(func.count()).select_from(ArticleView)) == 3


def test_the_thank_you_after_a_vote_is_for_the_voter_alone(shop: Flask) -> None:
    voter, other = shop.test_client(), shop.test_client()
    token = TOKEN.search(voter.get("/en/articles/lost-parcel").get_data(as_text=True))[1]
    answer = voter.post("/en/articles/lost-parcel/vote", data={"helpful": "no", "csrf_token": token})
    thanked = voter.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your feedback." in thanked and "Sorry this did not help" in thanked
    plain = other.get("/en/articles/lost-parcel").get_data(as_text=True)
    assert "Thank you for your feedback." not in plain and "Sorry this did not help" not in plain
    odd = other.get("/en/articles/lost-parcel?voted=<b>x</b>").get_data(as_text=True)
    assert "<b>x</b>" not in odd and "Sorry this did not help" not in odd


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
