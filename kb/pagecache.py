"""Whole-page cache for anonymous visitors of the help pages (home, categories, articles, hub).

These pages change only when articles do, yet rendering one costs several queries and a large
template. Each process keeps the last ``PAGE_CACHE_SIZE`` pages it rendered, keyed by address
and language, and tagged with the content version they were rendered at: a page is served only
while that version is current. This process sees its own article changes at once
(``content_changed``); another process's within ``SEARCH_SYNC_INTERVAL`` seconds.

Signed-in staff, and visitors with a message waiting, get pages rendered for them. A cached
page holds nothing of one visitor, so it starts no session: its forms fetch their CSRF token
from ``/csrf-token`` when used (the article's vote, the hub's "resend my link"), and without
JavaScript lead to, or are answered by, an uncached page holding the real form. A page that
rendered a token anyway is served to its visitor but never kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, current_app, g, request, session

REMEMBER_COOKIE = "remember_token"  # Flask-Login's default name


@dataclass(frozen=True)
class Page:
    """A rendered page as stored: its HTML and what the view needs on a hit."""

    html: str
    version: int
    meta: dict[str, Any] = field(default_factory=dict)
    # Encoded once: most pages are served as stored, byte for byte.
    body: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", self.html.encode())

    def response(self) -> Response:
        """This page as a response (the same for every visitor)."""
        return Response(self.body, mimetype="text/html")


class PageStore:
    """The pages of one process, least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        # LRUCache refuses a size of 0; a store of size 0 is never asked (see _store_for_request).
        self.pages: LRUCache[tuple[Any, ...], Page] = LRUCache(maxsize=max(size, 1))
        self.lock = threading.Lock()  # reads reorder an LRUCache too
        self.version = -1
        self.checked_at = float("-inf")
        self.version_of: Callable[[], int] | None = None

    def get(self, key: tuple[Any, ...], version: int) -> Page | None:
        """The page stored under key if it was rendered at this content version."""
        with self.lock:
            page = self.pages.get(key)
        return page if page is not None and page.version == version else None

    def put(self, key: tuple[Any, ...], page: Page) -> None:
        """Keep a page, dropping the least recently used beyond the size."""
        with self.lock:
            self.pages[key] = page

    def settle(self, version: int) -> None:
        """Note the current content version; pages of older versions are dropped."""
        with self.lock:
            if version != self.version:
                self.pages.clear()
                self.version = version


def init_app(app: Flask) -> None:
    """Give the app its page store (it caches nothing until a content version is known)."""
    app.extensions["kb_pages"] = PageStore(int(app.config.get("PAGE_CACHE_SIZE") or 0))


def set_content_version(app: Flask, version_of: Callable[[], int]) -> None:
    """Name the function that tells the current content version (the articles room's).

    Given by the articles room, which owns the content, so that this plumbing imports no room.
    """
    app.extensions["kb_pages"].version_of = version_of


def content_changed() -> None:
    """This process changed articles: check the content version on the next request."""
    store = current_app.extensions.get("kb_pages")
    if store is not None:
        store.checked_at = float("-inf")


def lookup(*vary: Any) -> Page | None:
    """The cached page for this request (``vary``: what else the page depends on), or None."""
    store = _store_for_request()
    if store is None:
        return None
    version = _version(store)
    g.page_version = version
    return store.get(_key(vary), version)


def keep(html: str, *vary: Any, **meta: Any) -> Page:
    """Store the page just rendered for this request; returns it for serving."""
    page = Page(html=html, version=g.get("page_version", -1), meta=meta)
    store = _store_for_request()
    # A page that rendered this visitor's CSRF token (Flask-WTF keeps it in g) is theirs alone.
    if store is not None and "page_version" in g and "csrf_token" not in g:
        store.put(_key(vary), page)
    return page


def cached_page(view: Callable[..., str]) -> Callable[..., Response]:
    """Serve a view that depends only on its address and the articles from the page cache."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        page = lookup()
        if page is None:
            page = keep(view(*args, **kwargs))
        return page.response()

    return wrapper


def _store_for_request() -> PageStore | None:
    store: PageStore | None = current_app.extensions.get("kb_pages")
    if store is None or store.size <= 0 or store.version_of is None or request.method not in ("GET", "HEAD"):
        return None
    # Staff pages show who is signed in, and a flashed message is for one visitor only.
    if REMEMBER_COOKIE in request.cookies or "_user_id" in session or "_flashes" in session:
        return None
    return store


def _version(store: PageStore) -> int:
    now = time.monotonic()
    if now - store.checked_at < float(current_app.config["SEARCH_SYNC_INTERVAL"]):
        return store.version
    # Read before rendering: a page is never tagged newer than the articles it shows.
    version = store.version_of() if store.version_of is not None else -1
    store.settle(version)
    store.checked_at = now
    return version


def _key(vary: tuple[Any, ...]) -> tuple[Any, ...]:
    # The host is part of the page (canonical and hreflang links are absolute). The language is
    # in the address of every cached page and comes first (kb.web.select_locale): read from
    # there, the locale need not be worked out on a hit.
    lang = (request.view_args or {}).get("lang")
    return (request.scheme, request.host, request.root_path, request.path, lang, vary)
