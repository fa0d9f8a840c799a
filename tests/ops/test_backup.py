"""kb backup and kb restore: a round trip brings every row back, on the backend under test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, func, select, text

from kb.articles.models import Article, ContentVersion
from kb.articles.service import update_article
from kb.auth.service import create_user
from kb.extensions import db
from kb.orders.models import Order
from kb.search import index_status, log_search, search_articles
from kb.tickets.models import Attachment, Ticket

# The content version is the one thing a restore changes on purpose (it only ever grows).
NOT_COMPARED = {"content_version"}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name in NOT_COMPARED:
            continue
        query = select(table).order_by(*table.primary_key.columns)
        tables[table.name] = [tuple(row) for row in db.session.execute(query)]
    versions = db.session.execute(text("SELECT version_num FROM alembic_version"))
    tables["alembic_version"] = [tuple(row) for row in versions]
    db.session.commit()
    return tables


def fill_the_shop(app: Flask) -> None:
    """Articles with revisions, orders, a ticket, a staff account and a search."""
    from tests.ops.conftest import open_ticket_with_history

    create_user("agent@example.com", "correct horse battery staple", "agent", name="Alex Agent")
    article = db.session.scalar(select(Article).where(Article.slug == "refund-timing"))
    update_article(article, {"title": "When will I get my refund?"}, "Wanda Writer", "Clearer")
    db.session.commit()
    open_ticket_with_history(app)
    log_search("refund timing", "en", 2)


def test_backup_then_restore_brings_everything_back(
    content_app: Flask, demo: dict[str, Any], runner: FlaskCliRunner, tmp_path: Path
) -> None:
    fill_the_shop(content_app)
    before = snapshot()
    filled = ("article", "article_revision", "shop_order", "ticket", "attachment", "search_log")
    assert all(before[table] for table in filled)
    version = db.session.scalar(select(ContentVersion.value))
    backup = tmp_path / "backups" / "kb.backup"

    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.is_file() and "backed up" in result.output

    # Everything changes after the backup: an edit, a new article, lost tickets and orders.
    article = db.session.scalar(select(Article).where(Article.slug == "refund-timing"))
    update_article(article, {"title": "Zanzibar refunds"}, "Wanda Writer", "Oops")
    db.session.execute(delete(Attachment))
    db.session.execute(delete(Ticket))
    db.session.execute(delete(Order).where(Order.number.like("B%")))
    db.session.commit()
    assert snapshot() != before

    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

    restored = runner.invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "search index rebuilt" in restored.output
    assert snapshot() == before
    assert db.session.scalar(select(ContentVersion.value)) > version
    # The index was rebuilt from the restored articles: the lost edit is gone from search too.
    assert index_status() == "ok"
    assert not search_articles("zanzibar", "en").hits
    assert "refund-timing" in [h.slug for h in search_articles("get my refund", "en").hits]


def test_the_site_serves_the_restored_data(
    content_app: Flask, demo: dict[str, Any], runner: FlaskCliRunner, tmp_path: Path
) -> None:
    backup = tmp_path / "kb.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    db.session.execute(delete(Order))
    db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    client = content_app.test_client()
    assert client.get("/healthz").status_code == 200
    lookup = client.post("/api/v1/returns/lookup",
                         json={"order_number": "A1001", "email": "ana@example.com"})
    assert lookup.status_code == 200, lookup.get_json()
    assert client.get("/en/search?q=refund").status_code == 200


def test_restore_refuses_what_is_not_a_backup(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    result = runner.invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code != 0
    assert "not a" in result.output
    assert runner.invoke(args=["db", "current"]).output.strip() != "empty"


def test_backup_refuses_a_folder(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["backup", str(tmp_path)])
    assert result.exit_code != 0


def test_restore_refuses_a_backup_from_a_newer_release(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    backup = tmp_path / "future.backup"
    current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.session.commit()
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code != 0
    assert "newer release of kb (schema 9999_future)" in result.output
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == current
