"""Two web nodes as a deployer runs them: one PostgreSQL database, one Redis, an index each.

The database is created for the test run and dropped after it (never the suite's shared test
database); Redis is a private ``redis-server`` on a free port. Without either, the two-node tests
fail in CI (which provides both, see .ci/run) and are skipped elsewhere, saying why.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.server import BIN, ROOT, free_port, gunicorn

SECRET_KEY = "two-nodes-test"


def unavailable(what: str) -> None:
    """Fail under CI, which must provide ``what``; skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"this test needs {what}; .ci/run provides it")
    pytest.skip(f"this test needs {what}")


@contextmanager
def dedicated_database() -> Iterator[str]:
    """A new PostgreSQL database on the server of KB_TEST_DATABASE_URL; yields its URL."""
    server_url = os.environ.get("KB_TEST_DATABASE_URL", "")
    if not server_url.startswith("postgresql"):
        unavailable("PostgreSQL (set KB_TEST_DATABASE_URL, see .ci/postgres.sh)")
    import psycopg

    name = f"kb_two_nodes_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(server_url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server (apt-get install redis-server)")
    import redis

    port = free_port()
    process = subprocess.Popen([str(binary), "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass
class Node:
    """One web machine: its environment (own index folder), port and running gunicorn."""

    name: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    stack: ExitStack | None = None

    @property
    def base(self) -> str:
        """The node's address."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn on the node's port (returns once /healthz answers)."""
        self.stack = ExitStack()
        self.stack.enter_context(gunicorn(self.env, workers=1, port=self.port))

    def stop(self) -> None:
        """Stop gunicorn gracefully: it finishes the requests in hand."""
        if self.stack is not None:
            self.stack.close()
            self.stack = None


def node_env(tmp_path: Path, name: str, database: str, redis_url: str, **extra: str) -> dict[str, str]:
    """A node's environment: shared database, Redis, secret and uploads; its own index."""
    env = dict(os.environ)
    env.update({
        "KB_DATABASE_URL": database,
        "KB_SEARCH_INDEX_DIR": str(tmp_path / name / "index"),
        "KB_UPLOADS_DIR": str(tmp_path / "uploads"),
        "KB_SECRET_KEY": SECRET_KEY,
        "KB_DEMO": "0",
        "KB_BASE_URL": "http://127.0.0.1",
        "KB_RATELIMIT_ENABLED": "1",
        "KB_RATELIMIT_STORAGE_URI": redis_url,
        "KB_RATELIMIT_LOOKUP": "10 per minute",
        # The test stands in for the proxy: each shopper comes from an address of its own.
        "KB_PROXY_FIX": "1",
        "KB_OUTBOX_INTERVAL": "0.2",
        "KB_SEARCH_SYNC_INTERVAL": "1.0",
    })
    env.update(extra)
    return env


def kb_command(env: dict[str, str], *args: str, input_text: str | None = None) -> str:
    """Run ``kb`` with a node's environment; returns its output, failing loudly."""
    result = subprocess.run([str(BIN / "kb"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            input=input_text, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def call(url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, Any]:
    """One JSON (or page) request; (status, parsed JSON or text). Connection errors propagate."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, _parse(response.read(), response.headers.get_content_type())
    except urllib.error.HTTPError as error:
        return error.code, _parse(error.read(), error.headers.get_content_type())


def _parse(raw: bytes, content_type: str) -> Any:
    return json.loads(raw or b"{}") if content_type == "application/json" else raw.decode()


class Browser:
    """A signed-in person's session on one node: cookies kept, CSRF tokens read from forms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        """A page's HTML (fails on any status but 200)."""
        with self.opener.open(self.base + path, timeout=60) as response:
            assert response.status == 200
            return str(response.read().decode())

    def submit(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """Post a form the way the browser would, with the CSRF token the page gave."""
        page = self.get(path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert found, f"no CSRF token in {path}"
        data = urllib.parse.urlencode({**fields, "csrf_token": found.group(1)}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=60) as response:
                return response.status, str(response.read().decode())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def poll(check: Any, timeout: float, what: str, step: float = 0.1) -> float:
    """Call ``check`` until it returns true; returns the seconds it took, fails at the deadline."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(step)
    return time.monotonic() - started
