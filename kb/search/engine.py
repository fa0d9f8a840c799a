"""Full-text search over the articles: the only code that talks to whoosh.

Whoosh stores the index (segments, postings, locking). Ranking runs on per-segment term
vectors cached in memory, because whoosh's OR matchers walk every posting in pure Python
on each query (50+ ms at 10,000 articles) while summing cached vectors takes a few.
"""

from __future__ import annotations

import bisect
import ctypes
import errno
import fcntl
import heapq
import json
import logging
import os
import random
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, repeat
from operator import add, mul
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from math import log
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.query import Or, Phrase

from kb.search.analysis import (
    FIELDS,
    LANGS,
    SCHEMA,
    SCHEMA_VERSION,
    WORD_RE,
    SegmentCache,
    best_snippet,
    doc_fields,
    fold,
    verify_segment,
)
from kb.search.spelling import SymSpell, parse, suggestion, synonyms_for

logger = logging.getLogger(__name__)

__all__ = ["Hit", "IndexBusyError", "IndexedDoc", "SearchIndex", "SearchResult"]

MAX_LIMIT = 100
MAX_OFFSET = 10_000
PHRASE_BOOST = 1.5
# Coordination: a document matching k of n query words keeps (k/n)**COORD of its score,
# so conversational queries rank the article that matches most of the shopper's words.
COORD = 1.0
VERSION_FILE = "KB_SEARCH_SCHEMA"
_TOC_RE = re.compile(r"^_MAIN_(\d+)\.toc$")


class IndexBusyError(RuntimeError):
    """The index stayed locked by another writer for longer than the retry budget."""


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


class _State:
    """One opened generation of the index, with the caches that belong to it."""

    def __init__(self, ix: Any, token: tuple[int, int], caches: dict[str, SegmentCache]) -> None:
        self.token = token
        self.searcher = ix.searcher()
        self.lock = threading.RLock()  # whoosh readers share file positions: one at a time
        reader = self.searcher.reader()
        self.leaves: list[tuple[Any, int, SegmentCache]] = []
        for leaf, offset in reader.leaf_readers():
            if leaf.segment() is None:
                continue  # an empty index has no segments, only an EmptyReader
            sid = leaf.segment().segment_id()
            cache = caches.get(sid) or SegmentCache(leaf)
            cache.reader = leaf  # the newest reader also knows the newest deletions
            self.leaves.append((leaf, offset, cache))
        self.deleted: set[int] = set()
        self.lang_docs = dict.fromkeys(LANGS, 0)
        for leaf, offset, cache in self.leaves:
            dels = set(leaf.deleted_docs_set) if leaf.has_deletions() else set()
            self.deleted.update(offset + d for d in dels)
            for d, meta in enumerate(cache.meta):
                if d not in dels and meta[2] in self.lang_docs:
                    self.lang_docs[meta[2]] += 1
        self.avgdl = {
            f"{f}_{lang}": reader.field_length(f"{f}_{lang}") / max(1, self.lang_docs[lang])
            for lang in LANGS
            for f in FIELDS
        }
        self._vocab: dict[str, dict[str, int]] = {}
        self._titles: dict[str, tuple[str, list[int], list[tuple[str, str, str]]]] = {}
        self._categories: dict[str, set[int]] = {}

    def vocab(self, lang: str) -> dict[str, int]:
        """Term -> document frequency for one language, merged from the segments."""
        v = self._vocab.get(lang)
        if v is None:
            counts: Counter[str] = Counter()
            with self.lock:
                for _, _, cache in self.leaves:
                    counts.update(cache.vocab(lang))
            v = self._vocab[lang] = dict(counts)
        return v

    def vector(self, lang: str, term: str) -> list[tuple[int, Any, Any]]:
        """(offset, local ids, field-weighted tf scores) of a term in every segment."""
        out = []
        for _, offset, cache in self.leaves:
            vec = cache.vectors.get((lang, term))
            if vec is None:
                with self.lock:
                    vec = cache.vector(lang, term, self.avgdl)
            if vec[0]:
                out.append((offset, vec[0], vec[1]))
        return out

    def idf(self, lang: str, parts: list[tuple[int, Any, Any]]) -> float:
        """BM25 idf from the number of documents holding the term."""
        n = self.lang_docs[lang]
        df = sum(len(ids) for _, ids, _ in parts)
        return log(1.0 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def category(self, name: str) -> set[int]:
        """Global doc numbers of one category (built once per generation)."""
        docs = self._categories.get(name)
        if docs is None:
            docs = self._categories[name] = {
                offset + d
                for _, offset, cache in self.leaves
                for d, meta in enumerate(cache.meta)
                if meta[4] == name
            }
        return docs

    def titles(self, lang: str) -> tuple[str, list[int], list[tuple[str, str, str]]]:
        """Folded titles of one language joined in one string, for C-speed prefix scans."""
        t = self._titles.get(lang)
        if t is None:
            entries: list[tuple[str, str, str]] = []
            lines: list[str] = []
            for _, offset, cache in self.leaves:
                for d, meta in enumerate(cache.meta):
                    if meta[2] == lang and offset + d not in self.deleted:
                        entries.append((meta[1], meta[3], meta[6]))
                        lines.append(" ".join(WORD_RE.findall(fold(meta[6]))))
            starts, pos = [], 0
            for line in lines:
                starts.append(pos)
                pos += len(line) + 1
            t = self._titles[lang] = ("\n".join(lines), starts, entries)
        return t


class SearchIndex:
    """A whoosh index directory shared by processes; see the module docstring."""

    lock_timeout = 10.0  # seconds a writer retries a taken lock before IndexBusyError

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).absolute()
        self._parent, self._name = self.path.parent, self.path.name
        self._mutex = threading.Lock()
        self._state: _State | None = None
        self._caches: dict[str, SegmentCache] = {}
        self._spellers = {lang: SymSpell() for lang in LANGS}
        self._checked: tuple[Any, str] = (None, "missing")
        self._verified: set[tuple[str, Any]] = set()

    # --- files beside the index ------------------------------------------------------

    def _side(self, suffix: str) -> Path:
        return self._parent / f".{self._name}.{suffix}"

    def _token(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

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
            st = os.stat(self.path)
            files = {e.name: (e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(self.path)}
        except (FileNotFoundError, NotADirectoryError):
            return "missing"
        except OSError:
            return "corrupt"
        key = (st.st_ino, frozenset(files.items()))
        if self._checked[0] == key:
            return self._checked[1]
        result = self._verify(files)
        self._checked = (key, result)
        return result

    def _verify(self, files: dict[str, tuple[int, int]]) -> str:
        if not any(_TOC_RE.match(n) for n in files):
            return "missing"
        try:
            if (self.path / VERSION_FILE).read_text().strip() != SCHEMA_VERSION:
                return "corrupt"
            ix = windex.open_dir(str(self.path), schema=SCHEMA)
            with ix.reader() as reader:
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

    def _current(self) -> _State | None:
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
            for attempt in range(3):  # a rebuild may swap the directory while we open it
                try:
                    ix = windex.open_dir(str(self.path), schema=SCHEMA)
                    state = _State(ix, token, self._caches)
                    break
                except Exception:
                    if attempt == 2:
                        logger.warning("cannot open search index %s", self.path, exc_info=True)
                        return None
                    time.sleep(0.02)
                    token = self._token()
            # Keep caches only for the segments still in use, so memory stays bounded.
            self._caches = {c.segid: c for _, _, c in state.leaves}
            for lang in LANGS:
                self._spellers[lang].add(state.vocab(lang))
            self._state = state
            return state

    def revisions(self) -> dict[str, int]:
        """Return doc_id -> revision for every document the index holds."""
        state = self._current()
        if state is None:
            return {}
        out: dict[str, int] = {}
        for _, offset, cache in state.leaves:
            for d, meta in enumerate(cache.meta):
                if offset + d not in state.deleted:
                    out[meta[0]] = meta[5]
        return out

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
        if lang not in LANGS:
            return empty
        state = self._current()
        if state is None:
            return empty
        try:
            return self._search(state, query, lang, limit, offset, category)
        except Exception:  # a damaged segment must not take the help centre down
            logger.exception("search failed for %r", query[:100])
            return empty

    def _search(
        self, state: _State, query: str, lang: str, limit: int, offset: int, category: str | None
    ) -> SearchResult:
        vocab = state.vocab(lang)
        parsed = parse(query, lang, vocab, self._spellers[lang], synonyms_for(lang))
        groups = parsed.groups
        corrected = bool(parsed.corrections)
        if not groups:
            return SearchResult(query, lang, 0, (), None, False)
        # Every step below runs at C speed (dict/set/map/zip), never a Python loop per
        # posting: a common word has a posting in every article.
        acc: dict[int, float] = {}
        matched: Counter[int] = Counter()
        allowed: set[int] | None = None
        for g in groups:
            scores: dict[int, float] = {}
            if g.phrase:
                docs = self._phrase_docs(state, lang, g.phrase)
                allowed = docs if allowed is None else allowed & docs
            for term, weight in g.terms:
                parts = state.vector(lang, term)
                mult = state.idf(lang, parts) * weight * (PHRASE_BOOST if g.phrase else 1.0)
                # A phrase sums its words; the alternatives of one word: the best counts.
                _merge(scores, _scaled(parts, mult), add if g.phrase else max)
            _merge(acc, scores, add)
            matched.update(scores.keys())
        n = len(groups)
        if n > 1:  # coordination: scale by the share of the query's words matched
            partial = list(compress(matched.keys(), map(n.__gt__, matched.values())))
            factor = [(k / n) ** COORD for k in range(n)]
            acc.update(zip(partial, map(mul, map(acc.__getitem__, partial),
                                        map(factor.__getitem__, map(matched.__getitem__, partial)))))
        for d in state.deleted:
            acc.pop(d, None)
        if category:
            cat = state.category(category)
            allowed = cat if allowed is None else allowed & cat
        if allowed is not None:
            keep = list(acc.keys() & allowed)
            acc = dict(zip(keep, map(acc.__getitem__, keep)))
        top = _top(acc, offset + limit)
        terms = frozenset(t for g in groups for t, _ in g.terms)
        texts: list[str] = []
        hits = tuple(self._hit(state, d, acc[d], lang, terms, texts) for d in top[offset:])
        if corrected and not texts and top:
            self._hit(state, top[0], 0.0, lang, terms, texts)
        said = suggestion(parsed, lang, texts[:9])
        return SearchResult(query, lang, len(acc), hits, said, corrected)

    def _phrase_docs(self, state: _State, lang: str, terms: tuple[str, ...]) -> set[int]:
        q = Or([Phrase(f"{f}_{lang}", list(terms)) for f in FIELDS])
        with state.lock:
            return set(state.searcher.docs_for_query(q))

    @staticmethod
    def _metas(state: _State) -> Callable[[int], tuple[Any, ...]]:
        leaves = [(off, cache.meta) for _, off, cache in state.leaves]

        def meta(d: int) -> tuple[Any, ...]:
            for off, metas in reversed(leaves):
                if d >= off:
                    return metas[d - off]
            raise KeyError(d)

        return meta

    def _hit(
        self, state: _State, d: int, score: float, lang: str, terms: frozenset[str],
        texts: list[str],
    ) -> Hit:
        m = self._metas(state)(d)
        with state.lock:
            stored = state.searcher.stored_fields(d)
        summary, body = stored.get("summary", ""), stored.get("body", "")
        texts.extend((m[6], summary, body))
        snip = best_snippet((summary, body), terms, lang)
        return Hit(m[1], m[2], m[3], m[6], m[4], snip, round(score, 4))

    def suggest(self, prefix: str, lang: str, *, limit: int = 8) -> list[tuple[str, str, str]]:
        """Return (key, slug, title) of titles with a word starting with what was typed."""
        if lang not in LANGS or not isinstance(prefix, str):
            return []
        words = WORD_RE.findall(fold(prefix[:200]))
        state = self._current()
        if not words or state is None or limit <= 0:
            return []
        blob, starts, entries = state.titles(lang)
        found: dict[int, tuple[int, int]] = {}
        needle = re.compile(r"(?:^|(?<=[ \n]))" + re.escape(" ".join(words)), re.M)
        for m in needle.finditer(blob):
            i = _line_of(starts, m.start())
            rank = (0 if m.start() == starts[i] else 1, len(entries[i][2]))
            found.setdefault(i, rank)
        if len(found) < limit and len(words) > 1:
            # Words typed in another order than the title's: all words must start a word.
            *whole, last = words
            for i, line in enumerate(blob.split("\n")):
                if i in found:
                    continue
                tokens = line.split(" ")
                if all(w in tokens for w in whole) and any(t.startswith(last) for t in tokens):
                    found[i] = (2, len(entries[i][2]))
        best = sorted(found, key=lambda i: found[i])[:limit]
        return [entries[i] for i in best]

    # --- writing --------------------------------------------------------------------

    def upsert(self, docs: Iterable[IndexedDoc]) -> None:
        """Add or replace documents by doc_id; retries while another process writes."""
        batch = list(docs)
        if not batch:
            return

        def apply(w: Any) -> None:
            for doc in batch:
                w.update_document(**doc_fields(doc))

        self._write(apply, [{"op": "upsert", "doc": _doc_json(d)} for d in batch])

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Remove documents by doc_id (unknown ids are ignored)."""
        ids = [i for i in doc_ids if i]
        if not ids:
            return

        def apply(w: Any) -> None:
            for i in ids:
                w.delete_by_term("doc_id", i)

        self._write(apply, [{"op": "remove", "doc_id": i} for i in ids])

    def _write(self, apply: Callable[[Any], None], ops: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        while True:
            # While a rebuild runs, writes are also journalled so the rebuild can replay
            # them; holding the shared lock until commit keeps a rebuild from starting
            # between this check and the commit.
            self._parent.mkdir(parents=True, exist_ok=True)
            with flock(self._side("rebuild.lock"), shared=True, timeout=0) as not_rebuilding:
                try:
                    ix = windex.open_dir(str(self.path), schema=SCHEMA)
                    writer = ix.writer(timeout=0.0)
                except LockError:
                    writer = None
                except Exception:
                    self.ensure()  # missing or corrupt: start from an empty index
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
            time.sleep(delay * (0.5 + random.random()))
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
                ix = windex.open_dir(str(tmp), schema=SCHEMA)
                # One writer, one segment: a big pool avoids spilling runs to disk, and
                # procs=1 because multiprocess merging costs more than it saves here.
                writer = ix.writer(limitmb=256, procs=1)
                count, seen = 0, set()
                try:
                    for doc in docs:
                        if doc.doc_id in seen:
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
        ix = windex.open_dir(str(tmp), schema=SCHEMA)
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


def _scaled(parts: list[tuple[int, Any, Any]], mult: float) -> dict[int, float]:
    """Global doc number -> tf part x mult, over the segments of a term vector."""
    out: dict[int, float] = {}
    for off, ids, tfs in parts:
        keys = ids if off == 0 else map(add, ids, repeat(off))
        out.update(zip(keys, map(mul, tfs, repeat(mult))))
    return out


def _merge(into: dict[int, float], other: dict[int, float], op: Callable[..., float]) -> None:
    """into[k] = op(into[k], other[k]) where both have k, else other[k] (mutates `other`)."""
    if into:
        common = list(other.keys() & into.keys())
        if common:
            other.update(zip(common, map(op, map(into.__getitem__, common),
                                         map(other.__getitem__, common))))
    into.update(other)


def _top(acc: dict[int, float], k: int) -> list[int]:
    """The k best doc numbers, best first (ties: lower doc number first)."""
    if k <= 0 or not acc:
        return []
    if len(acc) > 4 * k:
        threshold = heapq.nlargest(k, acc.values())[-1]
        keys: Iterable[int] = compress(acc.keys(), map(threshold.__le__, acc.values()))
    else:
        keys = acc.keys()
    return sorted(keys, key=lambda d: (-acc[d], d))[:k]


def _line_of(starts: list[int], pos: int) -> int:
    return bisect.bisect_right(starts, pos) - 1


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
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
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


def _doc_json(doc: IndexedDoc) -> dict[str, Any]:
    return asdict(doc)


def _doc_from_json(data: dict[str, Any]) -> IndexedDoc:
    data = dict(data)
    data["tags"] = tuple(data.get("tags", ()))
    return IndexedDoc(**data)
