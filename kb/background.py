"""Background work as periodic jobs: outbox deliveries, search index upkeep, log retention.

Rooms register their jobs here from their ``init_app``; nothing in this module knows what a job
does. A long-lived ``kb outbox run`` process runs them (one per machine, any number per
database: each job claims its work once). A web process runs them in a thread only when
``OUTBOX_BACKGROUND`` asks for it, for a site served by a single process with no worker beside it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from kb.extensions import db

log = logging.getLogger(__name__)

# A job gets a function telling whether it should stop, so that it can finish the item in hand
# and return instead of starting the next one.
StopCheck = Callable[[], bool]


@dataclass
class Job:
    """A function run every ``every(app)`` seconds in its own app context."""

    name: str
    every: Callable[[Flask], float]
    run: Callable[[StopCheck], object]


def register(app: Flask, name: str, every: Callable[[Flask], float], run: Callable[[StopCheck], object]) -> None:
    """Add a periodic job to the app's background work."""
    jobs: list[Job] = app.extensions.setdefault("kb_jobs", [])
    jobs.append(Job(name, every, run))


class Runner:
    """Runs the app's jobs when due until ``stop`` is set; the job in hand is finished first."""

    def __init__(self, app: Flask, stop: threading.Event | None = None) -> None:
        self.app = app
        self.stop = stop or threading.Event()
        self.jobs: list[Job] = list(app.extensions.get("kb_jobs", []))
        self.due = {job.name: 0.0 for job in self.jobs}  # monotonic time of each job's next run
        self.rounds = {job.name: 0 for job in self.jobs}

    def run_due(self) -> int:
        """Run every job whose time has come; returns how many ran."""
        ran = 0
        for job in self.jobs:
            if self.stop.is_set():
                break
            if time.monotonic() < self.due[job.name]:
                continue
            self._run(job)
            ran += 1
        return ran

    def _run(self, job: Job) -> None:
        with self.app.app_context():
            try:
                job.run(self.stop.is_set)
            except Exception:  # noqa: BLE001  (a busy or missing database: the next round retries)
                log.exception("background job %s failed", job.name)
            finally:
                db.session.remove()
        self.rounds[job.name] += 1
        self.due[job.name] = time.monotonic() + max(float(job.every(self.app)), 0.05)

    def run_forever(self) -> None:
        """Run the jobs until ``stop`` is set, sleeping until the next one is due."""
        while not self.stop.is_set():
            self.run_due()
            if self.jobs:
                wait = min(self.due.values()) - time.monotonic()
            else:
                wait = 60.0
            self.stop.wait(max(wait, 0.0))


def serve_until_signalled(app: Flask, once: bool = False) -> None:
    """Run the jobs in this thread until SIGTERM or SIGINT; the job in hand is finished first."""
    stop = threading.Event()

    def ask_to_stop(signum: int, frame: object) -> None:
        log.info("%s received: finishing the job in hand", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        runner = Runner(app, stop)
        log.info("background jobs: %s", ", ".join(job.name for job in runner.jobs))
        if once:
            runner.run_due()
        else:
            runner.run_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def init_app(app: Flask) -> None:
    """With ``OUTBOX_BACKGROUND``, each served process runs the jobs in a thread of its own."""
    if not app.config.get("OUTBOX_BACKGROUND") or app.testing:
        return
    start_lock = threading.Lock()
    started: list[threading.Thread] = []

    @app.before_request
    def _start_background_thread() -> None:
        # Started by the first request, not at import: CLI commands and tests must not run it.
        if started:
            return
        with start_lock:
            if not started:
                # The jobs are read now: every room has registered its own by the first request.
                runner = Runner(app)
                app.extensions["kb_background"] = runner
                thread = threading.Thread(target=runner.run_forever, name="kb-background", daemon=True)
                thread.start()
                started.append(thread)
