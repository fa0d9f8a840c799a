"""Kept pages served again before Flask: the same page and headers, a visit and a page view each
time, and only for requests whose answer depends on the address alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request_started
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.extensions import db
from kb.insights.models import ArticleView
from kb.web import VISIT_COOKIE
from tests.articles.conftest import cookies_set, sign_in_writer
from tests.conftest import make_app, reset_database
from tests.studio.conftest import make_article

ARTICLE = "/en/articles/lost-parcel"


@contextmanager
def handled_by_flask(app: Flask) -> Iterator[list[str]]:
    """The paths Flask's own request handling saw while the block ran."""
    seen: list[str] = []

    def record(_sender: Flask, **_extra: Any) -> None:
        from flask import request

        seen.append(request.full_path.rstrip("?"))

    request_started.connect(record, app)
    try:
        yield seen
    finally:
        request_started.disconnect(record, app)


def without_date(response: Any) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in response.headers.items()
                  if name.lower() not in ("date", "set-cookie"))


def test_a_repeat_request_is_answered_before_flask_with_the_same_page_and_headers(shop: Flask) -> None:
    for path in (ARTICLE, "/en/", "/fr/returns", "/en/categories/problems"):
        first = shop.test_client().get(path)
        with handled_by_flask(shop) as handled:
            again = shop.test_client().get(path)
        assert handled == [], path
        assert again.status_code == first.status_code == 200
        assert again.get_data() == first.get_data()
        assert without_date(again) == without_date(first)
        assert "Content-Security-Policy" in again.headers and again.headers["X-Frame-Options"] == "DENY"


def test_every_replay_starts_a_visit_for_a_new_visitor_and_counts_a_page_view(shop: Flask) -> None:
    shop.test_client().get(ARTICLE)  # rendered and kept
    newcomer, returning = shop.test_client(), shop.test_client()
    returning.set_cookie(VISIT_COOKIE, "b" * 32, domain="kb.test")
    with handled_by_flask(shop) as handled:
        first_view = newcomer.get(ARTICLE)
        newcomer.get(ARTICLE)
        returning_view = returning.get(ARTICLE)
    assert handled == []
    assert cookies_set(first_view) == [VISIT_COOKIE]
    assert cookies_set(returning_view) == []
    visit = first_view.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in first_view.headers["Set-Cookie"] and "SameSite=Lax" in first_view.headers["Set-Cookie"]
    counted = [v for (v,) in db.session.execute(select(ArticleView.visit_id).order_by(ArticleView.id))]
    assert counted[1:] == [visit, visit, "b" * 32]  # the first view is the one Flask rendered


def test_requests_that_may_depend_on_more_than_the_address_go_to_flask(shop: Flask) -> None:
    shop.test_client().get(ARTICLE)  # rendered and kept
    writer = shop.test_client()
    sign_in_writer(writer)
    with handled_by_flask(shop) as handled:
        shop.test_client().get(ARTICLE + "?s=token")  # a search result's click
        shop.test_client().head(ARTICLE)
        shop.test_client().get(ARTICLE, headers={"Host": "other.test"})  # kept for kb.test only
        staff_page = writer.get(ARTICLE).get_data(as_text=True)
    assert handled == [ARTICLE + "?s=token", ARTICLE, ARTICLE, ARTICLE]
    assert 'class="staff-link"' in staff_page


def test_flask_checks_the_content_version_once_the_sync_interval_has_passed(shop: Flask) -> None:
    client = shop.test_client()
    client.get(ARTICLE)
    shop.config["SEARCH_SYNC_INTERVAL"] = 0.0
    with handled_by_flask(shop) as handled:
        client.get(ARTICLE)
    assert handled == [ARTICLE]


def test_errors_and_pages_served_but_not_kept_are_never_replayed(shop: Flask) -> None:
    client = shop.test_client()
    client.get("/en/articles/nowhere")
    client.get("/en/articles/lost-parcel/vote")  # a page holding this visitor's CSRF token
    with handled_by_flask(shop) as handled:
        assert client.get("/en/articles/nowhere").status_code == 404
        assert client.get("/en/articles/lost-parcel/vote").status_code == 200
    assert handled == ["/en/articles/nowhere", "/en/articles/lost-parcel/vote"]


def test_a_cache_of_size_zero_installs_no_replay(tmp_path: Path) -> None:
    app = make_app(tmp_path, PAGE_CACHE_SIZE=0, SEARCH_SYNC_INTERVAL=3600.0)
    reset_database(app)
    with app.app_context():
        make_article()
        client: FlaskClient = app.test_client()
        client.get(ARTICLE)
        with handled_by_flask(app) as handled:
            client.get(ARTICLE)
        assert handled == [ARTICLE]
        db.session.remove()


def test_behind_a_proxy_a_page_rendered_for_forwarded_headers_is_never_replayed_at_the_plain_address(
        tmp_path: Path) -> None:
    app = make_app(tmp_path, SEARCH_SYNC_INTERVAL=3600.0, PROXY_FIX=1, TRUSTED_HOSTS=["kb.test"])
    reset_database(app)
    with app.app_context():
        make_article()
        forwarded = {"X-Forwarded-Prefix": "/elsewhere", "X-Forwarded-Proto": "https",
                     "X-Forwarded-Host": "kb.test"}
        for _ in range(2):  # rendered, then replayed: each under its own forwarded address
            assert "/elsewhere/en/" in app.test_client().get(ARTICLE, headers=forwarded).get_data(as_text=True)
        for _ in range(2):
            plain = app.test_client().get(ARTICLE)
            assert plain.status_code == 200 and "/elsewhere" not in plain.get_data(as_text=True)
        for _ in range(2):  # a host the site does not answer to is refused every time
            assert app.test_client().get(ARTICLE, headers={"Host": "evil.test"}).status_code == 400
        db.session.remove()


def test_the_replay_refuses_to_sit_outside_another_middleware(tmp_path: Path) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from kb.pagecache import PageStore, ServeKeptPagesFirst

    app = make_app(tmp_path)
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="before any other WSGI middleware"):
        ServeKeptPagesFirst(app, PageStore(8))


def test_a_change_made_while_the_version_is_read_is_checked_again_at_the_next_request(shop: Flask) -> None:
    from kb import pagecache

    store = shop.extensions["kb_pages"]
    read_version = store.version_of

    def another_thread_publishes_meanwhile() -> int:
        version = read_version()
        pagecache.content_changed()
        return version

    store.version_of = another_thread_publishes_meanwhile
    shop.test_client().get(ARTICLE)
    store.version_of = read_version
    with handled_by_flask(shop) as handled:
        shop.test_client().get(ARTICLE)
    assert handled == [ARTICLE]  # not replayed: the version is read again first
