"""Buffered writes for high-volume events (article views, searches, result clicks).

Each process keeps such events in memory and writes them together, in one transaction, every
``EVENT_FLUSH_SECONDS``: a page view or a search then never waits for the database's write
lock. A crash loses at most those few seconds of events, which the reports can bear; a normal
shutdown writes what is left.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from kb.database import write_transaction

log = logging.getLogger(__name__)

# Past this many waiting events a buffer is written at once, whatever the clock says, by its
# writer thread; past MAX_BACKLOG (a writer that cannot keep up), by the request itself.
MAX_PENDING = 500
MAX_BACKLOG = 4 * MAX_PENDING

Writer = Callable[[list[Any]], list[Any]]


class WriteBuffer:
    """Events of one kind waiting to be written by ``write``, which returns any to keep for later."""

    def __init__(self, app: Flask, name: str, write: Writer) -> None:
        self.app = app
        self.name = name
        self.write = write
        self.pending: list[Any] = []
        self.lock = threading.Lock()
        self.flushing = threading.Lock()
        self.last_flush = time.monotonic()
        self.timer: threading.Thread | None = None
        self.due = threading.Event()  # wakes the writer thread before its time
        _ALL.add(self)

    def add(self, item: Any) -> None:
        """Queue one event; the writer thread writes the queue every interval, or once it is full.

        The request does not wait for the write (SQLite's commit can take tens of milliseconds
        on a busy disk), except with no interval (tests) or when the writer falls far behind.
        """
        with self.lock:
            self.pending.append(item)
            size = len(self.pending)
        interval = float(self.app.config.get("EVENT_FLUSH_SECONDS", 2.0))
        if interval <= 0 or size >= MAX_BACKLOG:
            self.flush()
            return
        if size >= MAX_PENDING:
            self.due.set()
        self._start_timer(interval)

    def _start_timer(self, interval: float) -> None:
        """Write what waits within ``interval`` even if no other event comes (a quiet server)."""
        with self.lock:
            if self.timer is not None and self.timer.is_alive():
                return
            self.timer = threading.Thread(target=self._tick, args=(interval,), name=f"kb-flush-{self.name}",
                                          daemon=True)
            self.timer.start()

    def _tick(self, interval: float) -> None:
        # Runs while events wait, then ends: the next event starts it again.
        while True:
            self.due.wait(interval)
            self.due.clear()
            with self.lock:
                if not self.pending:
                    self.timer = None
                    return
            try:
                with self.app.app_context():
                    self.flush()
            except Exception:  # noqa: BLE001  (logged; the next round tries again)
                log.warning("timed write of %s failed", self.name, exc_info=True)

    def flush(self) -> int:
        """Write the queued events in one transaction; returns how many were written."""
        # One writer at a time per buffer: two would only queue for the same lock.
        if not self.flushing.acquire(blocking=False):
            return 0
        try:
            with self.lock:
                batch, self.pending = self.pending, []
                self.last_flush = time.monotonic()
            if not batch:
                return 0
            try:
                with write_transaction():
                    kept = self.write(batch)
            except Exception:  # noqa: BLE001  (a locked or read-only database must not break reading)
                log.warning("could not record %d %s", len(batch), self.name, exc_info=True)
                return 0
            if kept:
                with self.lock:
                    self.pending[:0] = kept
            return len(batch) - len(kept)
        finally:
            self.flushing.release()


def buffer_for(name: str, write: Writer) -> WriteBuffer:
    """The current app's buffer of this name (created on first use)."""
    buffers: dict[str, WriteBuffer] = current_app.extensions.setdefault("kb_write_buffers", {})
    found = buffers.get(name)
    if found is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, not as its proxy
        found = buffers.setdefault(name, WriteBuffer(app, name, write))
    return found


def flush_all() -> int:
    """Write every buffer of the current app now; returns how many events were written."""
    buffers = current_app.extensions.get("kb_write_buffers", {})
    return sum(buffer.flush() for buffer in list(buffers.values()))


_ALL: weakref.WeakSet[WriteBuffer] = weakref.WeakSet()


@atexit.register
def flush_at_exit() -> None:
    """Write every buffer of the process (atexit, and gunicorn's worker_exit hook)."""
    for buffer in list(_ALL):
        if buffer.pending:
            try:
                with buffer.app.app_context():
                    buffer.flush()
            except Exception:  # noqa: BLE001  (the process is ending; say so and go)
                log.warning("could not write the last %s", buffer.name, exc_info=True)
