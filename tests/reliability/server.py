"""Start the real server (gunicorn, 2 workers) on a temporary SQLite database for a test."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import database_url_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for `kb` and gunicorn pointing at a private database and index."""
    env = dict(os.environ)
    env.update({
        # PostgreSQL: this worker's own database (tests on two xdist workers run at once).
        "KB_DATABASE_URL": database_url_for(tmp_path),
        "KB_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "KB_UPLOADS_DIR": str(tmp_path / "uploads"),
        "KB_SECRET_KEY": "reliability-test",
        "KB_DEMO": "0",
        "KB_BASE_URL": "http://127.0.0.1",
        "KB_RATELIMIT_ENABLED": "0",
        "KB_OUTBOX_BACKGROUND": "0",
    })
    env.update(extra)
    url = env["KB_DATABASE_URL"]
    if url.startswith("postgresql"):
        import psycopg

        # The worker's database is shared with its other tests: start from an empty schema.
        with psycopg.connect(url) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    return env


def init_site(env: dict[str, str]) -> None:
    """What `kb init --no-demo` leaves in the test's database and index folder.

    On SQLite the command runs once per test process, into a folder of its own, and each test
    starts from a copy of its database and index (the way the app-level tests copy a migrated
    database); on PostgreSQL it runs for each test. `kb init` itself is tested in
    tests/core/test_cli_and_setup.py.
    """
    url = env["KB_DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        kb(env, "init", "--no-demo")
        return
    template = _initialised_site(env)
    shutil.copyfile(template / "kb.sqlite3", url.removeprefix("sqlite:///"))
    shutil.copytree(template / "index", env["KB_SEARCH_INDEX_DIR"])


_SITE_DIR = Path(tempfile.mkdtemp(prefix="kb-test-site-"))
atexit.register(shutil.rmtree, _SITE_DIR, True)


def _initialised_site(env: dict[str, str]) -> Path:
    """A folder holding the database and index of a fresh `kb init --no-demo`, made on first use."""
    database = _SITE_DIR / "kb.sqlite3"
    if not database.exists():
        kb({**env, "KB_DATABASE_URL": f"sqlite:///{_SITE_DIR / 'building.sqlite3'}",
            "KB_SEARCH_INDEX_DIR": str(_SITE_DIR / "index")}, "init", "--no-demo")
        with sqlite3.connect(_SITE_DIR / "building.sqlite3") as conn:
            # Fold the write-ahead log into the file, so that the file alone is the whole database.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (_SITE_DIR / "building.sqlite3").rename(database)
    return _SITE_DIR


def kb(env: dict[str, str], *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `kb` command; fail loudly with its output."""
    result = subprocess.run([str(BIN / "kb"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            input=input_text, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def wait_until_up(base: str, process: subprocess.Popen, seconds: float = 60) -> bool:
    """Whether ``base``/healthz answered 200 within ``seconds`` while ``process`` kept running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, port: int | None = None, app: str = "kb:create_app()",
             quiet: bool = False) -> Iterator[str]:
    """``app`` served by gunicorn with kb's settings (on ``port``, or a free one); yields its base URL.

    Its output is kept to explain a failed start, or dropped when ``quiet`` (a benchmark's long run).
    """
    port = port or free_port()
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "python:kb.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--access-logfile", "/dev/null", app],
        env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base, process):
            process.terminate()
            raise AssertionError(f"gunicorn did not start {app}: " + (process.stdout.read() if process.stdout else ""))
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """POST JSON and return (status, parsed body), errors included."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def count_rows(env: dict[str, str], table: str) -> int:
    """How many rows a table has in the server's database (asked in this process, not a new one)."""
    from sqlalchemy import create_engine, text

    from kb.config import normalise_database_url

    engine = create_engine(normalise_database_url(env["KB_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"select count(*) from {table}")).scalar_one())
    finally:
        engine.dispose()
