"""`kb outbox run` as its own process, and `kb serve` starting it beside gunicorn."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from kb.desk.admin_service import register_webhook
from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.mail.service import queue_webhooks
from tests.conftest import make_app, reset_database
from tests.reliability.receivers import webhook_receiver
from tests.reliability.server import BIN, ROOT, free_port, server_env

pytestmark = pytest.mark.server


def _env(tmp_path: Path) -> dict[str, str]:
    # SQLite in tmp_path whatever the suite runs on: this is about processes, not the database.
    env = server_env(tmp_path, KB_DATABASE_URL=f"sqlite:///{tmp_path / 'kb.sqlite3'}", KB_OUTBOX_INTERVAL="0.2")
    # A copy of the suite's migrated template database: these tests are about processes, not migrations.
    reset_database(make_app(tmp_path / "migrate", DATABASE_URL=env["KB_DATABASE_URL"]))
    return env


def _queue(env: dict[str, str], tmp_path: Path, url: str, events: int) -> list[int]:
    """Register a webhook at ``url`` and queue ``events`` calls to it; returns the message ids."""
    app = make_app(tmp_path / "queue", DATABASE_URL=env["KB_DATABASE_URL"])
    with app.app_context():
        register_webhook(url, "*")
        for n in range(events):
            queue_webhooks("test.event", {"n": n})
        db.session.commit()
        return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def _statuses(env: dict[str, str], tmp_path: Path) -> list[str]:
    app = make_app(tmp_path / "read", DATABASE_URL=env["KB_DATABASE_URL"])
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


class Lines:
    """The lines a process writes on stderr, read in a thread, waited for by content."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Block until a line holds ``text``; fail with what was written otherwise."""
        with self.changed:
            found = self.changed.wait_for(lambda: any(text in line for line in self.lines), timeout)
        assert found, f"{text!r} never came:\n" + "".join(self.lines)


@contextmanager
def worker(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """A `kb outbox run` process; killed at the end if a test left it running."""
    process = subprocess.Popen([str(BIN / "kb"), "outbox", "run"], env=env, cwd=ROOT, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = Lines(process)
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        lines.thread.join(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def test_sigterm_during_a_delivery_finishes_it_and_claims_nothing_more(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with webhook_receiver() as (url, received):
        received.release.clear()  # the receiver holds its answer: the delivery is in progress
        _queue(env, tmp_path, url, events=2)
        with worker(env) as (process, log):
            assert received.arrived.wait(60), "the worker delivered nothing"
            process.send_signal(signal.SIGTERM)
            log.wait_for("SIGTERM received")
            received.release.set()
            assert process.wait(timeout=60) == 0, "".join(log.lines)
    assert received.total() == 1
    # The message in hand was recorded as sent; the other was not claimed, so it is not stuck.
    assert _statuses(env, tmp_path) == ["sent", "pending"]


def test_sigint_stops_an_idle_worker_with_exit_code_0(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with worker(env) as (process, log):
        log.wait_for("background jobs: ")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, "".join(log.lines)
    assert "Traceback" not in "".join(log.lines)


def test_kb_serve_runs_the_site_and_the_worker_and_stops_both(tmp_path: Path) -> None:
    env = _env(tmp_path)
    port = free_port()
    process = subprocess.Popen([str(BIN / "kb"), "serve", "--port", str(port), "--workers", "1"], env=env,
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "kb serve did not start gunicorn"
                time.sleep(0.2)
        with webhook_receiver() as (url, received):
            _queue(env, tmp_path, url, events=1)
            assert received.arrived.wait(60), "no worker ran beside gunicorn"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=90) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    with pytest.raises(OSError):  # gunicorn went with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
