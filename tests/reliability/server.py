"""Start the real server (gunicorn, 2 workers) on a temporary SQLite database for a test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
        "KB_DATABASE_URL": os.environ.get("KB_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'kb.sqlite3'}",
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

        # The PostgreSQL test database is shared: start from an empty schema.
        with psycopg.connect(url) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    return env


def kb(env: dict[str, str], *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `kb` command; fail loudly with its output."""
    result = subprocess.run([str(BIN / "kb"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            input=input_text, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, port: int | None = None) -> Iterator[str]:
    """The site served by gunicorn (on ``port``, or a free one); yields its base URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "python:kb.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--access-logfile", "/dev/null", "kb:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            process.terminate()
            raise AssertionError("gunicorn did not start: " + (process.stdout.read() if process.stdout else ""))
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
    """How many rows a table has, asked through the app's own configuration."""
    code = ("from kb import create_app; from kb.extensions import db; from sqlalchemy import text; "
            "app = create_app()\nwith app.app_context():\n"
            f"    print(db.session.execute(text('select count(*) from {table}')).scalar())")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])
