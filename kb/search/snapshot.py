"""One opened generation of the index, and the caches that belong to it.

Searches and suggestions run against a Snapshot: the segments' caches (segments.py), the
deletions, the average field lengths and what is worth keeping per generation (vocabulary,
titles for suggestions, phrase and category look-ups).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Container, Iterable
from itertools import compress
from math import log
from typing import Any, NamedTuple

from whoosh.index import FileIndex
from whoosh.query import Or, Phrase
from whoosh.searching import Searcher

from kb.search.analysis import LANGS
from kb.search.schema import FIELDS
from kb.search.segments import SegmentCache, Vec, bit_digits, mask_of


class Snapshot:
    """One opened generation of the index, with the caches that belong to it."""

    def __init__(
        self, ix: Any, token: Any, caches: dict[str, SegmentCache], lock: threading.RLock
    ) -> None:
        self.token = token
        reader = open_reader(ix)
        self.searcher = Searcher(reader, fromindex=ix)
        # Whoosh readers share file positions, and a segment's reader is shared with the
        # previous snapshot's caches: one lock per index for every read through whoosh.
        self.lock = lock
        self.leaves: list[tuple[Any, int, SegmentCache]] = []
        for leaf, offset in reader.leaf_readers():
            if leaf.segment() is None:
                continue  # an empty index has no segments, only an EmptyReader
            sid = leaf.segment().segment_id()
            cache = caches.get(sid) or SegmentCache(leaf)
            cache.reader = leaf  # the newest reader also knows the newest deletions
            self.leaves.append((leaf, offset, cache))
        self._offsets = [offset for _, offset, _ in self.leaves]
        self.deleted: set[int] = set()
        self.lang_docs = dict.fromkeys(LANGS, 0)
        for leaf, offset, cache in self.leaves:
            # deleted_docs_set: a set of the segment's deleted doc numbers, as SegmentReader
            # builds it for all_doc_ids (pinned by tests/search/test_whoosh_internals.py).
            dels = set(leaf.deleted_docs_set) if leaf.has_deletions() else set()
            self.deleted.update(offset + d for d in dels)
            for d, meta in enumerate(cache.meta):
                if d not in dels and meta.lang in self.lang_docs:
                    self.lang_docs[meta.lang] += 1
        self.avgdl = {
            f"{f}_{lang}": reader.field_length(f"{f}_{lang}") / max(1, self.lang_docs[lang])
            for lang in LANGS
            for f in FIELDS
        }
        self._vocab: dict[str, dict[str, int]] = {}
        self._titles: dict[str, Titles] = {}
        self._phrases: dict[tuple[str, tuple[str, ...]], frozenset[int]] = {}
        self._categories: dict[str, tuple[set[int], int]] = {}
        self.snippets: dict[tuple[int, str, frozenset[str]], str] = {}  # see SearchIndex._hit
        self.suggestions: dict[tuple[object, ...], str | None] = {}  # see SearchIndex._search
        self.deleted_mask = mask_of(self.deleted)

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

    def leaf_of(self, d: int) -> tuple[SegmentCache, int]:
        """The segment cache holding global doc number `d`, and its number there."""
        i = bisect_right(self._offsets, d) - 1
        _, offset, cache = self.leaves[i]
        return cache, d - offset

    def vector(self, lang: str, term: str) -> list[tuple[int, int, Vec]]:
        """(first doc number, end doc number, vector) of a term in every segment."""
        out = []
        for _, offset, cache in self.leaves:
            vec = cache.vectors.get((lang, term))
            if vec is None:
                with self.lock:
                    vec = cache.vector(lang, term, self.avgdl)
            if vec.n:
                out.append((offset, offset + len(cache.meta), vec))
        return out

    def idf(self, lang: str, parts: list[tuple[int, int, Vec]]) -> float:
        """BM25 idf from the number of documents holding the term."""
        n = self.lang_docs[lang]
        df = sum(vec.n for _, _, vec in parts)
        # ln(1 + N/df): unlike BM25's usual idf it never drops to ~0 for words found in
        # nearly every article ("return" in a returns help centre), which would let a word
        # seen once in one article outweigh everything else the shopper typed.
        return log(1.0 + n / df) if df else 0.0

    def category(self, name: str) -> tuple[set[int], int]:
        """Global doc numbers of one category, as a set and a bit set (once per generation)."""
        found = self._categories.get(name)
        if found is None:
            docs = {
                offset + d
                for _, offset, cache in self.leaves
                for d, meta in enumerate(cache.meta)
                if meta.category == name
            }
            found = self._categories[name] = (docs, mask_of(docs))
        return found

    def titles(self, lang: str) -> Titles:
        """The titles of one language, folded and indexed by the words of their title,
        tags and summary (built once per generation from words read once per segment)."""
        t = self._titles.get(lang)
        if t is None:
            # Built aside and published whole: another thread may be suggesting meanwhile.
            t = Titles([], [], [], {}, [])
            for _, offset, cache in self.leaves:
                with self.lock:
                    words = cache.suggest_words()
                for d, meta in enumerate(cache.meta):
                    if meta.lang == lang and offset + d not in self.deleted:
                        line, head, every = words[d]
                        for w in every:
                            t.where.setdefault(w, []).append(len(t.lines))
                        t.lines.append(line)
                        t.heads.append(head)
                        t.entries.append((meta.key, meta.slug, meta.title))
            t.words.extend(sorted(t.where))
            self._titles[lang] = t
        return t

    def revisions(self) -> dict[str, int]:
        """doc_id -> revision of every live document."""
        return {meta.doc_id: meta.revision
                for _, offset, cache in self.leaves
                for d, meta in enumerate(cache.meta) if offset + d not in self.deleted}

    def phrase_docs(self, lang: str, terms: tuple[str, ...]) -> set[int]:
        """Documents holding the terms next to each other, in one of the text fields.

        Whoosh decodes the positions of every document holding all the words, in Python
        (tens of ms for common words at 10,000 articles), so answers are kept per
        generation: shoppers repeat the same phrases.
        """
        found = self._phrases.get((lang, terms))
        if found is None:
            q = Or([Phrase(f"{name}_{lang}", list(terms)) for name in FIELDS])
            with self.lock:
                found = frozenset(self.searcher.docs_for_query(q))
            if len(self._phrases) >= 256:
                self._phrases.clear()
            self._phrases[(lang, terms)] = found
        return set(found)

    def stored(self, d: int) -> dict[str, Any]:
        """Stored fields (summary, body) of global doc number `d`."""
        with self.lock:
            return dict(self.searcher.stored_fields(d))


class Titles(NamedTuple):
    """Folded titles (words joined by spaces), their (key, slug, title), an index of the
    words of their title, tags and summary (word -> line numbers, and the words sorted for
    prefix look-ups), and the words of each title with its tags."""

    lines: list[str]
    entries: list[tuple[str, str, str]]
    words: list[str]
    where: dict[str, list[int]]
    heads: list[str]  # the words of each title and its tags, each after a space


def open_reader(ix: Any) -> Any:
    """A reader of the index's latest generation. Not ix.reader(): that retries ten times
    with 50 ms sleeps on any error, half a second per attempt on a damaged segment.

    Whoosh private internals: FileIndex's ``_read_toc`` and ``_reader`` are what
    ``ix.reader()`` calls inside its retry loop; tests/search/test_whoosh_internals.py pins
    that this reader sees the same documents as ``ix.reader()``.
    """
    info = ix._read_toc()
    return FileIndex._reader(ix.storage, info.schema, info.segments, info.generation)


class DocSet:
    """Doc numbers given as a bit set, tested one by one without listing them all (a query's
    candidates are checked faster than thousands of bits are listed).

    Held as one byte per document (1 in the set, 0 not), made from the bit set's binary
    digits at C speed, so that ``among`` tests thousands of candidates through map() and
    compress() instead of a Python expression per candidate.
    """

    __slots__ = ("_flags",)

    def __init__(self, mask: int) -> None:
        self._flags = bit_digits(mask).encode().translate(_DIGIT_TO_FLAG)

    def __contains__(self, d: object) -> bool:
        return isinstance(d, int) and 0 <= d < len(self._flags) and self._flags[d] == 1

    def among(self, docs: Iterable[int]) -> set[int]:
        """Those of `docs` (doc numbers, never negative) in the set."""
        docs = docs if isinstance(docs, (list, tuple, set, frozenset)) else list(docs)
        flags = self._flags
        top = max(docs, default=-1)
        if top >= len(flags):  # past the highest bit: not in the set
            flags = self._flags = flags.ljust(top + 1, b"\0")
        return set(compress(docs, map(flags.__getitem__, docs)))


_DIGIT_TO_FLAG = bytes.maketrans(b"01", b"\0\1")


def keep_allowed(docs: Iterable[int], allowed: Container[int]) -> set[int]:
    """Those of `docs` in `allowed` (a set, or a DocSet), at the fastest the type allows."""
    if isinstance(allowed, DocSet):
        return allowed.among(docs)
    if isinstance(allowed, set):
        return allowed.intersection(docs)
    return {d for d in docs if d in allowed}
