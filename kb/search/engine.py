"""Full-text search over the articles: the API, and the index directory on disk.

Whoosh stores the index (segments, postings, locks); analysis.py turns text into terms
and keeps what each segment holds decoded in memory; spelling.py understands the query
and ranks on those cached term vectors, because whoosh's own OR matchers walk every
posting in pure Python on each query (50+ ms at 10,000 articles).

On disk: the index is a folder at `path`. A rebuild writes a complete new folder beside
it and swaps the two atomically (renameat2 RENAME_EXCHANGE), so readers never see a gap.
Writers take whoosh's lock with back-off; while a rebuild runs they also append to a
journal beside the folder, which the rebuild replays before the swap: nothing is lost.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import logging
import os
import random
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError

from kb.search.analysis import (
    LANGS,
    SCHEMA,
    SCHEMA_VERSION,
    WORD_RE,
    DocSet,
    SegmentCache,
    Snapshot,
    doc_fields,
    fold,
    mask_of,
    open_reader,
    verify_segment,
)
from kb.search.spelling import (
    RERANK,
    Alt,
    SymSpell,
    best_snippet,
    most_words,
    parse,
    rank,
    suggestion,
    synonyms_for,
    title_bonus,
)
from kb.search.typeahead import suggest_titles

logger = logging.getLogger(__name__)

__all__ = ["Hit", "IndexBusyError", "IndexedDoc", "SearchIndex", "SearchResult"]

MAX_LIMIT = 100
MAX_OFFSET = 10_000
PHRASE_BOOST = 1.5
MAX_SCORED = 6  # query words (or phrases) ranked on, the rarest first
VERSION_FILE = "KB_SEARCH_SCHEMA"
KEEP_FILE = ".gitkeep"  # the empty file that keeps the default index folder in git
_TOC_RE = re.compile(r"^_MAIN_(\d+)\.toc$")


class IndexBusyError(TimeoutError):
    """The index stayed locked by another writer for longer than the retry budget.

    A TimeoutError, so an OSError: callers treating unwritable indexes (full disk,
    read-only folder) as "answer from the database for now" treat this one alike.
    """


@dataclass(frozen=True)
class IndexedDoc:
    """One article translation as the index sees it."""

    doc_id: str
    key: str
    lang: str
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    summary: str
    headings: str
    body: str
    revision: int


@dataclass(frozen=True)
class Hit:
    """One search result; `snippet` is escaped HTML with <mark> around matched words."""

    key: str
    lang: str
    slug: str
    title: str
    category: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """A page of results; `suggestion` is the corrected query when typos were corrected."""

    query: str
    lang: str
    total: int
    hits: tuple[Hit, ...]
    suggestion: str | None
    corrected: bool


class SearchIndex:
    """A whoosh index directory shared by processes; see the module docstring."""

    lock_timeout = 10.0  # seconds a writer retries a taken lock before IndexBusyError

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self._parent, self._name = self.path.parent, self.path.name
        self._mutex = threading.Lock()  # one thread opens a new generation at a time
        self._io = threading.RLock()  # reads through whoosh (see Snapshot)
        self._state: Snapshot | None = None
        self._caches: dict[str, SegmentCache] = {}
        self._spellers = {lang: SymSpell() for lang in LANGS}
        self._checked: tuple[Any, str] = (None, "missing")
        self._failed: tuple[int, int, int] | None = None
        self._verified: set[tuple[str, Any]] = set()

    # --- files beside the index ------------------------------------------------------

    def _side(self, suffix: str) -> Path:
        return self._parent / f".{self._name}.{suffix}"

    def _token(self) -> tuple[int, int, int] | None:
        """What identifies the index generation on disk: a swap changes the folder's inode,
        a commit writes a new TOC (the mtime alone could miss two commits in one tick)."""
        try:
            st = os.stat(self.path)
            names = os.listdir(self.path)
        except OSError:
            return None
        gens = (int(m.group(1)) for n in names if (m := _TOC_RE.match(n)))
        return (st.st_ino, st.st_mtime_ns, max(gens, default=-1))

    # --- status ---------------------------------------------------------------------

    def status(self) -> str:
        """Return "ok", "missing", "corrupt", or "rebuilding" (no usable index, one is coming).

        A healthy index reads "ok" even while a rebuild runs, since searches keep being
        answered from it until the new one is swapped in.
        """
        live = self._check()
        if live != "ok" and self._rebuilding():
            return "rebuilding"
        return live

    def _rebuilding(self) -> bool:
        lockfile = self._side("rebuild.lock")
        if not lockfile.exists():
            return False
        with flock(lockfile, shared=True, timeout=0) as got:
            return not got

    def _check(self) -> str:
        # Called on every search by the app, so the full check only runs when a file of the
        # index changed (size or mtime), and only on segments not verified before.
        try:
            listing = self._listing()
        except OSError:
            return "corrupt"  # unreadable folder
        if listing is None:
            return "missing"
        key = (listing[0], frozenset(listing[1].items()))
        if self._checked[0] == key:
            return self._checked[1]
        result = self._verify(listing[1])
        self._checked = (key, result)
        return result

    def _listing(self) -> tuple[int, dict[str, tuple[int, int]]] | None:
        """(inode, name -> (size, mtime)) of the index folder; None if there is none."""
        for _ in range(5):
            try:
                inode = os.stat(self.path).st_ino
            except (FileNotFoundError, NotADirectoryError):
                return None
            files: dict[str, tuple[int, int]] = {}
            try:
                with os.scandir(self.path) as entries:
                    for e in entries:
                        try:
                            st = e.stat()
                        except FileNotFoundError:
                            continue  # deleted by a commit meanwhile: not part of the index
                        files[e.name] = (st.st_size, st.st_mtime_ns)
                if os.stat(self.path).st_ino == inode:
                    return inode, files
            except (FileNotFoundError, NotADirectoryError):
                pass
            # A rebuild swapped the folder during the scan: look again.
        return None

    def _verify(self, files: dict[str, tuple[int, int]]) -> str:
        if not any(_TOC_RE.match(n) for n in files):
            return "missing"
        try:
            if (self.path / VERSION_FILE).read_text().strip() != SCHEMA_VERSION:
                return "corrupt"
            with _opened(self.path) as ix, open_reader(ix) as reader:
                for leaf, _ in reader.leaf_readers():
                    if leaf.segment() is None:
                        continue
                    sid = leaf.segment().segment_id()
                    seg_key = (sid, files.get(f"{sid}.seg"))
                    if seg_key not in self._verified:
                        verify_segment(leaf)
                        self._verified.add(seg_key)
        except Exception:  # garbage in a TOC or segment surfaces as anything at all
            logger.warning("search index at %s is corrupt", self.path, exc_info=True)
            return "corrupt"
        return "ok"

    def ensure(self) -> str:
        """Open the index, or create an empty one if it is missing or corrupt."""
        before = self.status()
        if self._check() != "ok":
            self._parent.mkdir(parents=True, exist_ok=True)
            with flock(self._side("create.lock"), timeout=self.lock_timeout) as got:
                if got and self._check() != "ok":  # another process may have fixed it
                    tmp = self._new_dir()
                    self._swap_in(tmp)
        self._invalidate()
        return before

    def _new_dir(self) -> Path:
        tmp = self._side(f"build-{uuid.uuid4().hex[:12]}")
        tmp.mkdir()
        windex.create_in(str(tmp), SCHEMA)
        (tmp / VERSION_FILE).write_text(SCHEMA_VERSION)
        return tmp

    def _swap_in(self, new: Path) -> None:
        """Atomically put directory `new` at self.path and delete what was there."""
        if (self.path / KEEP_FILE).exists():
            (new / KEEP_FILE).touch()  # the checkout's placeholder stays tracked and present
        if self.path.exists():
            if exchange_dirs(new, self.path):
                shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old index
                return
            # No atomic exchange on this filesystem: readers retry the short gap.
            old = self._side(f"old-{uuid.uuid4().hex[:12]}")
            os.rename(self.path, old)
            os.rename(new, self.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(new, self.path)

    # --- reading --------------------------------------------------------------------

    def _invalidate(self) -> None:
        with self._mutex:
            self._state = None

    def _current(self) -> Snapshot | None:
        token = self._token()
        state = self._state
        if state is not None and state.token == token:
            return state
        if token is None:
            return None
        with self._mutex:
            state = self._state
            if state is not None and state.token == token:
                return state
            if token == self._failed:
                return None  # known bad: wait for the folder to change (ensure, rebuild)
            for attempt in range(3):
                try:
                    with _opened(self.path) as ix:
                        fresh = Snapshot(ix, token, self._caches, self._io)
                    break
                except Exception:
                    again = self._token()
                    if attempt == 2 or again == token:  # not a swap under our feet: bad
                        logger.warning("cannot open search index %s", self.path, exc_info=True)
                        self._failed = token
                        return None
                    token = again
            # Keep caches only for the segments still in use, so memory stays bounded.
            self._caches = {c.segid: c for _, _, c in fresh.leaves}
            for lang in LANGS:
                self._spellers[lang].add(fresh.vocab(lang))
            self._state = fresh
            return fresh

    def revisions(self) -> dict[str, int]:
        """Return doc_id -> revision for every document the index holds."""
        snap = self._current()
        return snap.revisions() if snap is not None else {}

    def search(
        self,
        query: str,
        lang: str,
        *,
        limit: int = 10,
        offset: int = 0,
        category: str | None = None,
    ) -> SearchResult:
        """Search one language; never raises on odd query text (returns an empty result)."""
        query = query if isinstance(query, str) else ""
        empty = SearchResult(query, lang, 0, (), None, False)
        limit = max(0, min(int(limit), MAX_LIMIT))
        offset = max(0, min(int(offset), MAX_OFFSET))
        snap = self._current() if lang in LANGS else None
        if snap is None:
            return empty
        try:
            return self._search(snap, query, lang, limit, offset, category)
        except Exception:  # a damaged segment must not take the help centre down
            logger.exception("search failed for %r", query[:100])
            return empty

    def _search(
        self, snap: Snapshot, query: str, lang: str, limit: int, offset: int, category: str | None
    ) -> SearchResult:
        parsed = parse(query, lang, snap.vocab(lang), self._spellers[lang], synonyms_for(lang))
        if not parsed.groups:
            return SearchResult(query, lang, 0, (), None, False)
        narrowed: tuple[set[int], int] | None = None  # by phrases and category: plain sets
        for g in parsed.groups:
            if g.phrase:  # quoted: only documents with the words together
                docs = snap.phrase_docs(lang, g.phrase)
                docs = docs if narrowed is None else docs & narrowed[0]
                narrowed = (docs, mask_of(docs))
        if category:
            docs, mask = snap.category(category)
            narrowed = (docs, mask) if narrowed is None else (docs & narrowed[0], mask & narrowed[1])
        prepared = []
        for g in parsed.groups:
            alts = []
            for term, weight in g.terms:
                parts = snap.vector(lang, term)
                if parts:
                    boost = PHRASE_BOOST if g.phrase else 1.0
                    alts.append(Alt(parts, snap.idf(lang, parts) * weight * boost,
                                    term in g.guesses))
            prepared.append((alts, bool(g.phrase)))
        if len(prepared) > MAX_SCORED:
            # A pasted paragraph: rank on its most telling words (phrases always count),
            # so a long query costs about what a short one does.
            prepared.sort(key=lambda p: (p[1], max((a.mult for a in p[0]), default=0.0)),
                          reverse=True)
            del prepared[MAX_SCORED:]
        eligible, need = most_words([alts for alts, _ in prepared])
        allowed: tuple[Container[int], int] | None = narrowed
        if need > 1:
            among = DocSet(eligible)
            allowed = ((among, eligible) if narrowed is None
                       else (among.among(narrowed[0]), narrowed[1] & eligible))
        depth = max(offset + limit, RERANK)
        ranked, total = rank(prepared, depth, (snap.deleted, snap.deleted_mask), allowed)
        # Only the first RERANK get the title bonus, whatever the page: the bonus only raises
        # scores, so they stay ahead of the rest and pages never overlap nor skip.
        ranked = title_bonus(snap, parsed, lang, ranked[:RERANK]) + ranked[RERANK:]
        page = ranked[offset : offset + limit]
        terms = frozenset(t for g in parsed.groups for t, _ in g.terms)
        texts: list[str] = []  # for the "did you mean": words as the articles spell them
        hits = tuple(self._hit(snap, d, score, lang, terms, texts) for d, score in page)
        if parsed.corrections and not texts and ranked:
            self._hit(snap, ranked[0][0], 0.0, lang, terms, texts)
        said = suggestion(parsed, lang, texts[:9])
        return SearchResult(query, lang, total, hits, said, said is not None)

    @staticmethod
    def _hit(
        snap: Snapshot, d: int, score: float, lang: str, terms: frozenset[str], texts: list[str]
    ) -> Hit:
        cache, local = snap.leaf_of(d)
        m = cache.meta[local]
        stored = snap.stored(d)
        summary, body = stored.get("summary", ""), stored.get("body", "")
        texts.extend((m.title, summary, body))
        snippet = best_snippet((summary, body), terms, lang)
        return Hit(m.key, m.lang, m.slug, m.title, m.category, snippet, round(score, 4))

    def suggest(self, prefix: str, lang: str, *, limit: int = 8) -> list[tuple[str, str, str]]:
        """Return (key, slug, title) of articles matching what is typed (see suggest_titles)."""
        if lang not in LANGS or not isinstance(prefix, str) or limit <= 0:
            return []
        words = WORD_RE.findall(fold(prefix[:200]))
        snap = self._current() if words else None
        return suggest_titles(snap, words, lang, limit) if snap is not None else []

    # --- writing --------------------------------------------------------------------

    def upsert(self, docs: Iterable[IndexedDoc]) -> None:
        """Add or replace documents by doc_id; retries while another process writes."""
        batch = [d for d in docs if _supported(d)]
        if not batch:
            return

        def apply(w: Any) -> None:
            """Replace each document (whoosh deletes by the unique doc_id, then adds)."""
            for doc in batch:
                w.update_document(**doc_fields(doc))

        self._write(apply, [{"op": "upsert", "doc": _doc_json(d)} for d in batch])

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Remove documents by doc_id (unknown ids are ignored)."""
        ids = [i for i in doc_ids if i]
        if not ids:
            return

        def apply(w: Any) -> None:
            """Delete each document by doc_id."""
            for i in ids:
                w.delete_by_term("doc_id", i)

        self._write(apply, [{"op": "remove", "doc_id": i} for i in ids])

    def _write(self, apply: Callable[[Any], None], ops: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        repaired = False
        while True:
            # While a rebuild runs, writes are also journalled so the rebuild can replay
            # them; holding the shared lock until commit keeps a rebuild from starting
            # between this check and the commit.
            self._parent.mkdir(parents=True, exist_ok=True)
            with flock(self._side("rebuild.lock"), shared=True, timeout=0) as not_rebuilding:
                try:
                    with _opened(self.path) as ix:
                        writer = ix.writer(timeout=0.0)
                except LockError:
                    writer = None
                except OSError:
                    raise  # a full disk or a read-only folder: the caller decides
                except Exception:
                    if repaired:
                        raise
                    self.ensure()  # missing or corrupt: start from an empty index
                    repaired = True
                    continue
                if writer is not None:
                    try:
                        apply(writer)
                        if not not_rebuilding:
                            self._journal(ops)
                        writer.commit()
                    except BaseException:
                        writer.cancel()
                        raise
                    self._invalidate()
                    return
            if time.monotonic() > deadline:
                raise IndexBusyError(f"search index {self.path} is locked by another writer")
            # Jitter spreads out writers that retry together; not a security use of randomness.
            time.sleep(delay * (0.5 + random.random()))  # nosec B311
            delay = min(delay * 2, 0.2)

    def _journal(self, ops: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(op, ensure_ascii=False) + "\n" for op in ops).encode()
        fd = os.open(self._side("journal"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)  # one O_APPEND write: lines from two processes never interleave
        finally:
            os.close(fd)

    def rebuild(
        self,
        docs: Iterable[IndexedDoc],
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a complete new index beside the old one and swap it in; return the count."""
        self._parent.mkdir(parents=True, exist_ok=True)
        step = max(1, (total or 0) // 100) if total else 100
        with flock(self._side("rebuild.lock"), timeout=None):
            self._side("journal").unlink(missing_ok=True)
            tmp = self._new_dir()
            try:
                with _opened(tmp) as ix:
                    pass
                # One writer, one segment: a big pool avoids spilling runs to disk, and
                # procs=1 because multiprocess merging costs more than it saves here.
                writer = ix.writer(limitmb=256, procs=1)
                count, seen = 0, set()
                try:
                    for doc in docs:
                        if doc.doc_id in seen or not _supported(doc):
                            continue
                        seen.add(doc.doc_id)
                        writer.add_document(**doc_fields(doc))
                        count += 1
                        if progress is not None and count % step == 0:
                            progress(count)
                    writer.commit()
                except BaseException:
                    writer.cancel()
                    raise
                self._finish_rebuild(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._side("journal").unlink(missing_ok=True)
        if progress is not None:
            progress(count)
        self._invalidate()
        return count

    def _finish_rebuild(self, tmp: Path) -> None:
        """Replay writes made during the build, then swap, holding the old index's lock."""
        old_lock = None
        if self._check() == "ok":
            old_lock = FileStorage(str(self.path)).lock("MAIN_WRITELOCK")
            deadline = time.monotonic() + max(60.0, self.lock_timeout)
            while not old_lock.acquire(blocking=False):
                if time.monotonic() > deadline:
                    raise IndexBusyError(f"search index {self.path} stayed locked")
                time.sleep(0.05)
        try:
            self._replay(tmp)
            with flock(self._side("create.lock"), timeout=None):
                self._swap_in(tmp)
        finally:
            if old_lock is not None:
                old_lock.release()

    def _replay(self, tmp: Path) -> None:
        try:
            lines = self._side("journal").read_text().splitlines()
        except FileNotFoundError:
            return
        if not lines:
            return
        with _opened(tmp) as ix:
            pass
        fresh = SearchIndex(tmp).revisions()
        writer = ix.writer()
        for line in lines:
            try:
                op = json.loads(line)
            except ValueError:
                continue  # a torn last line from a crashed writer
            if op["op"] == "remove":
                writer.delete_by_term("doc_id", op["doc_id"])
            else:
                doc = _doc_from_json(op["doc"])
                if fresh.get(doc.doc_id, -1) <= doc.revision:
                    writer.update_document(**doc_fields(doc))
        writer.commit()


class _Storage(FileStorage):
    """FileStorage remembering the files it opened, to close them if opening fails.

    Whoosh leaves a file open when it trips over garbage in a TOC or segment; closed
    here, garbage never leaks descriptors (nor ResourceWarnings).
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.opened: list[Any] = []

    def open_file(self, name: str, **kwargs: Any) -> Any:
        """Open a file of the index, remembering it."""
        f = super().open_file(name, **kwargs)
        self.opened.append(f)
        return f


@contextmanager
def _opened(path: Path) -> Iterator[Any]:
    """The whoosh index at `path`; files opened on the way are closed if anything fails."""
    storage = _Storage(str(path))
    try:
        yield FileIndex(storage, schema=SCHEMA)
    except BaseException:
        for f in storage.opened:
            # Already closed or unclosable: the original error, raised below, is what matters.
            try:
                f.close()
            except Exception:  # nosec B110  # noqa: BLE001
                pass
        raise
    finally:
        storage.opened = []


@contextmanager
def flock(path: Path, *, shared: bool = False, timeout: float | None = 0) -> Iterator[bool]:
    """Hold an advisory lock on `path` (created if needed); yields whether it was acquired."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if timeout is None:
            fcntl.flock(fd, mode)
            yield True
            return
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


_renameat2: Any = None


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    global _renameat2
    if _renameat2 is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                           ctypes.c_uint]
            _renameat2 = fn
        except (OSError, AttributeError):
            _renameat2 = False
    if _renameat2 is False:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if _renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _supported(doc: IndexedDoc) -> bool:
    if doc.lang in LANGS and doc.doc_id:
        return True
    logger.warning("not indexing %r: no doc_id, or no analyzer for %r", doc.doc_id, doc.lang)
    return False


def _doc_json(doc: IndexedDoc) -> dict[str, Any]:
    return asdict(doc)


def _doc_from_json(data: dict[str, Any]) -> IndexedDoc:
    data = dict(data)
    data["tags"] = tuple(data.get("tags", ()))
    return IndexedDoc(**data)
