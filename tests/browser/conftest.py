"""Browser tests: a real server in a thread and Debian's chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import ARTICLES, make_app, reset_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The site with articles, demo orders and staff accounts, served on a free port."""
    from kb.auth.service import create_user
    from kb.extensions import db
    from kb.orders.records import import_orders
    from kb.returns.demo import demo_orders

    tmp_path: Path = tmp_path_factory.mktemp("live")
    app = make_app(tmp_path, SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    reset_database(app)
    with app.app_context():
        from kb.articles.service import import_articles
        from kb.search import rebuild_index

        import_articles(ARTICLES)
        import_orders(demo_orders(datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)))
        for email, role in (("writer@example.com", "writer"), ("agent@example.com", "agent"),
                            ("agent2@example.com", "agent"), ("admin@example.com", "admin")):
            create_user(email, "correct horse battery", role, email.split("@")[0].title())
        db.session.commit()
        rebuild_index()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app, "password": "correct horse battery"}
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless."""
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
