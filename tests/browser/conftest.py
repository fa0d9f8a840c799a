"""Browser tests: a real server in a thread and Debian's chromium driven by Playwright.

Each worker process builds the site's data once (migrated database, articles, demo orders, staff
accounts, search index) and launches chromium once; each test module gets its own server on a
copy of that data, so that modules never see each other's returns, and each test a fresh
browser context.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import ARTICLES, make_app, reset_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PASSWORD = "correct horse battery"
STAFF = (("writer@example.com", "writer"), ("agent@example.com", "agent"),
         ("agent2@example.com", "agent"), ("admin@example.com", "admin"))
# How often the server thread looks for a shutdown request: werkzeug's default (0.5 s) is paid
# at the end of every module.
POLL_SECONDS = 0.05


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _site_app(folder: Path) -> Flask:
    """The live server's app on the database and index in ``folder`` (SQLite, whatever the suite uses)."""
    return make_app(folder, SERVER_NAME=None, WTF_CSRF_ENABLED=True,
                    DATABASE_URL=f"sqlite:///{folder / 'kb.sqlite3'}")


@pytest.fixture(scope="session")
def site_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the site's database and index: articles, demo orders and staff, built once."""
    from kb.articles.service import import_articles
    from kb.auth.service import create_user
    from kb.extensions import db
    from kb.orders.records import import_orders
    from kb.returns.demo import demo_orders
    from kb.search import rebuild_index

    folder = tmp_path_factory.mktemp("site-data")
    app = _site_app(folder)
    reset_database(app)
    with app.app_context():
        import_articles(ARTICLES)
        import_orders(demo_orders(datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)))
        for email, role in STAFF:
            create_user(email, PASSWORD, role, email.split("@")[0].title())
        db.session.commit()
        rebuild_index()
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(folder / "kb.sqlite3") as conn:
        # Fold the write-ahead log into the file, so that copying the file copies everything.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


@pytest.fixture(scope="module")
def live_server(site_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The site with articles, demo orders and staff accounts (a fresh copy), served on a free port."""
    folder = tmp_path_factory.mktemp("live")
    shutil.copyfile(site_data / "kb.sqlite3", folder / "kb.sqlite3")
    shutil.copytree(site_data / "index", folder / "index")
    app = _site_app(folder)
    with serve(app) as url:
        yield {"url": url, "app": app, "password": PASSWORD}


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` from a thread on a free port; yields its address."""
    from kb.extensions import db

    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def _buffered(app: WSGIApplication) -> WSGIApplication:
    """``app`` with each response read whole and closed before werkzeug's server writes it.

    When a test closes its page while a file (a static asset) is still being sent, the development
    server gives up on the response without closing it, and the open file's ResourceWarning then
    fails whichever test is running when it is collected. The site streams nothing.
    """
    def buffered(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return buffered


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless: one per worker process (each test opens its own context)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page per test."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    """Sign a staff member in through the login form."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")
