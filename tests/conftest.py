"""Shared fixtures: an app on a fresh SQLite database and search index per test."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError

from kb import create_app, database
from kb.extensions import db
from kb.search import words

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"


def database_url_for(tmp_path: Path) -> str:
    """SQLite in tmp_path, or the PostgreSQL server named by KB_TEST_DATABASE_URL.

    Under pytest-xdist each worker gets a PostgreSQL database of its own (the named one with
    the worker's name appended, created on first use), since every test empties its tables.
    """
    url = os.environ.get("KB_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


_WORKER_URLS: dict[str, str] = {}


def _worker_database(url: str, worker: str) -> str:
    """The URL of this worker's own database on the server of ``url``, created if missing."""
    if url not in _WORKER_URLS:
        from sqlalchemy import create_engine, make_url, text

        base = make_url(url)
        name = f"{base.database}_{worker}"
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
                if not exists:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            engine.dispose()
        _WORKER_URLS[url] = base.set(database=name).render_as_string(hide_password=False)
    return _WORKER_URLS[url]


_APPS: list[Flask] = []


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for every app of this process (checked against each source's checksum).

    Each test builds its own app, and each app's Jinja environment would otherwise compile the
    same templates again: about a tenth of the app-level suite's time.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` from the kept code (Jinja drops it when the source changed)."""
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep a freshly compiled template."""
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedTemplateCode()


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app with its own database, index, instance folder and uploads (disposed after the test)."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url_for(tmp_path),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "UPLOADS_DIR": str(tmp_path / "uploads"),
        "ARTICLES_DIR": str(ARTICLES),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": f"kbsqlite://{tmp_path / 'ratelimits.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "SEARCH_SYNC_INTERVAL": 0.0,
        "DEMO": False,
        "EVENT_FLUSH_SECONDS": 0.0,
        # No background sender: tests deliver the outbox themselves when they need to.
        "OUTBOX_BACKGROUND": False,
        "SERVER_NAME": "kb.test",
    }
    config.update(overrides)
    application = create_app(config)
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE
    _APPS.append(application)
    return application


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashes() -> Iterator[None]:
    """Staff passwords hashed with scrypt at a lower cost than in production.

    The production cost (n=32768) takes about a tenth of a second per hash, by design; tests sign
    in hundreds of times and measure nothing about the hash's strength. The hashes still go
    through werkzeug's scrypt and are checked the same way (the cost is stored in each hash).
    """
    from werkzeug.security import generate_password_hash

    from kb.auth import service

    def quick(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return generate_password_hash(password, "scrypt:1024:8:1" if method == "scrypt" else method, salt_length)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "generate_password_hash", quick)
        yield


@pytest.fixture(autouse=True, scope="session")
def _article_keys_read_once() -> Iterator[None]:
    """The assistant's article keys read once per process for each state of an articles folder.

    Each new app reads every article file again on its first assistant step, to check the
    self-help file against them: about a tenth of the app-level suite's time. The answer is
    kept per folder and per name, time and size of each file, so a test that changes a file
    gets a fresh reading.
    """
    from kb.returns import selfhelp

    read = selfhelp.article_keys_in
    known: dict[tuple[Any, ...], dict[str, set[str]]] = {}

    def article_keys_in(root: Path) -> dict[str, set[str]]:
        files = selfhelp.find_article_files(root)
        stamp = (str(root), *((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files))
        if stamp not in known:
            known[stamp] = read(root)
        return {key: set(langs) for key, langs in known[stamp].items()}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(selfhelp, "article_keys_in", article_keys_in)
        yield


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close every database connection a test opened, so none leaks into the next."""
    yield
    # A background index rebuild holds a connection: let it finish before disposing.
    for thread in threading.enumerate():
        if thread.name == "kb-reindex":
            thread.join(timeout=30)
    while _APPS:
        application = _APPS.pop()
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


# A database migrated once per test run; each test starts from a copy of it (SQLite) or from
# its emptied tables (PostgreSQL), instead of running every migration again.
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="kb-test-template-"))
atexit.register(shutil.rmtree, _TEMPLATE_DIR, True)
_SQLITE_TEMPLATE = _TEMPLATE_DIR / "migrated.sqlite3"


def reset_database(app: Flask) -> None:
    """Give ``app`` an empty database at the newest migration."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _reset_postgres()
        else:
            _reset_sqlite(Path(str(db.engine.url.database)))


def _reset_sqlite(path: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    if _SQLITE_TEMPLATE.exists():
        shutil.copyfile(_SQLITE_TEMPLATE, path)
        return
    database.upgrade()
    try:
        with db.engine.connect() as conn:
            # Fold the write-ahead log into the file, so that the file alone is the whole database.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except OperationalError:
        # Another connection of this process still reads ("database table is locked"): this
        # test keeps its freshly migrated database, and a later test saves the template.
        return
    db.engine.dispose()
    shutil.copyfile(path, _SQLITE_TEMPLATE)


def _reset_postgres() -> None:
    """Empty every table when the schema is at head (fast), else drop it and migrate."""
    db.session.remove()
    if database.is_up_to_date():
        tables = [t for t in sa_inspect(db.engine).get_table_names() if t != "alembic_version"]
        quoted = ", ".join(f'"{table}"' for table in tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    database.upgrade()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """A migrated, empty application."""
    application = make_app(tmp_path)
    reset_database(application)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


@pytest.fixture
def restore_search_words() -> Iterator[None]:
    """For a test that loads other search words: the process goes back to the words it had."""
    kept = words._kept
    saved = dict(vars(kept))
    yield
    vars(kept).update(saved)


# The articles imported and indexed once per test run (per xdist worker): the database with
# them and their index are copied for each test that asks for them (SQLite).
_CONTENT_DATABASE = _TEMPLATE_DIR / "content.sqlite3"
_CONTENT_INDEX = _TEMPLATE_DIR / "content-index"


@pytest.fixture
def content_app(app: Flask) -> Flask:
    """The app with the real articles imported and indexed (a copy, each test may change it)."""
    from kb.articles.service import import_articles
    from kb.search import rebuild_index

    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite and _CONTENT_DATABASE.exists():
        _copy_content(app)
        return app
    report = import_articles(ARTICLES)
    db.session.commit()
    assert not report.errors, report.errors
    rebuild_index()
    if sqlite:
        _keep_content(app)
    return app


def _keep_content(app: Flask) -> None:
    path = Path(str(db.engine.url.database))
    db.session.remove()
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except OperationalError:
        return  # a fixture of this test still reads: keep the template on a later test instead
    db.engine.dispose()
    shutil.copyfile(path, _CONTENT_DATABASE)
    shutil.copytree(app.config["SEARCH_INDEX_DIR"], _CONTENT_INDEX)


def _copy_content(app: Flask) -> None:
    from kb.search import service

    path = Path(str(db.engine.url.database))
    _reset_sqlite(path)
    shutil.copyfile(_CONTENT_DATABASE, path)
    index = Path(app.config["SEARCH_INDEX_DIR"])
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(_CONTENT_INDEX, index)
    service.init_app(app)  # a keeper that opens the copied index


@pytest.fixture
def content_client(content_app: Flask) -> FlaskClient:
    """A client of the app with the real articles."""
    return content_app.test_client()


PASSWORD = "correct horse battery staple"
NAMES = {"writer": "Wanda Writer", "admin": "Ada Admin", "agent": "Arthur Agent"}


class AuthActions:
    """Signs a staff member of a role in on the test client, or gives an API token of a role."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def user(self, role: str, email: str | None = None, name: str | None = None) -> Any:
        """The staff member with this e-mail (``<role>@example.com``), created on first use."""
        from sqlalchemy import select

        from kb.auth.models import User
        from kb.auth.service import create_user

        email = email or f"{role}@example.com"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(email, PASSWORD, role, name=name or NAMES.get(role, role.title()))
            db.session.commit()
        return user

    def login(self, role: str = "writer", email: str | None = None, name: str | None = None) -> Any:
        """Sign the role's user in through the login form; returns the user."""
        user = self.user(role, email, name)
        response = self._client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def token(self, role: str) -> dict[str, str]:
        """Headers carrying a fresh bearer token of the role."""
        from kb.auth.service import create_token

        _token, plain = create_token(f"{role} token", role)
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Sign staff in on ``client`` (``auth.login("agent")``) or make their API tokens."""
    return AuthActions(client)


# The rows the demo orders' import wrote into empty tables, per worker: importing them (checking
# and storing 36 orders one by one) cost about 75 ms for each of the 280 tests that ask for them;
# a copy of the same rows is a few multi-row INSERTs. Kept per day, policy and database kind.
_DEMO_ROWS: dict[tuple[Any, ...], list[tuple[Table, list[dict[str, Any]]]]] = {}


def _demo_key(app: Flask, now: Any) -> tuple[Any, ...]:
    return (now, app.config.get("POLICY_FILE"), app.config.get("SHOP_TIMEZONE"), db.engine.dialect.name)


def _row_counts() -> dict[str, int]:
    return {table.name: int(db.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in db.metadata.sorted_tables}


def _keep_demo_rows(app: Flask, now: Any, before: dict[str, int]) -> None:
    after = _row_counts()
    written = [table for table in db.metadata.sorted_tables if after[table.name] != before[table.name]]
    if all(before[table.name] == 0 for table in written):  # else the copy could not stand alone
        _DEMO_ROWS[_demo_key(app, now)] = [
            (table, [dict(row._mapping) for row in db.session.execute(select(table))]) for table in written]


def _copy_demo_rows(app: Flask, now: Any) -> bool:
    """Write the kept rows of the demo import, if they are kept and their tables are empty."""
    kept = _DEMO_ROWS.get(_demo_key(app, now))
    if kept is None or any(db.session.scalar(select(func.count()).select_from(table)) for table, _ in kept):
        return False
    for table, rows in kept:  # in dependency order, as sorted_tables gave them
        db.session.execute(insert(table), rows)
        if db.engine.dialect.name == "postgresql" and "id" in table.c:
            # Explicit ids leave the sequence behind: the next order a test adds would clash.
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                    f"(SELECT max(id) FROM \"{table.name}\"))"))
    db.session.commit()
    return True


@pytest.fixture
def demo(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The demo orders, dated around a fixed noon so that no test depends on the clock."""
    from datetime import UTC, datetime

    from kb.orders.records import import_orders
    from kb.policy import shop_today
    from kb.returns import wizard_service
    from kb.returns.demo import demo_orders
    from kb.shop import current_policy

    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    if not _copy_demo_rows(app, now):
        before = _row_counts()
        report = import_orders(demo_orders(now))
        db.session.commit()
        assert not report.errors, report.errors
        _keep_demo_rows(app, now, before)
    today = shop_today(current_policy(), now)
    monkeypatch.setattr(wizard_service, "today", lambda: today)
    return {"now": now, "today": today}


@pytest.fixture
def make_order(app: Flask) -> Any:
    """A factory of orders: ``make_order(**overrides)`` imports one and returns it.

    By default an online order in EUR of one blue tee, placed 8 days and delivered 6 days before
    now (within every return window; ``placed_days_ago`` and ``delivered_days_ago`` move it);
    any field of an order record can be overridden, ``items`` included (as in ``kb orders import``).
    """
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from kb.orders.models import Order
    from kb.orders.records import import_orders

    now = datetime.now(UTC).replace(microsecond=0)
    made = iter(range(1, 100_000))

    def make(placed_days_ago: int = 8, delivered_days_ago: int | None = 6, **overrides: Any) -> Order:
        number = overrides.pop("number", f"T{next(made):05d}")
        delivered = None if delivered_days_ago is None else now - timedelta(days=delivered_days_ago)
        record = {
            "number": number, "email": "shopper@example.com",
            "placed_at": (now - timedelta(days=placed_days_ago)).isoformat(),
            "delivered_at": delivered.isoformat() if delivered else None,
            "channel": "online", "currency": "EUR", "shipping": "4.99",
            "items": [{"sku": "TEE-M-BLUE", "name": "Organic tee, blue, M", "category": "apparel",
                       "quantity": 1, "unit_price": "19.90"}],
            **overrides,
        }
        report = import_orders([record])
        db.session.commit()
        assert not report.errors, report.errors
        order = db.session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        return order

    return make
