"""The daily visit rollup follows the help centre's events."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from kb import database
from kb.articles.models import Article
from kb.extensions import db
from kb.insights.models import HelpVisitDay
from kb.insights.refresh import catch_up, rebuild
from kb.types import utcnow
from tests.conftest import make_app


def _rows() -> set[tuple[str, str, str]]:
    catch_up()  # as a report does before reading
    return {(r.day.isoformat(), r.lang, r.visit_id)
            for r in db.session.scalars(select(HelpVisitDay))}


def test_searches_views_and_votes_record_the_visit_once_a_day(
    app: Flask, client: FlaskClient
) -> None:
    db.session.add(Article(key="exchange", lang="fr", slug="echange", title="Échanges",
                           category="returning", status="published", body="Échangez."))
    db.session.commit()
    client.get("/fr/search?q=echange")
    visit = client.get_cookie("kb_visit", domain="kb.test").value
    client.get("/fr/articles/echange")
    client.post("/fr/articles/echange/vote", data={"helpful": "yes"})
    client.get("/en/search?q=refund")
    today = utcnow().date().isoformat()
    assert _rows() == {(today, "fr", visit), (today, "en", visit)}


def test_rebuilding_gives_what_the_events_recorded(app: Flask, history: dict) -> None:
    recorded = _rows()
    assert ("2026-03-03", "en", "v1") in recorded and ("2026-03-21", "fr", "v4") in recorded
    assert not any(visit == "" for _day, _lang, visit in recorded)
    assert rebuild()["help_visit_day"] == len(recorded)
    assert _rows() == recorded


def test_the_migration_fills_the_rollup_from_earlier_events(tmp_path: Path) -> None:
    application = make_app(tmp_path)
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        database.upgrade("0001")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO search_log (query, normalized, lang, results, visit_id, created_at) "
                "VALUES ('x', 'x', 'fr', 0, 'abc', '2026-03-05 23:30:00'), "
                "('y', 'y', 'fr', 0, 'abc', '2026-03-05 08:00:00'), "
                "('z', 'z', 'en', 0, '', '2026-03-06 08:00:00')"))
        database.upgrade()
        assert _rows() == {("2026-03-05", "fr", "abc")}
        db.session.remove()
        db.engine.dispose()
