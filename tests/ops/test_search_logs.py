"""Search logs hold no personal data and are kept only for SEARCH_LOG_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kb.background import Runner
from kb.extensions import db
from kb.ops.retention import prune_search_logs
from kb.search.models import SearchLog
from kb.search.searchlog import log_search, scrub
from kb.types import utcnow
from tests.conftest import make_app, reset_database


@pytest.mark.parametrize(
    ("query", "leak"),
    [
        ("refund for order A1001 ana@example.com", "ana"),
        ("refund for order A1001 ana@example.com", "a1001"),
        ("R-7K2P9Q", "7k2p9q"),
        ("where is my return r-7k2p9q", "7k2p9q"),
        ("R7K2P9Q refund", "7k2p9q"),
        ("P01-1234567-7654321", "1234567"),
        ("P01-1234567-7654321", "7654321"),
        ("ana.b+returns@mail.example.co.uk wants a refund", "ana.b"),
        ("email me at ana@example", "ana"),
        ("my order 1001 never came", "1001"),
        ("order #1001 missing", "1001"),
        ("commande n° 1001 pas reçue", "1001"),
        ("call 0612345678", "0612345678"),
    ],
)
def test_scrub_removes_addresses_and_order_numbers(query: str, leak: str) -> None:
    assert leak not in scrub(query).lower()


@pytest.mark.parametrize(
    "query",
    ["refund 30 days", "returns policy", "iphone 15 refund", "size 42 shoes", "retour colis"],
)
def test_scrub_keeps_ordinary_questions(query: str) -> None:
    assert scrub(query) == query


def test_the_log_stores_the_scrubbed_query(app: Flask) -> None:
    log_search("refund for order A1001 ana@example.com", "en", 3)
    # An address straddling the 200-character cut is scrubbed before the cut.
    log_search("x" * 190 + " ana@example.com", "en", 0)
    stored = db.session.scalars(select(SearchLog).order_by(SearchLog.id)).all()
    assert stored[0].query == "refund for order [number] [email]"
    assert stored[0].normalized == "refund for order number email"
    assert "ana" not in stored[1].query and stored[1].query.endswith("[email]")


def test_searching_from_the_site_logs_no_address(content_app: Flask) -> None:
    client = content_app.test_client()
    response = client.get("/en/search", query_string={"q": "refund A1001 ana@example.com"})
    assert response.status_code == 200
    queries = db.session.scalars(select(SearchLog.query)).all()
    assert queries and not any("ana" in q or "1001" in q for q in queries)


def add_logs(*ages_days: float) -> None:
    """One logged search of each age, in days, committed."""
    db.session.add_all(SearchLog(query="refund", normalized="refund", lang="en", results=1,
                                 created_at=utcnow() - timedelta(days=age)) for age in ages_days)
    db.session.commit()


def test_prune_deletes_only_logs_past_the_retention(app: Flask, runner: FlaskCliRunner) -> None:
    add_logs(0, 10, 179.9, 180.1, 400)
    result = runner.invoke(args=["privacy", "prune-searches"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 search log entries older than 180 days" in result.output
    assert db.session.scalar(select(func.count()).select_from(SearchLog)) == 3
    again = runner.invoke(args=["privacy", "prune-searches"])
    assert "deleted 0 search log entries" in again.output


def test_the_retention_is_a_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path, SEARCH_LOG_RETENTION_DAYS=7)
    reset_database(app)
    with app.app_context():
        add_logs(1, 8, 30)
        assert prune_search_logs() == 2
        with pytest.raises(ValueError):
            prune_search_logs(-1)
        db.session.remove()
        db.engine.dispose()


def test_the_background_worker_prunes_at_its_start_then_once_a_day(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    reset_database(app)
    with app.app_context():
        add_logs(365, 1)
    runner = Runner(app)
    assert runner.run_due() == len(runner.jobs)  # every job runs when the worker starts
    assert runner.rounds["search log retention"] == 1
    runner.run_due()
    assert runner.rounds["search log retention"] == 1  # the next prune waits a day
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchLog)) == 1
        db.session.remove()


def test_a_retention_of_zero_days_keeps_no_search(tmp_path: Path) -> None:
    app = make_app(tmp_path, SEARCH_LOG_RETENTION_DAYS=0)
    reset_database(app)
    with app.app_context():
        add_logs(0.01, 1, 30)
        result = app.test_cli_runner().invoke(args=["privacy", "prune-searches"])
        assert result.exit_code == 0, result.output
        assert db.session.scalar(select(func.count()).select_from(SearchLog)) == 0
        db.session.remove()
        db.engine.dispose()


def test_a_negative_retention_is_a_clear_error(tmp_path: Path) -> None:
    app = make_app(tmp_path, SEARCH_LOG_RETENTION_DAYS=-3)
    reset_database(app)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["privacy", "prune-searches"])
        assert result.exit_code != 0 and "cannot be negative" in result.output
        db.session.remove()
        db.engine.dispose()
