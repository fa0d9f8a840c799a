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

A repeat request for a kept page is answered before Flask handles it (``ServeKeptPagesFirst``):
the same bytes and headers, plus the visit cookie and what the view does on every serve (an
article's page view). Only a plain GET qualifies: no query string, no body, no session or
sign-in cookie, an address whose page Flask kept (rendered or found in the cache) before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, NamedTuple

from cachetools import LRUCache
from flask import Flask, Response, current_app, g, request, session
from werkzeug.http import parse_cookie

from kb.web import VISIT_COOKIE, visit_cookie, visit_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REMEMBER_COOKIE = "remember_token"  # Flask-Login's default name
# What the middleware and the views tell each other through the WSGI environ.
_ADDRESS = "kb.pagecache.address"  # this request could be replayed later under this address
_SERVED = "kb.pagecache.served"  # the view served a kept page: (page, what each serve does)

OnServe = Callable[["Page", str], None]


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


class Replay(NamedTuple):
    """A kept page as the middleware serves it again, without Flask."""

    page: Page
    headers: list[tuple[str, str]]  # as Flask sent them, less any Set-Cookie
    on_serve: OnServe | None


class PageStore:
    """The pages of one process, least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        # LRUCache refuses a size of 0; a store of size 0 is never asked (see _store_for_request).
        self.pages: LRUCache[tuple[Any, ...], Page] = LRUCache(maxsize=max(size, 1))
        # By raw address (scheme, Host header, script root, path): what the middleware serves.
        self.replays: LRUCache[tuple[str, ...], Replay] = LRUCache(maxsize=max(size, 1))
        self.lock = threading.Lock()  # reads reorder an LRUCache too
        self.version = -1
        self.checked_at = float("-inf")
        self.changes = 0  # content_changed calls so far: a check that raced one must not count
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

    def is_current(self, interval: float, now: float | None = None) -> bool:
        """Whether the version was checked within the last `interval` seconds (no need to ask)."""
        return (time.monotonic() if now is None else now) - self.checked_at < interval

    def replay(self, address: tuple[str, ...], interval: float) -> Replay | None:
        """The replay kept for this address, while the content version is known to be current."""
        if not self.is_current(interval):
            return None  # time to ask the database for the version: Flask's path does
        with self.lock:
            found = self.replays.get(address)
        return found if found is not None and found.page.version == self.version else None

    def keep_replay(self, address: tuple[str, ...], replay: Replay) -> None:
        """Serve this address from now on before Flask, while its page's version is current."""
        with self.lock:
            if replay.page.version == self.version:
                self.replays[address] = replay

    def settle(self, version: int) -> None:
        """Note the current content version; pages of older versions are dropped."""
        with self.lock:
            if version != self.version:
                self.pages.clear()
                self.replays.clear()
                self.version = version


def init_app(app: Flask) -> None:
    """Give the app its page store (it caches nothing until a content version is known).

    Called before any other middleware is installed (kb.web's ProxyFix): this one must see the
    scheme and host as the proxy fix corrects them, as Flask does.
    """
    store = PageStore(int(app.config.get("PAGE_CACHE_SIZE") or 0))
    app.extensions["kb_pages"] = store
    if store.size > 0:
        # Flask's documented way to add a WSGI middleware; wsgi_app is declared as a method.
        app.wsgi_app = ServeKeptPagesFirst(app, store)  # type: ignore[method-assign]


def set_content_version(app: Flask, version_of: Callable[[], int]) -> None:
    """Name the function that tells the current content version (the articles room's).

    Given by the articles room, which owns the content, so that this plumbing imports no room.
    """
    app.extensions["kb_pages"].version_of = version_of


def content_changed() -> None:
    """This process changed articles: check the content version on the next request."""
    store = current_app.extensions.get("kb_pages")
    if store is not None:
        store.changes += 1
        store.checked_at = float("-inf")


def lookup(*vary: Any) -> Page | None:
    """The cached page for this request (``vary``: what else the page depends on), or None."""
    store = _store_for_request()
    if store is None:
        return None
    version = _version(store)
    g.page_version = version
    page = store.get(_key(vary), version)
    if page is not None:
        g.page_kept = page
    return page


def keep(html: str, *vary: Any, **meta: Any) -> Page:
    """Store the page just rendered for this request; returns it for serving."""
    page = Page(html=html, version=g.get("page_version", -1), meta=meta)
    store = _store_for_request()
    # A page that rendered this visitor's CSRF token (Flask-WTF keeps it in g) is theirs alone.
    if store is not None and "page_version" in g and "csrf_token" not in g:
        store.put(_key(vary), page)
        g.page_kept = page
    return page


def serve(page: Page, on_serve: OnServe | None = None) -> Response:
    """The response for a page, which the middleware may serve again on its own if it was kept.

    ``on_serve(page, visit_id)`` is what the middleware must do on each of those serves; the
    view does it itself for the serve at hand.
    """
    if g.get("page_kept") is page and _ADDRESS in request.environ:
        request.environ[_SERVED] = (page, on_serve)
    return page.response()


def cached_page(view: Callable[..., str]) -> Callable[..., Response]:
    """Serve a view that depends only on its address and the articles from the page cache."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        page = lookup()
        if page is None:
            page = keep(view(*args, **kwargs))
        return serve(page)

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
    if store.is_current(float(current_app.config["SEARCH_SYNC_INTERVAL"]), now):
        return store.version
    # Read before rendering: a page is never tagged newer than the articles it shows.
    changes = store.changes
    version = store.version_of() if store.version_of is not None else -1
    store.settle(version)
    if store.changes == changes:  # else a change came meanwhile: check again next time
        store.checked_at = now
    return version


def _key(vary: tuple[Any, ...]) -> tuple[Any, ...]:
    # The host is part of the page (canonical and hreflang links are absolute). The language is
    # in the address of every cached page and comes first (kb.web.select_locale): read from
    # there, the locale need not be worked out on a hit.
    lang = (request.view_args or {}).get("lang")
    return (request.scheme, request.host, request.root_path, request.path, lang, vary)


class ServeKeptPagesFirst:
    """WSGI middleware: answers a repeat request for a kept page before Flask handles it.

    A cache hit through Flask still runs its request handling: the context, every before- and
    after-request hook, the session and the URL map. For the most read pages that cost more than
    sending the page itself, so a hit is served from here with the headers Flask sent the first
    time, and everything else goes on to Flask as before.
    """

    def __init__(self, app: Flask, store: PageStore) -> None:
        # Inside any other middleware only: one that rewrites the request (ProxyFix sets the
        # host, scheme and prefix from X-Forwarded-*) must do so before the address is read,
        # or a page rendered for one rewritten request would be replayed at the plain address.
        if getattr(app.wsgi_app, "__func__", None) is not Flask.wsgi_app:
            raise RuntimeError("the page replay must be installed before any other WSGI middleware")
        self.app = app
        self.store = store
        self.wsgi_app: WSGIApplication = app.wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve a kept page, or let Flask answer and note whether it served one."""
        request_of_address = self._plain_get(environ)
        if request_of_address is None:
            return self.wsgi_app(environ, start_response)
        address, visit = request_of_address
        replay = self.store.replay(address, float(self.app.config["SEARCH_SYNC_INTERVAL"]))
        if replay is not None:
            return self._replay(replay, visit, start_response)
        environ[_ADDRESS] = address
        sent: list[tuple[str, list[tuple[str, str]]]] = []

        def noting_start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent.append((status, headers))
            return start_response(status, headers, *exc_info)

        body = self.wsgi_app(environ, noting_start_response)
        served = environ.get(_SERVED)
        if served is not None and sent and sent[-1][0].startswith("200 "):
            headers = [(name, value) for name, value in sent[-1][1] if name.lower() != "set-cookie"]
            self.store.keep_replay(address, Replay(served[0], headers, served[1]))
        return body

    def _plain_get(self, environ: WSGIEnvironment) -> tuple[tuple[str, ...], str] | None:
        """(address, visit cookie) of a request whose answer depends on its address alone, else None."""
        host = environ.get("HTTP_HOST")
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") or not host
                or environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ):
            return None
        visit = ""
        if "HTTP_COOKIE" in environ:
            cookies = parse_cookie(environ)
            # A session may hold a signed-in user or a flashed message: Flask decides.
            if self.app.config["SESSION_COOKIE_NAME"] in cookies or REMEMBER_COOKIE in cookies:
                return None
            visit = cookies.get(VISIT_COOKIE, "")
        address = (environ["wsgi.url_scheme"], host, environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""))
        return address, visit

    def _replay(self, replay: Replay, visit: str, start_response: StartResponse) -> Iterable[bytes]:
        visit_id, new = visit_of(visit)
        # A copy: a server or middleware may add to the list it is given, and this one is shared.
        headers = list(replay.headers)
        if new:
            headers.append(("Set-Cookie", visit_cookie(self.app, visit_id)))
        if replay.on_serve is not None:
            with self.app.app_context():
                replay.on_serve(replay.page, visit_id)
        start_response("200 OK", headers)
        return [replay.page.body]
