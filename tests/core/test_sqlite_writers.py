"""SQLite writers queue in the kernel for their turn, and hand it on as soon as they commit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from kb.database import WriterQueue, write_transaction
from kb.extensions import db


def test_a_second_writer_waits_for_the_first_to_leave(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "db-writers.lock"))
    first, second = {}, {}
    queue.enter(first)
    entered = threading.Event()

    def other_writer() -> None:
        queue.enter(second)
        entered.set()
        queue.leave(second)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert not entered.wait(0.3)  # still queued behind the first
    queue.leave(first)
    assert entered.wait(5)
    thread.join(5)
    queue.forget(first)
    queue.forget(second)


def test_a_thread_never_waits_for_its_own_turn(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "db-writers.lock"))
    outer, inner = {}, {}
    queue.enter(outer)
    queue.enter(inner)  # another connection of the same thread: must not deadlock
    assert "kb_writing" not in inner
    queue.leave(inner)
    queue.leave(outer)
    queue.forget(outer)
    queue.forget(inner)


def test_an_unwritable_lock_file_leaves_the_ordering_to_sqlite(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "missing-folder" / "db-writers.lock"))
    info: dict = {}
    queue.enter(info)
    assert "kb_writing" not in info


def test_concurrent_write_transactions_all_commit_in_turn(app: Flask) -> None:
    # A table of the test's own: the test databases are copied from a template and emptied, not
    # rebuilt, between tests, so it is dropped at the end (else the schema no longer matches the models).
    db.session.execute(text("DROP TABLE IF EXISTS tally"))  # left by a run that was killed
    db.session.execute(text("CREATE TABLE tally (n INTEGER)"))
    db.session.commit()
    try:
        _write_in_turn_from_four_threads(app)
    finally:
        db.session.rollback()
        db.session.execute(text("DROP TABLE IF EXISTS tally"))
        db.session.commit()


def _write_in_turn_from_four_threads(app: Flask) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with app.app_context():
                for _ in range(20):
                    with write_transaction():
                        db.session.execute(text("INSERT INTO tally VALUES (1)"))
                        time.sleep(0.001)  # hold the turn a little, as a real write does
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert db.session.execute(text("SELECT count(*) FROM tally")).scalar() == 80
    if db.engine.dialect.name == "sqlite":  # PostgreSQL orders its writers itself
        lock = Path(db.engine.url.database + "-writers.lock")
        assert lock.exists()
