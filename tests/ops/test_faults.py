"""Faults: a command killed half-way, a full or unwritable index disk, a database that drops out.

The killed commands are the real ``kb`` in a subprocess against this test's database and
index, slowed down by a folder of 2,000 generated articles and killed with SIGKILL once their
progress output has started.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from kb.articles.models import Article, ArticleRevision
from kb.articles.service import import_articles, update_article
from kb.extensions import db
from kb.search import engine, index_status, notify_articles_changed
from kb.search.models import SearchLog
from tests.conftest import database_url_for, make_app
from tests.ops.conftest import wait_for_rebuild

GENERATED = 2000


def generate_articles(root: Path, count: int = GENERATED) -> Path:
    """A folder of valid, distinct articles, enough to make import and reindex take seconds."""
    folder = root / "generated" / "en"
    folder.mkdir(parents=True)
    for n in range(count):
        body = "\n\n".join(
            f"## Step {step}\n\nReturn parcel {n}-{step}: refund, store credit and labels."
            for step in range(5)
        )
        (folder / f"generated-{n:04d}.md").write_text(
            f"---\nkey: generated-{n:04d}\nlang: en\nslug: generated-{n:04d}\n"
            f"title: Generated question {n}\ncategory: refunds\ntags: [generated]\n"
            f"status: published\nsummary: Generated answer {n}.\n---\n{body}\n",
            encoding="utf-8",
        )
    return folder.parent


def kb_command(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """Start the installed ``kb`` command on this test's database and index."""
    script = Path(sys.executable).with_name("kb")
    command = [str(script)]
    if not script.exists():  # not installed as a script: the same entry point by hand
        command = [sys.executable, "-c", "from kb.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "FLASK_"))}
    env.update(
        KB_DATABASE_URL=database_url_for(tmp_path),
        KB_SEARCH_INDEX_DIR=str(tmp_path / "index"),
        KB_ARTICLES_DIR=str(tmp_path / "generated"),
        KB_UPLOADS_DIR=str(tmp_path / "uploads"),
        KB_SECRET_KEY="test-secret",
        KB_DEMO="0",
        KB_BASE_URL="http://127.0.0.1",
    )
    return subprocess.Popen(
        [*command, *args], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def kill_once_started(process: subprocess.Popen[str], label: str, grace: float = 1.0) -> str:
    """Wait for the progress label, let the work run a moment, then SIGKILL; return the output."""
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + 60
    while label not in seen:
        line = process.stdout.readline()
        assert line and time.monotonic() < deadline, f"no {label!r} before exit: {seen}"
        seen += line
    time.sleep(grace)
    # Still running: the kill lands in the middle of the work, not after it.
    assert process.poll() is None, f"finished before the kill: {seen}{process.stdout.read()}"
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return seen + rest


@pytest.fixture
def restarted(tmp_path: Path) -> Iterator[Flask]:
    """A new server process on the same database and index, as after a restart."""
    app = make_app(tmp_path)
    with app.app_context():
        yield app
        wait_for_rebuild(app)  # a background rebuild must not outlive the test's database
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_a_reindex_killed_half_way_leaves_a_site_that_serves(
    app: Flask, tmp_path: Path, restarted: Flask
) -> None:
    with app.app_context():
        report = import_articles(generate_articles(tmp_path))
        db.session.commit()
    assert len(report.created) == GENERATED
    output = kill_once_started(kb_command(tmp_path, "reindex"), "Indexing articles")
    assert "indexed" not in output

    client = restarted.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200, health.get_json()
    assert health.get_json()["search_index"] in ("ok", "rebuilding", "fallback")
    # Answered at once: from the database while the index is rebuilt in the background.
    found = client.get("/api/v1/search?q=generated+question+1234&lang=en").get_json()
    assert found["total"] > 0 and found["results"][0]["slug"] == "generated-1234"
    wait_for_rebuild(restarted)
    assert index_status() == "ok"
    assert client.get("/api/v1/search?q=generated+question+1234&lang=en").get_json()["total"] > 0


@pytest.mark.slow
def test_an_import_killed_half_way_imports_nothing(
    content_app: Flask, tmp_path: Path, restarted: Flask
) -> None:
    before = (db.session.scalar(select(func.count()).select_from(Article)),
              db.session.scalar(select(func.count()).select_from(ArticleRevision)))
    db.session.commit()
    folder = generate_articles(tmp_path)
    output = kill_once_started(kb_command(tmp_path, "articles", "import", str(folder)),
                               "Importing articles")
    assert "created" not in output

    # One transaction: the database holds the every article from before, not a part of the 2,000.
    articles = db.session.scalar(select(func.count()).select_from(Article))
    revisions = db.session.scalar(select(func.count()).select_from(ArticleRevision))
    assert (articles, revisions) == before
    client = restarted.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"database": "ok", "search_index": "ok"}
    page = client.get("/en/search?q=refund")
    assert page.status_code == 200 and "refund-timing" in page.get_data(as_text=True)
    # That search was logged: the write lock the killed import held is free again.
    assert db.session.scalar(select(func.count()).select_from(SearchLog)) == 1


def full_disk(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def no_permission(*_args: object, **_kwargs: object) -> None:
    raise PermissionError(errno.EACCES, "Permission denied")


def test_a_full_disk_keeps_search_answering_from_the_database(
    content_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine.SearchIndex, "_write", full_disk)
    article = db.session.scalar(select(Article).where(Article.slug == "refund-timing"))
    update_article(article, {"title": "Zanzibar refund timing"}, "Wanda Writer", "New title")
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="kb.search"):
        notify_articles_changed()  # what the studio calls after a save: the write fails
    assert any("No space left" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)

    client = content_app.test_client()
    # The index cannot take the new title, the database fallback has it.
    page = client.get("/en/search?q=zanzibar")
    assert page.status_code == 200 and "Zanzibar refund timing" in page.get_data(as_text=True)
    refund = client.get("/en/search?q=refund")
    assert refund.status_code == 200 and "refund-timing" in refund.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["search_index"] == "fallback"

    # Space is freed: the next attempt (after the retry pause) catches up and leaves fallback.
    monkeypatch.undo()
    content_app.extensions["kb_search"].failed_at = 0.0
    monkeypatch.setattr("kb.search.service.RETRY_AFTER_FAILURE", 0.0)
    assert client.get("/api/v1/search?q=zanzibar&lang=en").get_json()["total"] == 1
    assert client.get("/healthz").get_json()["search_index"] == "ok"


def test_an_unwritable_index_folder_serves_from_the_database(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import ARTICLES

    import_articles(ARTICLES)
    db.session.commit()
    # Root ignores file modes, so the refusal is simulated where the engine creates folders.
    monkeypatch.setattr(engine.SearchIndex, "_new_dir", no_permission)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="kb.search"):
        page = client.get("/en/search?q=refund")
        assert page.status_code == 200 and "refund-timing" in page.get_data(as_text=True)
        wait_for_rebuild(app)
    assert any(isinstance(r.exc_info[1], PermissionError) for r in caplog.records if r.exc_info)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["search_index"] == "fallback"
    suggest = client.get("/api/v1/search?q=refund&lang=en")
    assert suggest.status_code == 200 and suggest.get_json()["total"] > 0


@pytest.fixture
def flaky_database(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the next N session queries fail as if the server were down; returns [N]."""
    failures = [0]

    def failing(real):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            if failures[0] > 0:
                failures[0] -= 1
                raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
            return real(*args, **kwargs)

        return call

    for name in ("execute", "scalar", "scalars", "get"):
        monkeypatch.setattr(db.session, name, failing(getattr(db.session, name)))
    return failures


def test_an_unavailable_database_gives_json_503_on_the_api_then_recovers(
    content_app: Flask, demo: dict[str, object], flaky_database: list[int]
) -> None:
    client = content_app.test_client()
    lookup = {"order_number": "A1001", "email": "ana@example.com"}
    flaky_database[0] = 1
    response = client.post("/api/v1/returns/lookup", json=lookup)
    assert response.status_code == 503
    assert response.get_json()["error"] == {
        "code": "unavailable", "message": response.get_json()["error"]["message"]
    }
    assert "try again" in response.get_json()["error"]["message"]
    assert response.headers["Retry-After"]
    assert client.post("/api/v1/returns/lookup", json=lookup).status_code == 200
    flaky_database[0] = 1
    page = client.get("/en/search?q=refund")
    assert page.status_code == 503 and "text/html" in page.content_type
    assert client.get("/en/search?q=refund").status_code == 200


def test_an_unreachable_database_file_gives_a_friendly_page_then_recovers(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{folder / 'kb.sqlite3'}")
    with app.app_context():
        from kb import database

        database.upgrade()
        db.engine.dispose()
    client = app.test_client()
    assert client.get("/en/").status_code == 200

    with app.app_context():
        db.engine.dispose()  # the server restarts its connections while the disk is away
    folder.rename(tmp_path / "db-away")
    page = client.get("/en/")
    assert page.status_code == 503
    assert "briefly unavailable" in page.get_data(as_text=True)
    api = client.get("/api/v1/search?q=refund&lang=en")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "unavailable"
    assert client.get("/healthz").status_code == 503

    (tmp_path / "db-away").rename(folder)
    assert client.get("/en/").status_code == 200
    assert client.get("/healthz").get_json()["database"] == "ok"
    wait_for_rebuild(app)
    with app.app_context():
        db.engine.dispose()


def test_other_database_errors_stay_errors(
    content_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.ops.errors import is_unavailable

    duplicate = IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert not is_unavailable(duplicate)
    assert is_unavailable(OperationalError("SELECT", {}, Exception("database is locked")))

    def query(*_args: object, **_kwargs: object) -> None:
        raise duplicate

    monkeypatch.setattr(db.session, "scalar", query)
    # A bug is not an outage: it still surfaces as an error (raised here, in testing mode).
    with pytest.raises(IntegrityError):
        content_app.test_client().post("/api/v1/returns/lookup",
                                       json={"order_number": "A1001", "email": "ana@example.com"})
