"""A rate limit holds in total across processes, not per process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from kb.ratelimits import SQLiteStorage
from tests.conftest import make_app, reset_database
from tests.reliability.cluster import redis_server

ROOT = Path(__file__).resolve().parents[2]

# One process's share of the lookups: prints how many got through (any answer but 429).
LOOKUPS = """
import sys
from tests.conftest import make_app
app = make_app(__import__("pathlib").Path(sys.argv[1]), RATELIMIT_ENABLED=True, RATELIMIT_LOOKUP="10 per minute",
               RATELIMIT_STORAGE_URI=sys.argv[2], DATABASE_URL=sys.argv[3])
with app.app_context():
    client = app.test_client()
    passed = sum(client.post("/api/v1/returns/lookup", json={"order_number": "A1", "email": "a@example.com"}
                             ).status_code != 429 for _ in range(15))
print(passed)
"""


def test_the_default_storage_is_a_file_every_worker_shares(tmp_path: Path) -> None:
    app: Flask = make_app(tmp_path, RATELIMIT_STORAGE_URI=None)
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("kbsqlite://")
    assert app.config["RATELIMIT_STORAGE_URI"].endswith("ratelimits.sqlite3")


@pytest.mark.slow
def test_a_limit_of_ten_holds_across_two_processes(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    reset_database(make_app(tmp_path / "migrate", DATABASE_URL=database))
    storage = f"kbsqlite://{tmp_path / 'ratelimits.sqlite3'}"
    processes = [
        subprocess.Popen([sys.executable, "-c", LOOKUPS, str(tmp_path / f"p{n}"), storage, database],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(2)
    ]
    passed = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        passed.append(int(out.strip().splitlines()[-1]))
    assert sum(passed) == 10, passed


def test_a_window_starts_again_once_expired(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"kbsqlite://{tmp_path / 'limits.sqlite3'}")
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.incr("gone", -1) == 1  # a window that has already ended
    assert storage.get("gone") == 0 and storage.incr("gone", 60) == 1
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


@pytest.mark.server
def test_with_redis_two_apps_share_one_count(tmp_path: Path) -> None:
    """Several machines share Redis: two apps (two machines) count together."""
    with redis_server() as url:
        passed = 0
        for n in range(2):
            (tmp_path / f"m{n}").mkdir()
            app = make_app(tmp_path / f"m{n}", RATELIMIT_ENABLED=True, RATELIMIT_LOOKUP="10 per minute",
                           RATELIMIT_STORAGE_URI=url)
            reset_database(app)
            with app.app_context():
                client = app.test_client()
                passed += sum(client.post("/api/v1/returns/lookup",
                                          json={"order_number": "A1", "email": "a@example.com"}).status_code != 429
                              for _ in range(8))
        assert passed == 10
