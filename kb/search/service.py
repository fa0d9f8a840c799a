"""The index keeper: each process keeps its index in step with the database, and falls back
to a database search while the index is missing, rebuilding or cannot be written."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from markupsafe import escape
from sqlalchemy import func, or_, select

from kb import background
from kb.articles.models import Article, ArticleStatus
from kb.articles.policy_examples import remove_examples
from kb.articles.rendering import fill_placeholders, render
from kb.articles.service import content_version
from kb.extensions import db
from kb.search.engine import Hit, IndexedDoc, SearchIndex, SearchResult
from kb.search.words import refresh_words
from kb.shop import policy_placeholders

log = logging.getLogger(__name__)

# After a failed write (a full disk, an unwritable folder) the next attempt waits this long:
# each attempt renders every stale article again, and the database answers meanwhile.
RETRY_AFTER_FAILURE = 30.0


@dataclass
class _Keeper:
    """Per-process state of the local index."""

    index: SearchIndex
    synced_version: int = -1
    checked_at: float = 0.0
    rebuilding: bool = False
    degraded: bool = False  # the last write failed: answer from the database
    failed_at: float = 0.0  # when it failed (monotonic), to pause before the next attempt
    index_ok: bool = False  # the index's status at the last check
    lock: threading.Lock = field(default_factory=threading.Lock)


def init_app(app: Flask) -> None:
    """Attach this process's index keeper to the app."""
    path = Path(app.config["SEARCH_INDEX_DIR"])
    app.extensions["kb_search"] = _Keeper(index=SearchIndex(path))
    refresh_words(app.config["ARTICLES_DIR"])
    background.register(app, "search index", lambda a: float(a.config["SEARCH_SYNC_INTERVAL"]),
                        keep_index_in_step)


def _keeper() -> _Keeper:
    return current_app.extensions["kb_search"]


def index_status() -> str:
    """ok, rebuilding, fallback (answering from the database), missing or corrupt."""
    keeper = _keeper()
    if keeper.rebuilding:
        return "rebuilding"
    if keeper.degraded:
        return "fallback"
    status = keeper.index.status()
    return status


def document_for(article: Article) -> IndexedDoc:
    """The search document of a published article, from its rendered text."""
    rendered = render(article.body, article.lang, policy_placeholders())
    return IndexedDoc(
        doc_id=article.doc_id,
        key=article.key,
        lang=article.lang,
        slug=article.slug,
        title=article.title,
        category=article.category,
        tags=tuple(article.tags),
        summary=fill_placeholders(article.summary, policy_placeholders(), article.lang),
        headings=" ".join(rendered.headings),
        body=rendered.text,
        revision=article.revision,
    )


def _published() -> list[Article]:
    return list(
        db.session.scalars(
            select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.id)
        )
    )


def rebuild_index(progress: Callable[[int], None] | None = None) -> int:
    """Build the whole index anew from the database; searches go on meanwhile.

    ``progress`` is called with the number of articles indexed since its last call.
    """
    keeper = _keeper()
    version = content_version()
    articles = _published()
    docs = (document_for(a) for a in articles)
    done = 0

    def advance(total_so_far: int) -> None:
        nonlocal done
        if progress is not None and total_so_far > done:
            progress(total_so_far - done)
        done = max(done, total_so_far)

    # A background rebuild set the flag already and clears it itself, after recording a
    # failure: clearing it here first would let a search start a second rebuild meanwhile.
    was_rebuilding = keeper.rebuilding
    keeper.rebuilding = True
    try:
        count = keeper.index.rebuild(docs, total=len(articles), progress=advance)
        keeper.degraded = False
        keeper.synced_version = version
        return count
    finally:
        keeper.rebuilding = was_rebuilding


def sync_index(force: bool = False) -> bool:
    """Bring the index up to the database's published revisions; True when in step."""
    keeper = _keeper()
    version = content_version()
    # In step only while the index is also there and sound: a deleted or damaged index must be
    # rebuilt even when no article changed.
    if version == keeper.synced_version and not force and not keeper.degraded and keeper.index.status() == "ok":
        return True
    if keeper.degraded and not force and time.monotonic() - keeper.failed_at < RETRY_AFTER_FAILURE:
        return False
    if keeper.rebuilding:
        # A rebuild of this process is running: it took its snapshot at its start, and the
        # next check after it finishes brings in whatever changed since. Writing now would race it.
        return False
    if not keeper.lock.acquire(blocking=False):
        return False  # another thread of this process is on it
    try:
        status = keeper.index.status()
        if status in ("missing", "corrupt"):
            _rebuild_in_background(current_app._get_current_object())  # type: ignore[attr-defined]  # typed as Flask, not as its proxy
            return False
        wanted = {a.doc_id: a for a in _published()}
        held = keeper.index.revisions()
        stale = [a for doc_id, a in wanted.items() if held.get(doc_id) != a.revision]
        gone = [doc_id for doc_id in held if doc_id not in wanted]
        if stale:
            keeper.index.upsert(document_for(a) for a in stale)
        if gone:
            keeper.index.remove(gone)
        keeper.synced_version = version
        keeper.degraded = False
        return True
    except Exception:  # noqa: BLE001  (a full disk, an unwritable folder, a damaged segment…)
        # Keep serving from the database; the index is a cache that a later check repairs.
        log.exception("search index could not be updated; answering from the database")
        keeper.degraded = True
        keeper.failed_at = time.monotonic()
        return False
    finally:
        keeper.lock.release()


def _rebuild_in_background(app: Flask) -> None:
    keeper = app.extensions["kb_search"]
    if keeper.rebuilding:
        return
    keeper.rebuilding = True

    def work() -> None:
        with app.app_context():
            try:
                rebuild_index()
            except Exception:  # noqa: BLE001  (logged; the fallback keeps answering)
                log.exception("search index rebuild failed")
                keeper.degraded = True
                keeper.failed_at = time.monotonic()
            finally:
                keeper.rebuilding = False
                db.session.remove()

    threading.Thread(target=work, name="kb-reindex", daemon=True).start()


def keep_index_in_step(should_stop: Callable[[], bool] | None = None) -> bool:
    """The background job: repair a missing or damaged index, else bring it up to date.

    Run by ``kb outbox run`` on each machine, so that an index follows the database and comes
    back after damage even while no request arrives. The rebuild runs here, not in a thread of
    its own, so that a stopping worker finishes it before it exits.
    """
    keeper = _keeper()
    if keeper.rebuilding:
        return False
    refresh_words(current_app.config["ARTICLES_DIR"])  # new stop words: the index is rebuilt
    if keeper.index.status() in ("missing", "corrupt"):
        rebuild_index()
        return True
    return sync_index()


def _fresh() -> bool:
    """Check for article changes at most every SEARCH_SYNC_INTERVAL seconds."""
    keeper = _keeper()
    now = time.monotonic()
    if now - keeper.checked_at >= float(current_app.config["SEARCH_SYNC_INTERVAL"]):
        keeper.checked_at = now
        # A writer may have changed the search words: new stop words make the index out of
        # date (its status reads "corrupt"), and sync_index rebuilds it.
        refresh_words(current_app.config["ARTICLES_DIR"])
        sync_index()
        # The status lists and stats every file of the index: checked with the articles,
        # not on every search (a search on a vanished index answers empty, never fails).
        keeper.index_ok = keeper.index.status() == "ok"
    return not (keeper.rebuilding or keeper.degraded) and keeper.index_ok


def notify_articles_changed() -> None:
    """Called after this process changed articles: update the index now."""
    keeper = _keeper()
    keeper.checked_at = 0.0
    sync_index()
    keeper.index_ok = keeper.index.status() == "ok"


def search_articles(
    query: str, lang: str, *, limit: int = 10, offset: int = 0, category: str | None = None
) -> SearchResult:
    """Search published articles of one language; never raises for what a user can type."""
    query = _clean(query)
    if not query:
        return SearchResult(query="", lang=lang, total=0, hits=(), suggestion=None, corrected=False)
    if _fresh():
        try:
            return _keeper().index.search(
                query, lang, limit=limit, offset=offset, category=category
            )
        except OSError:
            log.exception("search index unreadable; answering from the database")
            _keeper().degraded = True
    return _database_search(query, lang, limit=limit, offset=offset, category=category)


def suggest_titles(prefix: str, lang: str, limit: int = 8) -> list[tuple[str, str, str]]:
    """(key, slug, title) of articles whose title matches what the shopper is typing."""
    prefix = _clean(prefix)
    if not prefix:
        return []
    if _fresh():
        try:
            return _keeper().index.suggest(prefix, lang, limit=limit)
        except OSError:
            _keeper().degraded = True
    result = _database_search(prefix, lang, limit=limit, offset=0, category=None)
    return [(h.key, h.slug, h.title) for h in result.hits]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text or "").strip()[:200]


_WORD = re.compile(r"\w{2,}", re.UNICODE)


def _database_search(
    query: str, lang: str, *, limit: int, offset: int, category: str | None
) -> SearchResult:
    """A plain LIKE search over the database, for when the index cannot answer."""
    words = [w.lower() for w in _WORD.findall(query)][:8]
    if not words:
        return SearchResult(query=query, lang=lang, total=0, hits=(), suggestion=None, corrected=False)
    conditions = []
    for word in words:
        pattern = f"%{word}%"
        conditions.append(
            or_(
                func.lower(Article.title).like(pattern),
                func.lower(Article.summary).like(pattern),
                func.lower(Article.tags_json).like(pattern),
                func.lower(Article.body).like(pattern),
            )
        )
    statement = select(Article).where(
        Article.lang == lang, Article.status == ArticleStatus.PUBLISHED, or_(*conditions)
    )
    if category:
        statement = statement.where(Article.category == category)
    rows = list(db.session.scalars(statement))

    def score(article: Article) -> int:
        title, summary = article.title.lower(), article.summary.lower()
        body = remove_examples(article.body).lower()  # policy examples are not for readers
        return sum(3 * (w in title) + 2 * (w in summary) + (w in body) for w in words)

    def held(article: Article) -> int:
        text = " ".join((article.title, article.summary, article.tags_json,
                         remove_examples(article.body))).lower()
        return sum(w in text for w in words)

    # As the index does (spelling.most_words): an article answers only when it holds more
    # than half of the query's words, outside its policy examples.
    rows = [a for a in rows if score(a) > 0 and 2 * held(a) > len(words)]
    rows.sort(key=lambda a: (-score(a), a.title))
    hits = tuple(
        Hit(
            key=a.key,
            lang=a.lang,
            slug=a.slug,
            title=a.title,
            category=a.category,
            snippet=_mark(a.summary, words),
            score=float(score(a)),
        )
        for a in rows[offset : offset + limit]
    )
    return SearchResult(
        query=query, lang=lang, total=len(rows), hits=hits, suggestion=None, corrected=False
    )


def _mark(text: str, words: list[str]) -> str:
    escaped = str(escape(text))
    for word in sorted(set(words), key=len, reverse=True):
        escaped = re.sub(
            rf"(?i)\b({re.escape(str(escape(word)))}\w*)", r"<mark>\1</mark>", escaped
        )
    return escaped


def suggest_for(
    keys: Sequence[str], note: str, lang: str, limit: int = 4, exclude: Collection[str] = ()
) -> list[Article]:
    """The articles most likely to solve a shopper's case: the given keys first, then the note's.

    ``keys`` come from the decision (the returns room's self-help file), most specific first;
    the note's matches never bring in an ``exclude``d article.
    """
    keys = list(keys)
    if note.strip():
        found = search_articles(note, lang, limit=limit)
        keys.extend(hit.key for hit in found.hits if hit.key not in exclude)
    ordered = list(dict.fromkeys(keys))
    articles = db.session.scalars(
        select(Article).where(
            Article.key.in_(ordered), Article.lang == lang, Article.status == ArticleStatus.PUBLISHED
        )
    ).all()
    by_key = {a.key: a for a in articles}
    return [by_key[k] for k in ordered if k in by_key][:limit]
