"""PostgreSQL backups: pg_dump's custom format, pg_restore in one transaction, clear errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kb.articles.models import Article
from kb.extensions import db
from kb.ops.backup import BackupError, backup_database, restore_database

ARTICLE_FILES = Path(__file__).resolve().parents[2] / "articles"
ALL_ARTICLES = len(list(ARTICLE_FILES.glob("*/*.md")))
ENGLISH_ARTICLES = len(list(ARTICLE_FILES.glob("en/*.md")))


def count_articles() -> int:
    return db.session.scalar(select(func.count()).select_from(Article)) or 0


def test_the_backup_is_a_custom_format_dump(content_app: Flask, tmp_path: Path) -> None:
    target = backup_database(tmp_path / "kb.dump")
    assert target.read_bytes().startswith(b"PGDMP")


def test_without_the_client_tools_the_error_says_what_to_install(
    content_app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = runner.invoke(args=["backup", str(tmp_path / "kb.dump")])
    assert result.exit_code != 0
    assert "pg_dump was not found on PATH" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "kb.dump").exists()


def test_restore_refuses_a_sqlite_backup(content_app: Flask, tmp_path: Path) -> None:
    other = tmp_path / "kb.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="SQLite backup; this database is PostgreSQL"):
        restore_database(other)
    assert count_articles() == ALL_ARTICLES


def test_restore_into_an_empty_database_needs_no_yes(
    content_app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    target = backup_database(tmp_path / "kb.dump")
    db.session.remove()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    result = runner.invoke(args=["restore", str(target)])
    assert result.exit_code == 0, result.output
    assert count_articles() == ALL_ARTICLES


def test_a_failed_restore_changes_nothing(content_app: Flask, tmp_path: Path) -> None:
    broken = tmp_path / "broken.dump"
    broken.write_bytes(backup_database(tmp_path / "kb.dump").read_bytes()[:4000])
    with pytest.raises(BackupError):
        restore_database(broken)
    assert count_articles() == ALL_ARTICLES

