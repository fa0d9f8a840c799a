"""Searches and result clicks are written in batches, and a click finds its search by a random
token even when the search is still waiting in another process's buffer."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from kb import buffers
from kb.buffers import flush_all
from kb.extensions import db
from kb.search.models import SearchLog
from kb.search.searchlog import is_click_token, log_click, log_search
from tests.conftest import make_app, reset_database
from tests.studio.conftest import make_article


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchLog)) or 0


@pytest.fixture
def batched(tmp_path: Path) -> Iterator[Flask]:
    """An app that writes its events every hour only (unless told to flush), with one article."""
    app = make_app(tmp_path, EVENT_FLUSH_SECONDS=3600.0)
    reset_database(app)
    with app.app_context():
        make_article()
        yield app
        db.session.remove()


def test_searches_wait_in_the_buffer_until_it_is_flushed(batched: Flask) -> None:
    client = batched.test_client()
    assert client.get("/api/v1/search?q=parcel&lang=en").status_code == 200
    assert client.get("/en/search?q=carrier").status_code == 200
    assert _count() == 0
    assert flush_all() == 2
    assert sorted(db.session.scalars(select(SearchLog.query))) == ["carrier", "parcel"]


def test_a_full_buffer_is_written_without_waiting_for_the_clock(batched: Flask) -> None:
    for n in range(buffers.MAX_PENDING):
        log_search(f"question {n}", "en", 1)
    deadline = time.monotonic() + 10
    while _count() < buffers.MAX_PENDING:  # by the writer thread, not the hourly clock
        assert time.monotonic() < deadline, "the full buffer was not written"
        time.sleep(0.05)
        db.session.commit()  # end this read, to see the thread's write
    assert _count() == buffers.MAX_PENDING


def test_a_writer_far_behind_is_helped_by_the_requests(batched: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # No writer thread at all: the worst case of one that cannot keep up.
    monkeypatch.setattr(buffers.WriteBuffer, "_start_timer", lambda self, interval: None)
    for n in range(buffers.MAX_BACKLOG - 1):
        log_search(f"question {n}", "en", 1)
    assert _count() == 0
    db.session.commit()  # end this read: the request's own write comes next
    log_search("one more", "en", 1)
    assert _count() == buffers.MAX_BACKLOG


def test_result_links_carry_a_click_token_that_marks_the_search_opened(batched: Flask) -> None:
    client = batched.test_client()
    hit = client.get("/api/v1/search?q=parcel&lang=en").get_json()["results"][0]
    token = parse_qs(urlsplit(hit["url"]).query)["s"][0]
    assert is_click_token(token)
    assert client.get(hit["url"]).status_code == 200
    flush_all()
    row = db.session.scalars(select(SearchLog)).one()
    assert (row.token, row.clicked_key) == (token, "lost-parcel")


def test_a_click_whose_search_is_not_written_yet_waits_for_it(batched: Flask) -> None:
    # The search was made through another process, which has not written it yet.
    token = "AbCdEfGhIjKlMnOp"
    log_click(token, "lost-parcel")
    assert flush_all() == 0
    db.session.add(SearchLog(query="parcel", normalized="parcel", lang="en", results=1, token=token))
    db.session.commit()
    assert flush_all() == 1
    assert db.session.scalars(select(SearchLog)).one().clicked_key == "lost-parcel"


def test_only_the_first_click_counts_and_made_up_tokens_do_nothing(batched: Flask) -> None:
    token = log_search("parcel", "en", 1)
    assert token is not None
    log_click(token, "lost-parcel")
    log_click(token, "exchange")
    log_click("not a token", "exchange")
    flush_all()
    assert db.session.scalars(select(SearchLog)).one().clicked_key == "lost-parcel"
    # The row's old integer id in a link no longer marks anything.
    client = batched.test_client()
    row_id = db.session.scalars(select(SearchLog.id)).one()
    assert client.get(f"/en/articles/lost-parcel?s={row_id}").status_code == 200
    assert buffers.buffer_for("searches", lambda batch: []).pending == []


def test_a_failed_write_is_logged_and_searching_goes_on(
    batched: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    @contextlib.contextmanager
    def disk_full() -> Iterator[None]:
        raise OSError(28, "No space left on device")
        yield  # pragma: no cover

    client = batched.test_client()
    client.get("/api/v1/search?q=parcel&lang=en")
    monkeypatch.setattr(buffers, "write_transaction", disk_full)
    with caplog.at_level(logging.WARNING, logger="kb.buffers"):
        assert flush_all() == 0
    assert "could not record 1 searches" in caplog.text
    assert client.get("/api/v1/search?q=parcel&lang=en").status_code == 200


def test_short_and_empty_queries_make_no_log_entry(batched: Flask) -> None:
    assert log_search("   ", "en", 0) is None
    assert log_search("\x00\x01", "en", 0) is None
    flush_all()
    assert _count() == 0


@pytest.mark.parametrize("query", [
    "refund ana＠example.com", "refund ana@exa\u200bmple.com", "a\u200dna@example.com status",
    "where is A 1001", "order a 1001 late", "call me 06 12 34 56 78", "+33 6 12 34 56 78 refund",
    "(555) 123-4567 parcel", "ＡＢ１２３４５",
])
def test_disguised_personal_data_is_scrubbed(query: str) -> None:
    from kb.search.searchlog import scrub

    cleaned = scrub(query)
    assert not any(char.isdigit() for char in cleaned.replace("[number]", "")), cleaned
    assert "@" not in cleaned and "example" not in cleaned.replace("[email]", ""), cleaned


@pytest.mark.parametrize("query", ["return window 30 days", "size 42 shoes", "refund in 14 days"])
def test_ordinary_queries_keep_their_numbers(query: str) -> None:
    from kb.search.searchlog import scrub

    assert scrub(query) == query


def test_a_quiet_server_writes_its_buffered_searches_on_a_timer(tmp_path: Path) -> None:
    app = make_app(tmp_path, EVENT_FLUSH_SECONDS=0.3)
    reset_database(app)
    with app.app_context():
        make_article()
        client = app.test_client()
        assert client.get("/api/v1/search?q=parcel&lang=en").status_code == 200
        assert _count() == 0  # waiting for the clock
        deadline = time.monotonic() + 10
        while _count() == 0:  # no other event comes: the timer writes it
            assert time.monotonic() < deadline, "the buffered search was never written"
            time.sleep(0.1)
            db.session.commit()  # end this read, to see the timer's write
        db.session.remove()


def test_the_exit_hook_writes_what_is_left(batched: Flask) -> None:
    # The hook writes every buffer of the process: first empty those earlier tests left, which
    # on PostgreSQL would land in this test's (shared) database.
    buffers.flush_at_exit()
    db.session.commit()
    before = _count()
    client = batched.test_client()
    assert client.get("/api/v1/search?q=parcel&lang=en").status_code == 200
    buffers.flush_at_exit()
    db.session.commit()
    assert _count() == before + 1
