"""Full-text search over the articles: SearchIndex, what the rest of kb.search calls.

The index folder and its writing live in storage.py; each search opens (once per
generation) a Snapshot of the segments' cached term vectors (snapshot.py, segments.py),
parses the query (query.py), ranks (ranking.py) and cuts snippets (snippets.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Container
from dataclasses import dataclass

from kb.search.analysis import LANGS, WORD_RE, fold
from kb.search.folders import opened
from kb.search.query import ParsedQuery, parse, suggestion, synonyms_for
from kb.search.ranking import RERANK, Alt, most_words, rank, title_bonus
from kb.search.schema import IndexedDoc
from kb.search.segments import SegmentCache, mask_of
from kb.search.snapshot import DocSet, Snapshot
from kb.search.snippets import best_snippet
from kb.search.spelling import SymSpell
from kb.search.storage import IndexBusyError, IndexFolder
from kb.search.typeahead import suggest_titles
from kb.search.warming import Warmer

logger = logging.getLogger(__name__)

__all__ = ["Hit", "IndexBusyError", "IndexedDoc", "SearchIndex", "SearchResult"]

MAX_LIMIT = 100
MAX_OFFSET = 10_000
PHRASE_BOOST = 1.5
MAX_SCORED = 6  # query words (or phrases) ranked on, the rarest first
MAX_SNIPPETS = 4096  # snippets kept per index generation (a few hundred bytes each)


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


class SearchIndex(IndexFolder):
    """The index folder (storage.py) and the searches run against its latest generation."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._mutex = threading.Lock()  # one thread opens a new generation at a time
        self._io = threading.RLock()  # reads through whoosh (see Snapshot)
        self._state: Snapshot | None = None
        self._caches: dict[str, SegmentCache] = {}
        self._spellers = {lang: SymSpell() for lang in LANGS}
        self._failed: tuple[int, int, int] | None = None
        self._warmer = Warmer(lambda cache: self._caches.get(cache.segid) is cache)
        self._warming: Snapshot | None = None  # the generation last handed to the warmer

    def wait_warm(self, timeout: float | None = None) -> bool:
        """Wait until the common words of the generation last searched are loaded
        (warming.py); False if `timeout` seconds passed first."""
        return self._warmer.idle.wait(timeout)

    @property
    def warming_seconds(self) -> float:
        """Wall time the background warming has spent so far, its pauses included."""
        return self._warmer.seconds

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
                    with opened(self.path) as ix:
                        state = Snapshot(ix, token, self._caches, self._io)
                    break
                except Exception:
                    again = self._token()
                    if attempt == 2 or again == token:  # not a swap under our feet: bad
                        logger.warning("cannot open search index %s", self.path, exc_info=True)
                        self._failed = token
                        return None
                    token = again
            if state is None:
                return None
            # Keep caches only for the segments still in use, so memory stays bounded.
            self._caches = {c.segid: c for _, _, c in state.leaves}
            for lang in LANGS:
                self._spellers[lang].add(state.vocab(lang))
            self._state = state
            return state

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
        if snap is not self._warming:
            # Only a process that searches warms: `kb outbox run` keeps the index in step
            # through revisions() and would spend the CPU and memory for nothing.
            self._warming = snap
            self._warmer.start(snap)
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
        narrow = _narrowing(snap, parsed, lang, category)
        allowed: tuple[Container[int], int] | None = narrow
        prepared = _prepared(snap, parsed, lang)
        eligible, need = most_words([alts for alts, _ in prepared])
        if need > 1:
            among = DocSet(eligible)
            allowed = ((among, eligible) if narrow is None
                       else (among.among(narrow[0]), narrow[1] & eligible))
        depth = max(offset + limit, RERANK)
        ranked, total = rank(prepared, depth, (snap.deleted, snap.deleted_mask), allowed)
        # Only the first RERANK get the title bonus, whatever the page: the bonus only raises
        # scores, so they stay ahead of the rest and pages never overlap nor skip.
        ranked = title_bonus(snap, parsed, lang, ranked[:RERANK]) + ranked[RERANK:]
        page = ranked[offset : offset + limit]
        terms = frozenset(t for g in parsed.groups for t, _ in g.terms)
        # For the "did you mean": words as the articles spell them (only when one is possible).
        # Reading the hits' texts for it cost most of a typo search: the answer is kept per
        # generation, for the corrections and the documents it was read from.
        said: str | None = None
        texts: list[str] | None = None
        said_key: tuple[object, ...] = ()
        if parsed.corrections:
            read_from = tuple(d for d, _ in page) or tuple(d for d, _ in ranked[:1])
            said_key = (lang, parsed.text, tuple((c.word, c.fix) for c in parsed.corrections), read_from)
            if said_key in snap.suggestions:
                said = snap.suggestions[said_key]
            else:
                texts = []
        hits = tuple(self._hit(snap, d, score, lang, terms, texts) for d, score in page)
        if texts is not None:
            if not texts and ranked:
                self._hit(snap, ranked[0][0], 0.0, lang, terms, texts)
            said = suggestion(parsed, lang, texts[:9])
            if len(snap.suggestions) >= MAX_SNIPPETS:
                snap.suggestions.clear()
            snap.suggestions[said_key] = said
        return SearchResult(query, lang, total, hits, said, said is not None)

    @staticmethod
    def _hit(
        snap: Snapshot, d: int, score: float, lang: str, terms: frozenset[str],
        texts: list[str] | None,
    ) -> Hit:
        """The hit of document `d`; its texts are added to `texts` when given."""
        cache, local = snap.leaf_of(d)
        m = cache.meta[local]
        # Shoppers repeat the same searches: snippets are kept per generation, since cutting
        # one reads and scans the article (most of a search's time at the first try).
        key = (d, lang, terms)
        snippet = snap.snippets.get(key)
        if snippet is None or texts is not None:
            stored = snap.stored(d)
            summary, body = stored.get("summary", ""), stored.get("body", "")
            if texts is not None:
                texts.extend((m.title, summary, body))
            if snippet is None:
                snippet = best_snippet((summary, body), terms, lang)
                if len(snap.snippets) >= MAX_SNIPPETS:
                    snap.snippets.clear()
                snap.snippets[key] = snippet
        return Hit(m.key, m.lang, m.slug, m.title, m.category, snippet, round(score, 4))

    def suggest(self, prefix: str, lang: str, *, limit: int = 8) -> list[tuple[str, str, str]]:
        """Return (key, slug, title) of articles matching what is typed (see suggest_titles)."""
        if lang not in LANGS or not isinstance(prefix, str) or limit <= 0:
            return []
        words = WORD_RE.findall(fold(prefix[:200]))
        snap = self._current() if words else None
        return suggest_titles(snap, words, lang, limit) if snap is not None else []


def _narrowing(snap: Snapshot, parsed: ParsedQuery, lang: str, category: str | None) -> tuple[set[int], int] | None:
    """The documents that quoted phrases and the category leave (None: no narrowing).

    Plain sets here; the word-count filter of ``_search`` may then hand ``rank`` a DocSet
    instead, hence the two types there.
    """
    narrow: tuple[set[int], int] | None = None
    for g in parsed.groups:
        if g.phrase:  # quoted: only documents with the words together
            docs = snap.phrase_docs(lang, g.phrase)
            docs = docs if narrow is None else docs & narrow[0]
            narrow = (docs, mask_of(docs))
    if category:
        docs, mask = snap.category(category)
        narrow = (docs, mask) if narrow is None else (docs & narrow[0], mask & narrow[1])
    return narrow


def _prepared(snap: Snapshot, parsed: ParsedQuery, lang: str) -> list[tuple[list[Alt], bool]]:
    """Each word group's alternatives with their weights, and whether it is a phrase."""
    prepared = []
    for g in parsed.groups:
        alts = []
        for term, weight in g.terms:
            parts = snap.vector(lang, term)
            if parts:
                boost = PHRASE_BOOST if g.phrase else 1.0
                alts.append(Alt(parts, snap.idf(lang, parts) * weight * boost, term in g.guesses))
        prepared.append((alts, bool(g.phrase)))
    if len(prepared) > MAX_SCORED:
        # A pasted paragraph: rank on its most telling words (phrases always count),
        # so a long query costs about what a short one does.
        prepared.sort(key=lambda p: (p[1], max((a.mult for a in p[0]), default=0.0)), reverse=True)
        del prepared[MAX_SCORED:]
    return prepared
