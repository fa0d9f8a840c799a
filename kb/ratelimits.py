"""Rate-limit counters in a SQLite file, shared by every worker process of one machine.

Flask-Limiter's ``memory://`` storage counts per process: with two gunicorn workers a limit of
10 a minute let 20 through. ``make run`` and a one-machine deployment use this storage instead
(``kbsqlite:///path``, the default under ``instance/``); several machines share Redis
(``KB_RATELIMIT_STORAGE_URI=redis://host:6379``). Registered with the ``limits`` library by its
URI scheme, which is all Flask-Limiter needs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEME = "kbsqlite"


class SQLiteStorage(Storage):
    """Fixed-window counters (the strategy Flask-Limiter uses by default) in one SQLite table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: str) -> None:
        """Open the file named by ``kbsqlite:///absolute/path.sqlite3``."""
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(uri.split("://", 1)[1])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        """What a failing storage raises (Flask-Limiter may then let requests through)."""
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # Autocommit mode: each change below is its own short IMMEDIATE transaction.
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counter"
                " (key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires REAL NOT NULL)"
            )
            self._local.connection = connection
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the key's window, starting a new window when the last has expired."""
        db = self._db()
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT hits, expires FROM counter WHERE key = ?", (key,)).fetchone()
            if row is None or row[1] <= now:
                hits = amount
                db.execute("INSERT OR REPLACE INTO counter (key, hits, expires) VALUES (?, ?, ?)",
                           (key, hits, now + expiry))
            else:
                hits = row[0] + amount
                db.execute("UPDATE counter SET hits = ? WHERE key = ?", (hits, key))
            # Forget long-expired windows now and then, so the file stays small.
            if hits == amount:
                db.execute("DELETE FROM counter WHERE expires < ?", (now - 3600,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(hits)

    def get(self, key: str) -> int:
        """The hits of the key's current window (0 when none)."""
        row = self._db().execute("SELECT hits, expires FROM counter WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row and row[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends (now when there is none)."""
        row = self._db().execute("SELECT expires FROM counter WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        """Whether the file can be read."""
        try:
            self._db().execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        """Forget every counter; returns how many there were."""
        return self._db().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        self._db().execute("DELETE FROM counter WHERE key = ?", (key,))


def default_uri(instance: Path) -> str:
    """The storage ``make run`` uses: a file in the instance folder."""
    return f"{SCHEME}://{instance / 'ratelimits.sqlite3'}"
