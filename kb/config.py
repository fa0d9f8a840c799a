"""Configuration in layers: defaults, then ``instance/config.py``, then ``KB_*`` variables.

Every setting below is documented in the README (a test checks it). The names are the
ones an operator sets with the ``KB_`` prefix, e.g. ``KB_DATABASE_URL``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # Storage
    "DATABASE_URL": None,  # None: SQLite file instance/kb.sqlite3
    "SEARCH_INDEX_DIR": str(PROJECT_ROOT / "search_index"),
    "ARTICLES_DIR": str(PROJECT_ROOT / "articles"),
    "UPLOADS_DIR": None,  # None: instance/uploads
    # Policy
    "POLICY_FILE": None,  # None: the packaged default policy
    "SHOP_TIMEZONE": "Europe/Paris",
    "SHOP_CURRENCY": "EUR",  # the currency articles quote the policy's amounts in
    # Web
    # Not a password: None means "generate one into instance/secret_key".
    "SECRET_KEY": None,  # nosec B105
    "BASE_URL": None,  # e.g. https://help.example.com, for links in e-mails and the sitemap
    "TRUSTED_HOSTS": None,  # host names the site answers to; None: BASE_URL's (demo: localhost)
    "PROXY_FIX": 0,  # number of reverse proxies in front that set X-Forwarded-*
    "SESSION_COOKIE_SECURE": False,
    "EMBED_ORIGINS": "",  # space-separated shop origins allowed to frame the wizard
    "SEARCH_SYNC_INTERVAL": 1.0,  # seconds between a process's checks for others' article changes
    "PAGE_CACHE_SIZE": 256,  # help pages kept rendered per process for anonymous visitors; 0: off
    "SEARCH_LOG_RETENTION_DAYS": 180,
    "EVENT_FLUSH_SECONDS": 2.0,  # article views and searches are written in batches this often
    # Rate limits
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": None,  # None: a SQLite file in instance/ that all workers share
    "RATELIMIT_LOOKUP": "10 per minute",
    "RATELIMIT_LOGIN": "5 per minute",
    "RATELIMIT_PHOTOS": "20 per hour",
    "RATELIMIT_SHOP_API": "600 per minute",
    # Mail
    "SMTP_URL": None,  # smtp://user:pass@host:port or smtps://...; None: mail is written to the log
    "MAIL_FROM": "Returns <returns@example.com>",
    # True: each web process also runs the background jobs in a thread (no `kb outbox run` beside it)
    "OUTBOX_BACKGROUND": False,
    "OUTBOX_INTERVAL": 5,  # seconds between the background sender's rounds
    # Shop platforms: the secrets their webhooks are signed with; None: that webhook answers 404
    "SHOPIFY_WEBHOOK_SECRET": None,
    "WOOCOMMERCE_WEBHOOK_SECRET": None,
    # Desk
    "RESPONSE_TARGET_HOURS": 24,
    "REFUND_SECOND_APPROVAL_OVER": "1000",
    # Demo data on first start
    "DEMO": True,
}

# Flask's and its extensions' own settings, given the project's values. They come before the
# instance file and the environment, so an operator can still change them there.
FLASK_DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,  # the photo step; other bodies are limited to 1 MB
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "JSON_SORT_KEYS": False,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
}

LANGUAGES = ("en", "fr")


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the layers, then derive the database URL and secret."""
    app.config.update(DEFAULTS)
    app.config.update(FLASK_DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("KB")
    if test_config:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'kb.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    if not app.config.get("UPLOADS_DIR"):
        app.config["UPLOADS_DIR"] = str(instance / "uploads")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    # The long-lived sign-in cookie is as sensitive as the session: same Secure flag.
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    _check_public_address(app)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        from kb.ratelimits import default_uri

        app.config["RATELIMIT_STORAGE_URI"] = default_uri(instance)


DEMO_HOSTS = ["localhost", "127.0.0.1", "::1"]


def _check_public_address(app: Flask) -> None:
    """Set Flask's TRUSTED_HOSTS, and refuse a real deployment without its public address.

    Links e-mailed to shoppers are built from BASE_URL; without it they would come from the
    request's Host header, which anyone can forge. A forged Host is refused (400) once the
    site knows its host names.
    """
    if not app.config["DEMO"] and not app.config.get("BASE_URL") and not app.testing:
        raise RuntimeError("KB_BASE_URL must be set (e.g. https://help.example.com) when KB_DEMO=0: "
                           "e-mailed links are built from it")
    trusted = app.config.get("TRUSTED_HOSTS")
    if isinstance(trusted, str):
        trusted = trusted.split()
    if not trusted and app.config.get("BASE_URL"):
        trusted = [urlsplit(str(app.config["BASE_URL"])).hostname or ""]
    if not trusted and app.config["DEMO"] and not app.testing:
        trusted = list(DEMO_HOSTS)
    app.config["TRUSTED_HOSTS"] = [str(host) for host in trusted] if trusted else None


def normalise_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first start."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        # O_EXCL: when several workers start at once, the first one's key wins.
        try:
            with path.open("x") as fh:
                fh.write(key)
            path.chmod(0o600)
            return key
        except FileExistsError:
            return path.read_text().strip()
