"""Backups of the whole database and restores from them, on SQLite and PostgreSQL.

SQLite is copied with its online backup API, which reads one consistent snapshot while the
site keeps serving and writes a single self-contained file. PostgreSQL is dumped and
restored with its own tools, which must be on PATH (the postgresql-client package).
"""

from __future__ import annotations

import os
import shutil
import sqlite3

# pg_dump and pg_restore are run with a fixed argument list (no shell), found on PATH.
import subprocess  # nosec B404
import uuid
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL
from sqlalchemy.exc import SQLAlchemyError

from kb import database
from kb.articles.models import ContentVersion
from kb.articles.service import content_version
from kb.database import write_transaction
from kb.extensions import db
from kb.search import rebuild_index

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""


def backend() -> str:
    """The database in use: "sqlite" or "postgresql"."""
    return db.engine.dialect.name


def holds_data() -> bool:
    """Whether the database has a kb schema a restore would overwrite."""
    db.session.commit()  # end any transaction of ours: a restore needs every lock
    if backend() == "sqlite" and not _sqlite_path().exists():
        return False  # a new machine: connecting would only create an empty file
    return database.current_revision() is not None


def backup_database(target: Path) -> Path:
    """Write a consistent snapshot of the whole database to ``target``; return its path."""
    target = target.absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename at the end: a failed backup never leaves a
    # truncated file under the name of the previous good one.
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if backend() == "sqlite":
            live = _sqlite_path()
            if live.exists() and target.exists() and target.samefile(live):
                raise BackupError(f"{target} is the live database itself")
            try:
                _sqlite_backup(live, partial)
            except sqlite3.Error as exc:
                raise BackupError(f"the backup failed: {exc}") from exc
        elif backend() == "postgresql":
            _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={partial}", _pg_dbname())
        else:
            raise BackupError(f"cannot back up a {backend()} database")
        _fsync(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore_database(source: Path) -> int:
    """Replace the whole database with a backup, migrate it, rebuild the index (articles: returned).

    Other processes keep running: they see the restored data on their next query and bring
    their own index up to date, because the content version only ever grows.
    """
    source = source.absolute()
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    before = _content_version_or_zero()
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours may hold a lock or a stale snapshot
    if backend() == "sqlite":
        _check_sqlite_backup(source)
        try:
            _sqlite_restore(source, _sqlite_path())
        except sqlite3.Error as exc:  # locked past the busy timeout, a full disk…
            raise BackupError(f"the restore failed, the database is unchanged: {exc}") from exc
    elif backend() == "postgresql":
        _check_pg_backup(source)
        _check_revision(_pg_backup_revision(source), source)
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", f"--dbname={_pg_dbname()}", str(source))
    else:
        raise BackupError(f"cannot restore a {backend()} database")
    db.engine.dispose()
    database.upgrade()  # a backup made by an older release gets the newer migrations
    with write_transaction():
        _keep_content_version_rising(before)
    return rebuild_index()


def _content_version_or_zero() -> int:
    try:
        value = content_version()
    except SQLAlchemyError:  # an empty database has no table yet
        value = 0
    db.session.rollback()
    return value


def _keep_content_version_rising(before: int) -> None:
    """Set the version above any the live database had, so every process resyncs its index.

    A restored, smaller number could later be counted up to one that an idle process
    already holds, and that process would never notice the restore.
    """
    row = db.session.get(ContentVersion, 1)
    if row is None:
        db.session.add(ContentVersion(id=1, value=before + 1))
    else:
        row.value = max(row.value, before) + 1


# --- SQLite --------------------------------------------------------------------------


def _sqlite_path() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("only a SQLite database in a file can be backed up")
    return Path(name).absolute()


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    # A URI so that a mistyped path fails instead of creating an empty database.
    conn = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _sqlite_backup(live: Path, target: Path) -> None:
    source = _connect(live, "rw")
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one snapshot
        # Rollback-journal mode: the backup is one self-contained file, no -wal beside it.
        copy.execute("PRAGMA journal_mode = DELETE")
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the backup failed its integrity check: {verdict}")
    finally:
        copy.close()
        source.close()


def _check_sqlite_backup(source: Path) -> None:
    """Refuse anything but an intact kb backup made by this release or an older one."""
    with source.open("rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    if magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is a PostgreSQL dump; this database is SQLite")
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{source} is not a SQLite backup")
    conn = _connect(source, "ro")
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{source} is damaged: {verdict}")
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError as exc:
            raise BackupError(f"{source} is not a kb database (no migration revision)") from exc
    finally:
        conn.close()
    _check_revision(revision[0] if revision else None, source)


def _sqlite_restore(source: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    backup = _connect(source, "ro")
    target = _connect(live, "rwc")
    try:
        # Written through SQLite's own locking, page by page into the live file: running
        # processes wait for the lock, then read the restored data (a file copy would tear).
        backup.backup(target)
    finally:
        target.close()
        backup.close()


def _check_revision(revision: str | None, source: Path) -> None:
    if revision is None:
        raise BackupError(f"{source} holds no kb schema")
    scripts = ScriptDirectory.from_config(database.alembic_config())
    try:
        known = scripts.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"{source} comes from a newer release of kb (schema {revision}); upgrade kb first"
        )


# --- PostgreSQL ------------------------------------------------------------------------


def _pg_dbname() -> str:
    """A libpq URI for the tools, without the password (that goes in PGPASSWORD)."""
    url: URL = db.engine.url.set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _check_pg_backup(source: Path) -> None:
    with source.open("rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        raise BackupError(f"{source} is a SQLite backup; this database is PostgreSQL")
    if not magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump archive (kb backup writes --format=custom)")


def _pg_backup_revision(source: Path) -> str | None:
    """The migration revision inside a dump, read from its alembic_version data."""
    listing = _run("pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(source))
    rows = listing.split("FROM stdin;", 1)[-1].splitlines() if "FROM stdin;" in listing else []
    values = [line.strip() for line in rows if line.strip() and line.strip() != "\\."]
    return values[0] if values else None


def _run(tool: str, *args: str) -> str:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(
            f"{tool} was not found on PATH; install the PostgreSQL client tools "
            f"(e.g. apt-get install postgresql-client) matching the server's version"
        )
    env = dict(os.environ)
    password = db.engine.url.password
    if password:
        env["PGPASSWORD"] = str(password)  # never on the command line, where ps shows it
    # No shell; the arguments are ours (the database URL's parts and a file path we chose).
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _fsync(path: Path) -> None:
    """Make the backup durable before it replaces an older one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
