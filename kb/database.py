"""Database plumbing: SQLite pragmas, write locks taken up front, and Alembic migrations."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request
from sqlalchemy import Engine, event

from kb.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# On SQLite, a transaction that reads and then writes can fail with "database is locked"
# when another process wrote in between. Transactions that will write therefore start
# with BEGIN IMMEDIATE, which waits (busy_timeout) for the lock instead. Reads stay
# deferred so that page views never queue behind each other.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("kb_immediate", default=False)


def init_app(app: Flask) -> None:
    """Bind the database to the app and configure SQLite connections."""
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)

    @app.before_request
    def _writes_lock_up_front() -> None:
        _immediate.set(request.method not in ("GET", "HEAD", "OPTIONS"))


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and our own BEGIN statements."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def _is_memory(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:"


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """Run a block as one write transaction that takes the lock up front, then commit."""
    db.session.commit()  # end any read transaction first: it cannot be upgraded safely
    token = _immediate.set(True)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _immediate.reset(token)


def writes_up_front() -> None:
    """Make every later transaction of this context take the write lock up front (CLI)."""
    _immediate.set(True)


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at the package's migrations and the app's database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", current_app.config["SQLALCHEMY_DATABASE_URI"])
    return cfg


def upgrade(revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (head by default)."""
    command.upgrade(alembic_config(), revision)


def current_revision() -> str | None:
    """The revision the database is at, or None for an empty database."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date() -> bool:
    """Whether the database schema is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current_revision() == head
