"""Database plumbing: SQLite pragmas, write locks taken up front, and Alembic migrations."""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import ConnectionPoolEntry

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
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    queue = None if _is_memory(engine) else WriterQueue(f"{engine.url.database}-writers.lock")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if not _immediate.get():
            conn.exec_driver_sql("BEGIN")
            return
        if queue is not None:
            queue.enter(conn.info)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queue is not None:
                queue.leave(conn.info)
            raise

    if queue is not None:
        # A connection goes back to the pool right after its commit or rollback: the next
        # writer may go in. (SQLAlchemy's own commit event comes before the COMMIT itself.)
        @event.listens_for(engine, "checkin")
        def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            queue.leave(record.info)

        @event.listens_for(engine, "close")
        def _on_close(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            queue.leave(record.info)
            queue.forget(record.info)


class WriterQueue:
    """Writers of one SQLite file wait their turn in the kernel (``flock``) before BEGIN IMMEDIATE.

    SQLite's own busy handler retries a locked database after sleeping 1, 2, 5, 10… ms, so a
    process that loses a race idles while the other may take the lock again and again. Blocked
    in ``flock``, a writer wakes the moment the previous one has committed. SQLite's lock and
    busy timeout stay the guarantee; this only orders the queue.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()  # whether this thread already writes through a connection

    def enter(self, info: dict[str, Any]) -> None:
        """Wait for the turn of the connection whose pool record info this is."""
        if info.get("kb_writing") or getattr(self.local, "writing", False):
            return  # already ours; or this thread writes through another connection: never wait on it
        fd = info.get("kb_writers_fd")
        if fd is None:
            try:
                fd = info["kb_writers_fd"] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return  # an unwritable folder: SQLite's busy timeout alone orders the writers
        fcntl.flock(fd, fcntl.LOCK_EX)
        info["kb_writing"] = True
        self.local.writing = True

    def leave(self, info: dict[str, Any]) -> None:
        """Let the next writer in (when this connection holds the turn)."""
        if info.pop("kb_writing", False):
            fcntl.flock(info["kb_writers_fd"], fcntl.LOCK_UN)
            self.local.writing = False

    def forget(self, info: dict[str, Any]) -> None:
        """Close the lock file of a connection that is closed."""
        fd = info.pop("kb_writers_fd", None)
        if fd is not None:
            os.close(fd)


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


def reads_until_written(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a writing view read without the write lock: it writes only inside write_transaction().

    A busy view that reads and computes for milliseconds before a short write then holds
    SQLite's single write lock only for the write, and what it reads afterwards takes none.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _immediate.set(False)
        return view(*args, **kwargs)

    return wrapper


def writes_up_front() -> None:
    """Make every later transaction of this context take the write lock up front (CLI)."""
    _immediate.set(True)


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at the package's migrations and the app's database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config interpolates "%": a URL with an escaped character (a password, an
    # "options" argument) would stop every migration.
    url = str(current_app.config["SQLALCHEMY_DATABASE_URI"])
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
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
