"""Background jobs: run when due, one failure does not stop the others, in a thread only on request."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Flask

from kb import background
from kb.background import Runner
from tests.conftest import make_app, reset_database


def _app_with_jobs(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    app.extensions["kb_jobs"] = []  # only this test's jobs
    return app


def test_each_job_runs_at_start_and_again_once_its_interval_has_passed(tmp_path: Path) -> None:
    app = _app_with_jobs(tmp_path)
    calls: list[str] = []
    background.register(app, "often", lambda a: 0.05, lambda stop: calls.append("often"))
    background.register(app, "daily", lambda a: 86400.0, lambda stop: calls.append("daily"))
    runner = Runner(app)
    assert runner.run_due() == 2
    deadline = time.monotonic() + 10
    while runner.rounds["often"] < 2:
        assert time.monotonic() < deadline, "the frequent job did not run again"
        time.sleep(0.01)
        runner.run_due()
    assert calls.count("daily") == 1
    assert runner.rounds["daily"] == 1


def test_a_failing_job_is_logged_and_the_others_still_run(tmp_path: Path) -> None:
    app = _app_with_jobs(tmp_path)
    ran: list[str] = []

    def broken(stop: background.StopCheck) -> None:
        raise RuntimeError("database away")

    background.register(app, "broken", lambda a: 60.0, broken)
    background.register(app, "fine", lambda a: 60.0, lambda stop: ran.append("fine"))
    runner = Runner(app)
    assert runner.run_due() == 2
    assert ran == ["fine"] and runner.rounds["broken"] == 1


def test_a_stop_request_ends_the_loop_after_the_job_in_hand(tmp_path: Path) -> None:
    app = _app_with_jobs(tmp_path)
    stop = threading.Event()
    seen: list[bool] = []

    def long_job(should_stop: background.StopCheck) -> None:
        stop.set()  # the signal arrives while this job works
        seen.append(should_stop())

    background.register(app, "long", lambda a: 0.05, long_job)
    background.register(app, "next", lambda a: 0.05, lambda stop: seen.append(True))
    runner = Runner(app, stop)
    thread = threading.Thread(target=runner.run_forever)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert seen == [True]  # the job saw the request; the next job did not start
    assert runner.rounds == {"long": 1, "next": 0}


def test_web_processes_run_no_background_work_by_default(tmp_path: Path) -> None:
    app = make_app(tmp_path, TESTING=False, BASE_URL="http://kb.test")
    reset_database(app)
    assert app.test_client().get("/healthz").status_code in (200, 503)
    assert "kb_background" not in app.extensions
    assert not [t for t in threading.enumerate() if t.name == "kb-background"]


def test_a_web_process_runs_the_jobs_in_a_thread_when_asked(tmp_path: Path) -> None:
    app = make_app(tmp_path, TESTING=False, BASE_URL="http://kb.test", OUTBOX_BACKGROUND=True,
                   OUTBOX_INTERVAL=0.05)
    reset_database(app)
    assert "kb_background" not in app.extensions  # nothing runs before the first request
    app.test_client().get("/healthz")
    runner: Runner = app.extensions["kb_background"]
    [thread] = [t for t in threading.enumerate() if t.name == "kb-background"]
    try:
        deadline = time.monotonic() + 60
        while runner.rounds["outbox"] < 2:
            assert time.monotonic() < deadline, "the outbox job did not run twice"
            time.sleep(0.02)
        app.test_client().get("/healthz")
        assert len([t for t in threading.enumerate() if t.name == "kb-background"]) == 1
    finally:
        runner.stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
