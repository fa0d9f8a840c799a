"""SQLite backups: taken while the site writes, one self-contained file, restored in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kb.articles.models import Article
from kb.extensions import db
from kb.ops import backup as backup_module
from kb.ops.backup import BackupError, backup_database, restore_database
from tests.conftest import ARTICLES, make_app

ARTICLE_FILES = Path(__file__).resolve().parents[2] / "articles"
ALL_ARTICLES = len(list(ARTICLE_FILES.glob("*/*.md")))
ENGLISH_ARTICLES = len(list(ARTICLE_FILES.glob("en/*.md")))


def live_path(app: Flask) -> Path:
    return Path(db.engine.url.database or "")


def count_articles() -> int:
    return db.session.scalar(select(func.count()).select_from(Article)) or 0


def test_a_backup_taken_during_a_write_holds_only_committed_data(
    content_app: Flask, tmp_path: Path
) -> None:
    writer = sqlite3.connect(live_path(content_app), timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    writer.execute("DELETE FROM article_revision")
    try:
        target = backup_database(tmp_path / "during-write.sqlite3")
    finally:
        writer.rollback()
        writer.close()
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM article").fetchone()[0] == count_articles()
        assert copy.execute("SELECT count(*) FROM article_revision").fetchone()[0] > 0
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "during-write" in p.name) == [
        "during-write.sqlite3"
    ]


def test_another_process_sees_the_restored_data(content_app: Flask, tmp_path: Path) -> None:
    target = backup_database(tmp_path / "kb.backup")
    other = make_app(tmp_path)  # a second web process on the same database
    with other.app_context():
        assert count_articles() == ALL_ARTICLES
    db.session.execute(Article.__table__.delete().where(Article.lang == "fr"))
    db.session.commit()
    with other.app_context():
        assert count_articles() == ENGLISH_ARTICLES
    assert restore_database(target) == ALL_ARTICLES
    with other.app_context():
        assert count_articles() == ALL_ARTICLES
        db.session.remove()
        db.engine.dispose()


def test_restore_builds_a_new_machine_from_a_backup(content_app: Flask, tmp_path: Path) -> None:
    target = backup_database(tmp_path / "kb.backup")
    fresh_dir = tmp_path / "new-machine"
    fresh = make_app(fresh_dir, DATABASE_URL=f"sqlite:///{fresh_dir / 'kb.sqlite3'}",
                     SEARCH_INDEX_DIR=str(fresh_dir / "index"))
    runner: FlaskCliRunner = fresh.test_cli_runner()
    with fresh.app_context():
        result = runner.invoke(args=["restore", str(target)])  # nothing to overwrite: no --yes
        assert result.exit_code == 0, result.output
        assert f"{ALL_ARTICLES} articles" in result.output
        assert count_articles() == ALL_ARTICLES
        db.engine.dispose()


def test_a_failed_backup_keeps_the_previous_one(
    content_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = backup_database(tmp_path / "kb.backup")
    good = target.read_bytes()

    def disk_full(live: Path, partial: Path) -> None:
        partial.write_bytes(b"half a backup")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_module, "_sqlite_backup", disk_full)
    with pytest.raises(OSError):
        backup_database(target)
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_backup_and_restore_refuse_the_wrong_files(content_app: Flask, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="live database itself"):
        backup_database(live_path(content_app))
    dump = tmp_path / "pg.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    with pytest.raises(BackupError, match="PostgreSQL dump; this database is SQLite"):
        restore_database(dump)
    assert count_articles() == ALL_ARTICLES


def test_the_cli_names_the_backup_and_its_size(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["articles", "import", str(ARTICLES)])
    result = runner.invoke(args=["backup", str(tmp_path / "nightly.sqlite3")])
    assert result.exit_code == 0, result.output
    assert f"backed up the sqlite database to {tmp_path / 'nightly.sqlite3'} (" in result.output
