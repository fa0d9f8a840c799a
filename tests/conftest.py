"""Shared fixtures: an app on a fresh SQLite database and search index per test."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import inspect as sa_inspect

from kb import create_app, database
from kb.extensions import db

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"


def database_url_for(tmp_path: Path) -> str:
    """SQLite in tmp_path, or the PostgreSQL server named by KB_TEST_DATABASE_URL."""
    return os.environ.get("KB_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'kb.sqlite3'}"


_APPS: list[Flask] = []


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app with its own database, index, instance folder and uploads (disposed after the test)."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url_for(tmp_path),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "UPLOADS_DIR": str(tmp_path / "uploads"),
        "ARTICLES_DIR": str(ARTICLES),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": f"kbsqlite://{tmp_path / 'ratelimits.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "SEARCH_SYNC_INTERVAL": 0.0,
        "DEMO": False,
        "EVENT_FLUSH_SECONDS": 0.0,
        # No background sender: tests deliver the outbox themselves when they need to.
        "OUTBOX_BACKGROUND": False,
        "SERVER_NAME": "kb.test",
    }
    config.update(overrides)
    application = create_app(config)
    _APPS.append(application)
    return application


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close every database connection a test opened, so none leaks into the next."""
    yield
    # A background index rebuild holds a connection: let it finish before disposing.
    for thread in threading.enumerate():
        if thread.name == "kb-reindex":
            thread.join(timeout=30)
    while _APPS:
        application = _APPS.pop()
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


# A database migrated once per test run; each test starts from a copy of it (SQLite) or from
# its emptied tables (PostgreSQL), instead of running every migration again.
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="kb-test-template-"))
atexit.register(shutil.rmtree, _TEMPLATE_DIR, True)
_SQLITE_TEMPLATE = _TEMPLATE_DIR / "migrated.sqlite3"


def reset_database(app: Flask) -> None:
    """Give ``app`` an empty database at the newest migration."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _reset_postgres()
        else:
            _reset_sqlite(Path(str(db.engine.url.database)))


def _reset_sqlite(path: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    if _SQLITE_TEMPLATE.exists():
        shutil.copyfile(_SQLITE_TEMPLATE, path)
        return
    database.upgrade()
    with db.engine.connect() as conn:
        # Fold the write-ahead log into the file, so that the file alone is the whole database.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()
    shutil.copyfile(path, _SQLITE_TEMPLATE)


def _reset_postgres() -> None:
    """Empty every table when the schema is at head (fast), else drop it and migrate."""
    db.session.remove()
    if database.is_up_to_date():
        tables = [t for t in sa_inspect(db.engine).get_table_names() if t != "alembic_version"]
        quoted = ", ".join(f'"{table}"' for table in tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    database.upgrade()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """A migrated, empty application."""
    application = make_app(tmp_path)
    reset_database(application)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


@pytest.fixture
def content_app(app: Flask) -> Flask:
    """The app with the real articles imported and indexed."""
    from kb.articles.service import import_articles
    from kb.search import rebuild_index

    report = import_articles(ARTICLES)
    db.session.commit()
    assert not report.errors, report.errors
    rebuild_index()
    return app


@pytest.fixture
def content_client(content_app: Flask) -> FlaskClient:
    """A client of the app with the real articles."""
    return content_app.test_client()


@pytest.fixture
def demo(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The demo orders, dated around a fixed noon so that no test depends on the clock."""
    from datetime import UTC, datetime

    from kb.orders.records import import_orders
    from kb.policy import shop_today
    from kb.returns import wizard_service
    from kb.returns.demo import demo_orders
    from kb.shop import current_policy

    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    report = import_orders(demo_orders(now))
    db.session.commit()
    assert not report.errors, report.errors
    today = shop_today(current_policy(), now)
    monkeypatch.setattr(wizard_service, "today", lambda: today)
    return {"now": now, "today": today}
